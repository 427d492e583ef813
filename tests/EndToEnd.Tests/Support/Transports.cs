namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>
/// The transports every relevant test runs on: Kestrel's Sockets as the reference, and ours with the engine this
/// operating system picks (io_uring on Linux) and with epoll asked for by configuration.
/// </summary>
public static class Transports
{
    /// <summary>The native transport on its epoll engine (<c>EchoHost:Native:Engine=Epoll</c>).</summary>
    public const string NativeEpoll = "NativeEpoll";

    /// <summary>
    /// (build, transport): each of <see cref="ServiceBuilds"/> with Sockets and Native, and the JIT build with epoll
    /// as well (the engine is the same code in both builds; the builds differ in what the runtime does around it).
    /// </summary>
    public static TheoryData<string, string> All
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var build in new[] { ServiceBuilds.Jit, ServiceBuilds.NativeAot })
            {
                data.Add(build, "Sockets");
                data.Add(build, "Native");
            }

            data.Add(ServiceBuilds.Jit, NativeEpoll);
            return data;
        }
    }

    /// <summary>True for the native transport on any engine.</summary>
    public static bool IsNative(string transport) => transport.StartsWith("Native", StringComparison.Ordinal);

    /// <summary>What the service calls <paramref name="transport"/> (<c>EchoHost:Transport</c>).</summary>
    public static string TransportName(string transport) => IsNative(transport) ? "Native" : transport;

    /// <summary>The environment variables that pick <paramref name="transport"/>.</summary>
    public static Dictionary<string, string> Environment(string transport)
    {
        var variables = new Dictionary<string, string> { ["EchoHost__Transport"] = TransportName(transport) };
        if (transport == NativeEpoll)
        {
            variables["EchoHost__Native__Engine"] = "Epoll";
        }

        return variables;
    }

    /// <summary>The command-line arguments that pick <paramref name="transport"/>.</summary>
    public static string[] Arguments(string transport) => transport == NativeEpoll
        ? ["--EchoHost:Transport=Native", "--EchoHost:Native:Engine=Epoll"]
        : [$"--EchoHost:Transport={transport}"];
}
