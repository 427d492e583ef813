using EchoHost.Configuration;
using Microsoft.Extensions.Configuration;

namespace EchoHost.StatusPage;

/// <summary>The status page of the http endpoints: the <c>EchoHost:StatusPage</c> configuration section.</summary>
internal sealed class StatusPageOptions
{
    public const string SectionName = "EchoHost:StatusPage";

    /// <summary>Whether <c>GET /</c> and <c>GET /status.json</c> are served.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Binds the section; throws <see cref="EchoHostConfigurationException"/> naming the key.</summary>
    public static StatusPageOptions Load(IConfiguration configuration) => SectionBinding.Bind(configuration, SectionName, static section => section.Get<StatusPageOptions>());
}
