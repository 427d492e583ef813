namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>
/// The transports every relevant test runs on: Kestrel's Sockets as the reference, and ours with the engine this
/// operating system picks and with io_uring asked for by configuration.
/// </summary>
public static class Transports
{
    /// <summary>The native transport on its io_uring engine (<c>EchoHost:Native:Engine=IoUring</c>).</summary>
    public const string NativeIoUring = "NativeIoUring";

    /// <summary>
    /// (build, transport): each of <see cref="ServiceBuilds"/> with Sockets and Native, and the JIT build with io_uring
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

            data.Add(ServiceBuilds.Jit, NativeIoUring);
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
        if (transport == NativeIoUring)
        {
            variables["EchoHost__Native__Engine"] = "IoUring";
        }

        return variables;
    }

    /// <summary>The command-line arguments that pick <paramref name="transport"/>.</summary>
    public static string[] Arguments(string transport) => transport == NativeIoUring
        ? ["--EchoHost:Transport=Native", "--EchoHost:Native:Engine=IoUring"]
        : [$"--EchoHost:Transport={transport}"];
}
