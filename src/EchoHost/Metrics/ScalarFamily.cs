using System.Buffers;
using System.Text;

namespace EchoHost.Metrics;

/// <summary>A counter or gauge family: one number per series.</summary>
internal sealed class ScalarFamily(string baseName, MetricType type, string help, string unitSuffix)
    : MetricFamily<ScalarFamily.Cell>(baseName, type, help, unitSuffix)
{
    private readonly byte[] _sampleName = Encoding.UTF8.GetBytes(
        type == MetricType.Counter ? PrometheusNaming.CounterSampleName(baseName) : baseName);

    /// <summary>A synchronous counter's increment.</summary>
    public void Add(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (Gate)
        {
            GetOrAdd(tags).Value += value;
        }
    }

    /// <summary>A synchronous gauge's new value.</summary>
    public void Set(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (Gate)
        {
            GetOrAdd(tags).Value = value;
        }
    }

    /// <summary>
    /// An observable instrument's value in collection <paramref name="collection"/>: it replaces the value of the
    /// previous collection, and adds to the others of the same collection, so that per-loop instruments reporting
    /// the same tags, or one instrument per loop under one name, sum up.
    /// </summary>
    public void Observe(long collection, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (Gate)
        {
            var cell = GetOrAdd(tags);
            if (cell.Collection == collection)
            {
                cell.Value += value;
            }
            else
            {
                cell.Collection = collection;
                cell.Value = value;
            }
        }
    }

    protected override Cell CreateSeries() => new();

    protected override void WriteSamples(IBufferWriter<byte> output)
    {
        foreach (var (labels, cell) in Series)
        {
            WriteSample(output, _sampleName, labels, default, cell.Value);
        }
    }

    internal sealed class Cell
    {
        public double Value { get; set; }

        public long Collection { get; set; } = -1;
    }
}
