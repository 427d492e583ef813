using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace EchoHost.Metrics;

/// <summary>
/// Publishes this host's instruments in its own prometheus-net registry, as the families of
/// <see cref="ExportedFamilies"/> created with prometheus-net's factory. Before each collection the observable
/// instruments are read (they sum the per-connection and per-loop counters), so that hot paths never call into
/// either metrics API; only the handler histogram is observed as its records come. Only the configured meters of this
/// host's meter factory are followed: two hosts in one process never see each other's series.
/// </summary>
internal sealed partial class InstrumentExporter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly MetricFactory _factory;
    private readonly HashSet<string> _meterNames;
    private readonly object _scope;
    private readonly Meter _processMeter;
    private readonly double[] _histogramBuckets;
    private readonly ILogger<InstrumentExporter> _logger;
    private readonly IDisposable? _otherInstruments;

    public InstrumentExporter(
        MetricsOptions options,
        CollectorRegistry registry,
        IMeterFactory meterFactory,
        ProcessMetrics processMetrics,
        ILogger<InstrumentExporter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(processMetrics);
        _factory = Prometheus.Metrics.WithCustomRegistry(registry);
        _meterNames = new HashSet<string>(options.EffectiveMeters, StringComparer.Ordinal);
        _scope = meterFactory;
        _processMeter = processMetrics.Meter;
        _histogramBuckets = [.. options.EffectiveHistogramBuckets];
        _logger = logger;

        _listener.InstrumentPublished = OnInstrumentPublished;
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((Series)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Series)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((Series)state!).Record(value, tags));
        _listener.Start();
        registry.AddBeforeCollectCallback(CollectObservables);

        // Meters configured beyond the service's own (an application's) have no families of ours: prometheus-net's
        // meter adapter exports them under its own naming.
        if (_meterNames.Except(MetricsOptions.DefaultMeters).Any())
        {
            _otherInstruments = MeterAdapter.StartListening(new MeterAdapterOptions
            {
                Registry = registry,
                MetricFactory = _factory,
                InstrumentFilterPredicate = instrument => IsFollowed(instrument.Meter) && ExportedFamilies.For(instrument.Name) is null,
                ResolveHistogramBuckets = _ => _histogramBuckets,
            });
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        _otherInstruments?.Dispose();
    }

    private void CollectObservables()
    {
        try
        {
            _listener.RecordObservableInstruments();
        }
        catch (AggregateException ex)
        {
            // One failing callback must not hide the others' values, which are recorded by now.
            LogCallbackFailed(_logger, ex);
        }
    }

    private bool IsFollowed(Meter meter) =>
        meter == _processMeter || (_meterNames.Contains(meter.Name) && (meter.Scope is null || ReferenceEquals(meter.Scope, _scope)));

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (IsFollowed(instrument.Meter) && ExportedFamilies.For(instrument.Name) is { } exported)
        {
            listener.EnableMeasurementEvents(instrument, CreateSeries(exported, instrument));
        }
    }

    private Series CreateSeries(ExportedFamily exported, Instrument instrument)
    {
        var help = string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description;
        var labels = exported.Labels;
        switch (exported.Kind)
        {
            case FamilyKind.Counter:
                var counter = _factory.CreateCounter(exported.Name, help, labels);
                return new Series<ICounter>(counter, counter.WithLabels, labels, static (c, value) => c.IncTo(value));
            case FamilyKind.Gauge:
                var gauge = _factory.CreateGauge(exported.Name, help, labels);
                return new Series<IGauge>(gauge, gauge.WithLabels, labels, static (g, value) => g.Set(value));
            default:
                var histogram = _factory.CreateHistogram(exported.Name, help, labels, new HistogramConfiguration { Buckets = _histogramBuckets });
                return new Series<IHistogram>(histogram, histogram.WithLabels, labels, static (h, value) => h.Observe(value));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "An observable instrument's callback failed during a metrics scrape")]
    private static partial void LogCallbackFailed(ILogger logger, Exception exception);

    /// <summary>Where one instrument's measurements go.</summary>
    private abstract class Series
    {
        public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);
    }

    /// <summary>A family's children by their label values, found from a measurement's tags.</summary>
    private sealed class Series<T>(T unlabelled, Func<string[], T> withLabels, string[] labels, Action<T, double> record) : Series
        where T : class
    {
        private readonly ConcurrentDictionary<string, T> _children = new(StringComparer.Ordinal);

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => record(Child(tags), value);

        private T Child(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (labels.Length == 0)
            {
                return unlabelled;
            }

            // One label whose value is a string (the handler histogram's type): found without allocating.
            if (labels.Length == 1 && Find(tags, labels[0]) is string only)
            {
                return _children.TryGetValue(only, out var child) ? child : _children.GetOrAdd(only, withLabels([only]));
            }

            var values = new string[labels.Length];
            for (var i = 0; i < labels.Length; i++)
            {
                values[i] = Format(Find(tags, labels[i]));
            }

            var key = string.Join('\u001f', values);
            return _children.TryGetValue(key, out var existing) ? existing : _children.GetOrAdd(key, withLabels(values));
        }

        private static object? Find(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
        {
            foreach (var tag in tags)
            {
                if (string.Equals(tag.Key, name, StringComparison.Ordinal))
                {
                    return tag.Value;
                }
            }

            return null;
        }

        private static string Format(object? value) => value switch
        {
            null => "",
            string text => text,
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
    }
}
