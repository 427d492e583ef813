namespace EchoHost.Limits;

/// <summary>
/// A token bucket (<c>perSecond</c> tokens a second, at most <c>burst</c> saved up) kept as one number per bucket, the
/// time at which the bucket would be full again (the generic cell rate algorithm): taking a token is one compare-and-swap
/// on that number, safe from any thread and free of allocations. A bucket starts full (its number is 0).
/// </summary>
internal readonly struct RateLimit
{
    private readonly long _interval;
    private readonly long _allowance;

    /// <summary>A bucket whose times are timestamps of <paramref name="timestampFrequency"/> a second (a <see cref="TimeProvider"/>'s).</summary>
    public RateLimit(double perSecond, int burst, long timestampFrequency)
    {
        _interval = perSecond > 0 ? Math.Max(1, (long)(timestampFrequency / perSecond)) : 0;
        _allowance = _interval * burst;
    }

    /// <summary>False for a rate of 0: no limit, every take succeeds.</summary>
    public bool IsOn => _interval > 0;

    /// <summary>How long (timestamps) an empty bucket takes to fill: after that long unused, it is as good as new.</summary>
    public long RefillTicks => _allowance;

    /// <summary>Takes a token from the bucket <paramref name="fullAt"/> at <paramref name="now"/> (timestamps); false when it is empty.</summary>
    public bool TryTake(ref long fullAt, long now)
    {
        if (!IsOn)
        {
            return true;
        }

        while (true)
        {
            var current = Volatile.Read(ref fullAt);
            var next = Math.Max(current, now) + _interval;
            if (next - now > _allowance)
            {
                // A refused take leaves the bucket as it was: a client that keeps trying is not punished further.
                return false;
            }

            if (Interlocked.CompareExchange(ref fullAt, next, current) == current)
            {
                return true;
            }
        }
    }
}
