using System.Buffers;
using System.Text;

namespace EchoHost.Metrics;

/// <summary>The Prometheus type of a family.</summary>
internal enum MetricType
{
    Counter,
    Gauge,
    Histogram,
}

/// <summary>
/// One metric family: its series by label set, and its HELP/TYPE/UNIT lines rendered once for each format. The
/// series are guarded by one lock, which measurements and the scrape that writes them take in turn.
/// </summary>
internal abstract class MetricFamily
{
    private readonly byte[] _textHeader;
    private readonly byte[] _openMetricsHeader;

    protected MetricFamily(string baseName, MetricType type, string help, string unitSuffix)
    {
        BaseName = baseName;
        Type = type;
        var typeName = type switch
        {
            MetricType.Counter => "counter",
            MetricType.Histogram => "histogram",
            _ => "gauge",
        };

        // Text 0.0.4 names a counter's family after its samples; OpenMetrics names it without _total.
        var textName = type == MetricType.Counter ? PrometheusNaming.CounterSampleName(baseName) : baseName;
        _textHeader = Encoding.UTF8.GetBytes(
            $"# HELP {textName} {ExpositionText.EscapeHelp(help, ExpositionFormat.PrometheusText)}\n# TYPE {textName} {typeName}\n");

        // OpenMetrics requires a family's unit to be the last word of its name; when it is not, UNIT is left out.
        var unitLine = unitSuffix.Length > 0 && baseName.EndsWith("_" + unitSuffix, StringComparison.Ordinal)
            ? $"# UNIT {baseName} {unitSuffix}\n"
            : "";
        _openMetricsHeader = Encoding.UTF8.GetBytes(
            $"# TYPE {baseName} {typeName}\n{unitLine}# HELP {baseName} {ExpositionText.EscapeHelp(help, ExpositionFormat.OpenMetrics)}\n");
    }

    /// <summary>The name without <c>_total</c>: OpenMetrics' family name.</summary>
    public string BaseName { get; }

    public MetricType Type { get; }

    protected Lock Gate { get; } = new();

    /// <summary>Writes the family's lines; nothing for a family that has no series yet.</summary>
    public void Write(IBufferWriter<byte> output, ExpositionFormat format)
    {
        lock (Gate)
        {
            if (!HasSeries)
            {
                return;
            }

            output.Write(format == ExpositionFormat.OpenMetrics ? _openMetricsHeader : _textHeader);
            WriteSamples(output);
        }
    }

    protected abstract bool HasSeries { get; }

    /// <summary>Writes every series; called under <see cref="Gate"/>.</summary>
    protected abstract void WriteSamples(IBufferWriter<byte> output);

    /// <summary>Writes <c>name{labels,extra} value</c> and a line feed.</summary>
    protected static void WriteSample(IBufferWriter<byte> output, byte[] name, LabelSet labels, ReadOnlySpan<byte> extraLabel, double value)
    {
        output.Write(name);
        var rendered = labels.Rendered;
        if (rendered.Length > 0 || !extraLabel.IsEmpty)
        {
            output.Write("{"u8);
            output.Write(rendered);
            if (rendered.Length > 0 && !extraLabel.IsEmpty)
            {
                output.Write(","u8);
            }

            output.Write(extraLabel);
            output.Write("}"u8);
        }

        output.Write(" "u8);
        ExpositionText.WriteNumber(output, value);
        output.Write("\n"u8);
    }
}

/// <summary>A family's series, found by their tags.</summary>
internal abstract class MetricFamily<TSeries>(string baseName, MetricType type, string help, string unitSuffix)
    : MetricFamily(baseName, type, help, unitSuffix)
    where TSeries : class
{
    private readonly List<(LabelSet Labels, TSeries Series)> _series = [];

    protected override bool HasSeries => _series.Count > 0;

    protected List<(LabelSet Labels, TSeries Series)> Series => _series;

    /// <summary>The series of <paramref name="tags"/>, created on first use; called under <see cref="MetricFamily.Gate"/>.</summary>
    protected TSeries GetOrAdd(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // A family has tens of series at most (endpoints × codes): a scan beats hashing boxed tag values.
        foreach (var (labels, series) in _series)
        {
            if (labels.Matches(tags))
            {
                return series;
            }
        }

        var created = CreateSeries();
        _series.Add((LabelSet.Create(tags), created));
        return created;
    }

    protected abstract TSeries CreateSeries();
}
