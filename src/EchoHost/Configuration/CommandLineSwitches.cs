namespace EchoHost.Configuration;

/// <summary>Short command-line switches, mapped onto configuration keys.</summary>
internal static class CommandLineSwitches
{
    /// <summary><c>--port N</c>: the echo endpoint's port, as in the simplest echo servers.</summary>
    public static IDictionary<string, string> Mappings { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["--port"] = EchoHostSettings.EchoPortKey,
    };
}
