using System.Diagnostics.Metrics;
using EchoHost.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace EchoHost.Tests.Support;

/// <summary>
/// Listens to one host's <c>EchoHost</c> meter (other hosts of the test run have meters of the same name, told apart
/// by the meter factory that made them) and reads its instruments as a scraper would.
/// </summary>
internal sealed class ServiceMeasurements : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private readonly List<(string Instrument, long Value, KeyValuePair<string, object?>[] Tags)> _observed = [];
    private readonly List<(string Instrument, KeyValuePair<string, object?>[] Tags)> _histogramRecords = [];

    public ServiceMeasurements(FramedServer server)
    {
        var factory = server.App.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ServiceMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (_gate)
            {
                _observed.Add((instrument.Name, value, tags.ToArray()));
            }
        });
        _listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
        {
            lock (_gate)
            {
                _histogramRecords.Add((instrument.Name, tags.ToArray()));
            }
        });
        _listener.Start();
    }

    /// <summary>The sum of an observable instrument's values over the tag sets that have every tag given.</summary>
    public long Read(string instrument, params (string Key, string Value)[] tags)
    {
        lock (_gate)
        {
            _observed.Clear();
        }

        _listener.RecordObservableInstruments();
        lock (_gate)
        {
            return _observed.Where(o => o.Instrument == instrument && Matches(o.Tags, tags)).Sum(o => o.Value);
        }
    }

    /// <summary>How many values a histogram recorded with every tag given.</summary>
    public int HistogramCount(string instrument, params (string Key, string Value)[] tags)
    {
        lock (_gate)
        {
            return _histogramRecords.Count(r => r.Instrument == instrument && Matches(r.Tags, tags));
        }
    }

    /// <summary>Waits (bounded, to catch a hang) until the instrument reads <paramref name="expected"/>.</summary>
    public async Task WaitForAsync(string instrument, (string Key, string Value) tag, long expected)
    {
        var deadline = DateTime.UtcNow + Loopback.Timeout;
        while (Read(instrument, tag) != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{instrument} {tag} did not reach {expected}; it is {Read(instrument, tag)}");
            await Task.Delay(20);
        }
    }

    public void Dispose() => _listener.Dispose();

    private static bool Matches(KeyValuePair<string, object?>[] actual, (string Key, string Value)[] wanted) =>
        wanted.All(w => actual.Any(a => a.Key == w.Key && Equals(a.Value, w.Value)));
}
