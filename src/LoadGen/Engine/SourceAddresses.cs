namespace EchoHost.LoadGen.Engine;

/// <summary>
/// Spreads connections over source addresses 127.0.0.1, 127.0.0.2, ... (round robin by connection number), so that a
/// run on loopback is not limited to one address's ephemeral ports (about 28,000).
/// </summary>
internal static class SourceAddresses
{
    private const uint Loopback = 0x7F000001; // 127.0.0.1

    /// <summary>The source of connection <paramref name="number"/>; with one address the kernel chooses.</summary>
    public static IPv4Endpoint For(int number, int count) =>
        count <= 1 ? IPv4Endpoint.Any : new IPv4Endpoint(Loopback + (uint)(number % count), 0);
}
