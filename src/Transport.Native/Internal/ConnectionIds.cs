namespace EchoHost.Transport.Native.Internal;

/// <summary>Connection ids: a counter that starts at a random value, written in 13 base-32 characters.</summary>
internal static class ConnectionIds
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
    private static long s_last = Random.Shared.NextInt64();

    public static long Next() => Interlocked.Increment(ref s_last);

    public static string Format(long id) => string.Create(13, id, static (chars, value) =>
    {
        for (int i = chars.Length - 1; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(value & 31)];
            value = (long)((ulong)value >> 5);
        }
    });
}
