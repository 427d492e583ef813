namespace EchoHost.LoadGen.Compare;

/// <summary>An endpoint a server of the comparison may have, named in its command by a placeholder.</summary>
internal enum ServerEndpoint
{
    /// <summary><c>{port}</c>: raw echo.</summary>
    Echo,

    /// <summary><c>{framed_port}</c>: the framed protocol.</summary>
    Framed,

    /// <summary><c>{http_port}</c>: EchoHost's HTTP endpoint (<c>/healthz</c>, <c>/metrics</c>).</summary>
    Http,

    /// <summary><c>{plaintext_port}</c>: the plaintext application's <c>GET /plaintext</c>.</summary>
    Plaintext,
}

/// <summary>
/// A server of the comparison: a command run through bash, in which each endpoint the server has is a placeholder
/// (<see cref="ServerEndpoint"/>) that becomes a fresh port.
/// </summary>
internal sealed record ServerSpec(string Name, string Command)
{
    /// <summary>The plaintext application's servers are named after the transport with this prefix (plaintext-sockets).</summary>
    public const string PlaintextPrefix = "plaintext-";

    public bool Has(ServerEndpoint endpoint) => Command.Contains(Placeholder(endpoint), StringComparison.Ordinal);

    public static string Placeholder(ServerEndpoint endpoint) => endpoint switch
    {
        ServerEndpoint.Echo => "{port}",
        ServerEndpoint.Framed => "{framed_port}",
        ServerEndpoint.Http => "{http_port}",
        _ => "{plaintext_port}",
    };

    /// <summary>The servers of the comparison as the repository builds them (bench/build.sh).</summary>
    public static IReadOnlyList<ServerSpec> Defaults(string root)
    {
        var echoHost = $"exec dotnet {Quote(Path.Combine(root, "src/EchoHost/bin/Release/net10.0/EchoHost.dll"))}" +
            " --EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:{port} --EchoHost:Endpoints:echo:Protocol=echo" +
            " --EchoHost:Endpoints:framed:Url=tcp://127.0.0.1:{framed_port} --EchoHost:Endpoints:framed:Protocol=framed" +
            " --EchoHost:Endpoints:http:Url=http://127.0.0.1:{http_port} --Serilog:MinimumLevel:Default=Warning";

        // Inline scheduling as each transport ships: on for native (appsettings.json), Kestrel's default (off) for Sockets.
        var plaintext = $"exec dotnet {Quote(Path.Combine(root, "bench/Plaintext/bin/Release/net10.0/Plaintext.dll"))} --port {{plaintext_port}}";
        return
        [
            new("native", echoHost + " --EchoHost:Transport=Native"),
            new("native-epoll", echoHost + " --EchoHost:Transport=Native --EchoHost:Native:Engine=Epoll"),
            new("sockets", echoHost + " --EchoHost:Transport=Sockets"),
            new("c", $"exec {Quote(Path.Combine(root, "bench/out/echo_server"))} {{port}}"),
            new("go", $"exec {Quote(Path.Combine(root, "bench/out/echo-go"))} {{port}}"),
            new("python", $"exec python3 {Quote(Path.Combine(root, "bench/peers/python/echo_server.py"))} {{port}}"),
            new(PlaintextPrefix + "native", plaintext + " --transport native --inline-scheduling true"),
            new(PlaintextPrefix + "native-epoll", plaintext + " --transport native --inline-scheduling true --engine Epoll"),
            new(PlaintextPrefix + "sockets", plaintext + " --transport sockets --inline-scheduling false"),
        ];
    }

    public static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
