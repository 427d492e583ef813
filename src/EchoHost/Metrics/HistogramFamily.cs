using System.Buffers;
using System.Text;

namespace EchoHost.Metrics;

/// <summary>
/// A histogram family with fixed bucket bounds. Each series counts per bucket; the scrape writes the buckets
/// cumulative, ending with <c>+Inf</c>, which equals <c>_count</c> because both are read under one lock.
/// </summary>
internal sealed class HistogramFamily : MetricFamily<HistogramFamily.Buckets>
{
    private readonly double[] _bounds;
    private readonly byte[][] _boundLabels;
    private readonly byte[] _bucketName;
    private readonly byte[] _sumName;
    private readonly byte[] _countName;

    public HistogramFamily(string baseName, string help, string unitSuffix, IReadOnlyList<double> bounds)
        : base(baseName, MetricType.Histogram, help, unitSuffix)
    {
        _bounds = [.. bounds];
        _boundLabels = [.. bounds.Select(Label), Label(double.PositiveInfinity)];
        _bucketName = Encoding.UTF8.GetBytes(baseName + "_bucket");
        _sumName = Encoding.UTF8.GetBytes(baseName + "_sum");
        _countName = Encoding.UTF8.GetBytes(baseName + "_count");
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (double.IsNaN(value))
        {
            return;
        }

        // Buckets are "less than or equal": a value on a bound belongs to that bound's bucket.
        var index = Array.BinarySearch(_bounds, value);
        if (index < 0)
        {
            index = ~index;
        }

        lock (Gate)
        {
            var buckets = GetOrAdd(tags);
            buckets.Counts[index]++;
            buckets.Sum += value;
            buckets.Count++;
        }
    }

    protected override Buckets CreateSeries() => new(_bounds.Length + 1);

    protected override void WriteSamples(IBufferWriter<byte> output)
    {
        foreach (var (labels, buckets) in Series)
        {
            long cumulative = 0;
            for (var i = 0; i < buckets.Counts.Length; i++)
            {
                cumulative += buckets.Counts[i];
                WriteSample(output, _bucketName, labels, _boundLabels[i], cumulative);
            }

            WriteSample(output, _sumName, labels, default, buckets.Sum);
            WriteSample(output, _countName, labels, default, buckets.Count);
        }
    }

    private static byte[] Label(double bound) => Encoding.UTF8.GetBytes($"le=\"{ExpositionText.FormatBound(bound)}\"");

    internal sealed class Buckets(int count)
    {
        /// <summary>Per bucket, not cumulative; the last is above every bound.</summary>
        public long[] Counts { get; } = new long[count];

        public double Sum { get; set; }

        public long Count { get; set; }
    }
}
