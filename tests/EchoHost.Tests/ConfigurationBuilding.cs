using EchoHost.Configuration;
using Microsoft.Extensions.Configuration;

namespace EchoHost.Tests;

/// <summary>Builds configuration the way the service does, from in-memory layers and a command line.</summary>
internal static class ConfigurationBuilding
{
    public static IConfiguration From(IDictionary<string, string?> values, params string[] args) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values)
            .AddCommandLine(args, CommandLineSwitches.Mappings)
            .Build();

    public static EchoHostSettings Load(IDictionary<string, string?> values, params string[] args) =>
        EchoHostSettings.Load(From(values, args), nativeSupported: true, nativeEngine: "epoll");

    public static string LoadError(IDictionary<string, string?> values, params string[] args) =>
        Assert.Throws<EchoHostConfigurationException>(() => Load(values, args)).Message;

    /// <summary>The shipped defaults: echo on tcp://0.0.0.0:1512 and http on http://0.0.0.0:9464.</summary>
    public static Dictionary<string, string?> Defaults() => new()
    {
        ["EchoHost:Endpoints:echo:Url"] = "tcp://0.0.0.0:1512",
        ["EchoHost:Endpoints:echo:Protocol"] = "echo",
        ["EchoHost:Endpoints:http:Url"] = "http://0.0.0.0:9464",
        ["EchoHost:Endpoints:http:Protocol"] = "http",
    };
}
