using System.Numerics;

namespace EchoHost.LoadGen.Metrics;

/// <summary>
/// A log-linear histogram of non-negative values (nanoseconds here): values below 256 are counted exactly; above,
/// each power of two is split into 128 equal sub-buckets, so a value is known to within 1/128 (0.8 %) of itself.
/// Recording is an index computation and an increment (no allocation, no lock): each thread records into its own
/// histogram, and the histograms are merged with <see cref="Add"/> when the run is over.
/// </summary>
internal sealed class LatencyHistogram
{
    /// <summary>Sub-buckets per power of two: 2^7 = 128.</summary>
    private const int SubBucketBits = 7;
    private const int SubBucketCount = 1 << SubBucketBits;

    /// <summary>Values below this (2 × 128) each have a bucket of their own.</summary>
    private const long ExactLimit = 2 * SubBucketCount;

    /// <summary>Enough buckets for <see cref="long.MaxValue"/>: 63 − 7 shifts of 128 sub-buckets, plus the exact ones.</summary>
    private const int BucketCount = ((63 - SubBucketBits) * SubBucketCount) + SubBucketCount;

    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }

    public long Min { get; private set; } = long.MaxValue;

    public long Max { get; private set; }

    /// <summary>The sum of the recorded values (exact, for the mean).</summary>
    public double Sum { get; private set; }

    public double Mean => Count == 0 ? 0 : Sum / Count;

    /// <summary>Counts <paramref name="value"/>; negative values count as 0.</summary>
    public void Record(long value)
    {
        if (value < 0)
        {
            value = 0;
        }

        _counts[IndexOf(value)]++;
        Count++;
        Sum += value;
        if (value < Min)
        {
            Min = value;
        }

        if (value > Max)
        {
            Max = value;
        }
    }

    /// <summary>Adds the counts of <paramref name="other"/> to this histogram.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < BucketCount; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        Sum += other.Sum;
        Min = Math.Min(Min, other.Min);
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>
    /// The value at or below which <paramref name="percentile"/> % of the recorded values lie: the highest value of the
    /// bucket that holds that rank (never above <see cref="Max"/>); 0 when nothing was recorded.
    /// </summary>
    public long ValueAtPercentile(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(Math.Clamp(percentile, 0, 100) / 100 * Count);
        rank = Math.Max(rank, 1);
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Clamp(HighestEquivalent(i), Min, Max);
            }
        }

        return Max;
    }

    internal static int IndexOf(long value)
    {
        if (value < ExactLimit)
        {
            return (int)value;
        }

        // value has at least 9 significant bits; keep the top 8 (128..255) and count the bits shifted away.
        var shift = BitOperations.Log2((ulong)value) - SubBucketBits;
        return (shift * SubBucketCount) + (int)(value >> shift);
    }

    /// <summary>The largest value that lands in bucket <paramref name="index"/>.</summary>
    internal static long HighestEquivalent(int index)
    {
        if (index < ExactLimit)
        {
            return index;
        }

        var shift = (index / SubBucketCount) - 1;
        var sub = (long)((index % SubBucketCount) + SubBucketCount);
        var next = (sub + 1) << shift;
        return next <= 0 ? long.MaxValue : next - 1;
    }
}
