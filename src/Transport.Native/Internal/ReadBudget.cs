namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// The transport's cap on bytes read from sockets and not yet consumed by the applications, summed over every
/// connection (<see cref="NativeTransportOptions.MaxTotalReadBufferSize"/>): one counter that reads add to and
/// consumption takes from, with an interlocked addition each. Past <see cref="Limit"/> a connection whose application
/// is behind stops reading (<see cref="ConnectionPipe.WaitForBudget"/>); it resumes under <see cref="LowWater"/>, half the limit.
/// </summary>
internal sealed class ReadBudget(long limit)
{
    private long _buffered;

    public long Limit { get; } = limit;

    public long LowWater { get; } = limit / 2;

    /// <summary>Bytes read and not yet consumed (or dropped with their connection), over all connections.</summary>
    public long Buffered => Volatile.Read(ref _buffered);

    public bool IsExhausted => Volatile.Read(ref _buffered) >= Limit;

    public bool IsUnderLowWater => Volatile.Read(ref _buffered) < LowWater;

    /// <summary>A budget for <paramref name="options"/>, or none when the total is unlimited (null or 0).</summary>
    public static ReadBudget? For(NativeTransportOptions options)
        => options.MaxTotalReadBufferSize is > 0 and long limit ? new ReadBudget(limit) : null;

    public void Add(long bytes) => Interlocked.Add(ref _buffered, bytes);

    public void Release(long bytes) => Interlocked.Add(ref _buffered, -bytes);
}
