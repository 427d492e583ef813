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
    public static StatusPageOptions Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        try
        {
            return configuration.GetSection(SectionName).Get<StatusPageOptions>() ?? new StatusPageOptions();
        }
        catch (InvalidOperationException ex)
        {
            // The binder's message names the key and the value; it only lacks saying that it stops start-up.
            throw new EchoHostConfigurationException($"Invalid configuration: {ex.Message}", ex);
        }
    }
}
