namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>The transports every relevant test runs on: Kestrel's Sockets as the reference, and ours.</summary>
public static class Transports
{
    public static TheoryData<string> Both => new() { "Sockets", "Native" };
}
