using System.Buffers;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace EchoHost.Metrics;

/// <summary>
/// Listens to the configured meters and to the process's own, aggregates their measurements per instrument and tag
/// set, and writes them on each scrape after asking the observable instruments for their values. A meter created by
/// another service provider's meter factory is not followed, so that two hosts in one process do not count each other.
/// </summary>
internal sealed partial class MeterCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly HashSet<string> _meterNames;
    private readonly object? _scope;
    private readonly Meter _processMeter;
    private readonly IReadOnlyList<double> _histogramBuckets;
    private readonly ILogger<MeterCollector> _logger;
    private readonly Lock _familiesGate = new();
    private readonly Lock _scrapeGate = new();
    private MetricFamily[] _families = [];
    private long _collection;

    public MeterCollector(MetricsOptions options, IMeterFactory meterFactory, ProcessMetrics processMetrics, ILogger<MeterCollector> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(processMetrics);
        _meterNames = new HashSet<string>(options.EffectiveMeters, StringComparer.Ordinal);
        _scope = meterFactory;
        _processMeter = processMetrics.Meter;
        _histogramBuckets = options.EffectiveHistogramBuckets;
        _logger = logger;

        _listener.InstrumentPublished = OnInstrumentPublished;
        _listener.SetMeasurementEventCallback<byte>((_, value, tags, state) => ((Binding)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>((_, value, tags, state) => ((Binding)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((Binding)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((Binding)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>((_, value, tags, state) => ((Binding)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((Binding)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>((_, value, tags, state) => ((Binding)state!).Record((double)value, tags));
        _listener.Start();
    }

    /// <summary>Collects the observable instruments and writes every family in <paramref name="format"/>.</summary>
    public void Scrape(ExpositionFormat format, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        lock (_scrapeGate)
        {
            Interlocked.Increment(ref _collection);
            try
            {
                _listener.RecordObservableInstruments();
            }
            catch (AggregateException ex)
            {
                // One failing callback must not hide the others' values, which are recorded by now.
                LogCallbackFailed(_logger, ex);
            }

            foreach (var family in Volatile.Read(ref _families))
            {
                family.Write(output, format);
            }

            if (format == ExpositionFormat.OpenMetrics)
            {
                output.Write("# EOF\n"u8);
            }
        }
    }

    public void Dispose() => _listener.Dispose();

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        var meter = instrument.Meter;
        var followed = meter == _processMeter
            || (_meterNames.Contains(meter.Name) && (meter.Scope is null || ReferenceEquals(meter.Scope, _scope)));
        if (!followed || Classify(instrument) is not { } kind)
        {
            return;
        }

        var family = GetOrAddFamily(instrument, kind.Type);
        if (family is null)
        {
            LogNameClash(_logger, instrument.Name, meter.Name);
            return;
        }

        listener.EnableMeasurementEvents(instrument, new Binding(this, family, kind.Aggregation));
    }

    /// <summary>How an instrument's measurements aggregate; null for a kind this exporter does not know.</summary>
    private static (MetricType Type, Aggregation Aggregation)? Classify(Instrument instrument)
    {
        var kind = instrument.GetType();
        var definition = kind.IsGenericType ? kind.GetGenericTypeDefinition() : kind;
        return definition switch
        {
            _ when definition == typeof(Counter<>) => (MetricType.Counter, Aggregation.Add),
            _ when definition == typeof(UpDownCounter<>) => (MetricType.Gauge, Aggregation.Add),
            _ when definition == typeof(Gauge<>) => (MetricType.Gauge, Aggregation.Set),
            _ when definition == typeof(Histogram<>) => (MetricType.Histogram, Aggregation.Histogram),
            _ when definition == typeof(ObservableCounter<>) => (MetricType.Counter, Aggregation.Observe),
            _ when definition == typeof(ObservableUpDownCounter<>) => (MetricType.Gauge, Aggregation.Observe),
            _ when definition == typeof(ObservableGauge<>) => (MetricType.Gauge, Aggregation.Observe),
            _ => null,
        };
    }

    /// <summary>The family the instrument's name maps to; null when that name is taken by a family of another type.</summary>
    private MetricFamily? GetOrAddFamily(Instrument instrument, MetricType type)
    {
        var baseName = PrometheusNaming.BaseName(instrument.Name, instrument.Unit);
        lock (_familiesGate)
        {
            foreach (var existing in _families)
            {
                if (existing.BaseName == baseName)
                {
                    return existing.Type == type ? existing : null;
                }
            }

            var help = string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description;
            var unit = PrometheusNaming.UnitSuffix(instrument.Unit);
            MetricFamily family = type == MetricType.Histogram
                ? new HistogramFamily(baseName, help, unit, _histogramBuckets)
                : new ScalarFamily(baseName, type, help, unit);

            // Copy on write: a scrape walks the array it read without a lock.
            MetricFamily[] families = [.. _families, family];
            Array.Sort(families, (a, b) => string.CompareOrdinal(a.BaseName, b.BaseName));
            Volatile.Write(ref _families, families);
            return family;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "An observable instrument's callback failed during a metrics scrape")]
    private static partial void LogCallbackFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instrument {Instrument} of meter {Meter} is not exported: its Prometheus name belongs to a metric of another type")]
    private static partial void LogNameClash(ILogger logger, string instrument, string meter);

    private enum Aggregation
    {
        Add,
        Set,
        Observe,
        Histogram,
    }

    /// <summary>What an enabled instrument's measurements go to.</summary>
    private sealed class Binding(MeterCollector owner, MetricFamily family, Aggregation aggregation)
    {
        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            switch (aggregation)
            {
                case Aggregation.Add:
                    ((ScalarFamily)family).Add(value, tags);
                    break;
                case Aggregation.Set:
                    ((ScalarFamily)family).Set(value, tags);
                    break;
                case Aggregation.Observe:
                    ((ScalarFamily)family).Observe(Volatile.Read(ref owner._collection), value, tags);
                    break;
                case Aggregation.Histogram:
                    ((HistogramFamily)family).Record(value, tags);
                    break;
            }
        }
    }
}
