using System.Diagnostics;

namespace EchoHost.LoadGen.Engine;

/// <summary><see cref="Stopwatch"/> ticks to nanoseconds (on Linux a tick is a nanosecond).</summary>
internal static class Ticks
{
    private static readonly double s_nanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    public static long ToNanoseconds(long ticks) => Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * s_nanosecondsPerTick);

    public static long FromSeconds(double seconds) => (long)(seconds * Stopwatch.Frequency);
}
