namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>The transports every relevant test runs on, Kestrel's Sockets as the reference and ours, in each build of the service.</summary>
public static class Transports
{
    /// <summary>(build, transport): each of <see cref="ServiceBuilds"/> with Sockets and Native.</summary>
    public static TheoryData<string, string> Both
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var build in new[] { ServiceBuilds.Jit, ServiceBuilds.NativeAot })
            {
                data.Add(build, "Sockets");
                data.Add(build, "Native");
            }

            return data;
        }
    }
}
