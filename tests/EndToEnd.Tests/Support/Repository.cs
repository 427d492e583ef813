using System.Text.Json;

namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>The repository the tests were built from: its files, and the shipped appsettings.json.</summary>
public static class Repository
{
    /// <summary>The root folder: EchoHost.dll is built into src/EchoHost/bin/CONFIGURATION/TFM/.</summary>
    public static string Root { get; } = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(EchoHostProcess.DllPath)!, "../../../../.."));

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>The port of each endpoint that the shipped appsettings.json defines, by name.</summary>
    public static IReadOnlyDictionary<string, int> DefaultEndpointPorts()
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(PathOf("appsettings.json")));
        return settings.RootElement.GetProperty("EchoHost").GetProperty("Endpoints").EnumerateObject()
            .ToDictionary(e => e.Name, e => new Uri(e.Value.GetProperty("Url").GetString()!).Port);
    }

    /// <summary>A value of the shipped appsettings.json by its configuration key, e.g. <c>EchoHost:ShutdownTimeout</c>.</summary>
    public static string ShippedSetting(string key)
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(PathOf("appsettings.json")));
        var element = settings.RootElement;
        foreach (var part in key.Split(':'))
        {
            element = element.GetProperty(part);
        }

        return element.ToString();
    }
}
