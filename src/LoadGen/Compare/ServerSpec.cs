namespace EchoHost.LoadGen.Compare;

/// <summary>
/// A server of the comparison: a command run through bash, in which <c>{port}</c> is the raw echo port and, when the
/// server has them, <c>{framed_port}</c> the framed endpoint and <c>{http_port}</c> the HTTP endpoint.
/// </summary>
internal sealed record ServerSpec(string Name, string Command)
{
    public bool HasFramed => Command.Contains("{framed_port}", StringComparison.Ordinal);

    public bool HasHttp => Command.Contains("{http_port}", StringComparison.Ordinal);

    /// <summary>The servers of the comparison as the repository builds them (bench/build.sh).</summary>
    public static IReadOnlyList<ServerSpec> Defaults(string root)
    {
        var echoHost = $"exec dotnet {Quote(Path.Combine(root, "src/EchoHost/bin/Release/net10.0/EchoHost.dll"))}" +
            " --EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:{port} --EchoHost:Endpoints:echo:Protocol=echo" +
            " --EchoHost:Endpoints:framed:Url=tcp://127.0.0.1:{framed_port} --EchoHost:Endpoints:framed:Protocol=framed" +
            " --EchoHost:Endpoints:http:Url=http://127.0.0.1:{http_port} --Serilog:MinimumLevel:Default=Warning";
        return
        [
            new("native", echoHost + " --EchoHost:Transport=Native"),
            new("sockets", echoHost + " --EchoHost:Transport=Sockets"),
            new("c", $"exec {Quote(Path.Combine(root, "bench/out/echo_server"))} {{port}}"),
            new("go", $"exec {Quote(Path.Combine(root, "bench/out/echo-go"))} {{port}}"),
            new("python", $"exec python3 {Quote(Path.Combine(root, "bench/peers/python/echo_server.py"))} {{port}}"),
        ];
    }

    public static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
