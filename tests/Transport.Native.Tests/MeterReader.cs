using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace EchoHost.Transport.Native.Tests;

/// <summary>Reads one observable instrument of one host's meter (other hosts of the test run have meters of the same name).</summary>
internal sealed class MeterReader : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(long Value, KeyValuePair<string, object?>[] Tags)> _measurements = [];

    public MeterReader(IServiceProvider services, string meterName, string instrumentName)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && instrument.Name == instrumentName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) => _measurements.Add((value, tags.ToArray())));
        _listener.Start();
    }

    /// <summary>The instrument's value for the tag set with <paramref name="key"/> = <paramref name="value"/>; 0 when it has none.</summary>
    public long Read(string key, string value)
    {
        _measurements.Clear();
        _listener.RecordObservableInstruments();
        return _measurements.Where(m => m.Tags.Any(t => t.Key == key && Equals(t.Value, value))).Sum(m => m.Value);
    }

    /// <summary>The instrument's value summed over every tag set; 0 when it has none.</summary>
    public long Read()
    {
        _measurements.Clear();
        _listener.RecordObservableInstruments();
        return _measurements.Sum(m => m.Value);
    }

    public void Dispose() => _listener.Dispose();
}
