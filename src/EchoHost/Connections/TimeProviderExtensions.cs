namespace EchoHost.Connections;

/// <summary>The limits' clock: milliseconds of a <see cref="TimeProvider"/>'s timestamp, which only ever moves forward.</summary>
internal static class TimeProviderExtensions
{
    /// <summary>The provider's timestamp in milliseconds (the unit of the limits' clocks and of the sweep's <c>now</c>).</summary>
    public static long Milliseconds(this TimeProvider time) =>
        (long)(time.GetTimestamp() * (1000.0 / time.TimestampFrequency));
}
