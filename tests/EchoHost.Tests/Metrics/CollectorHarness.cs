using System.Diagnostics.Metrics;
using System.Text;
using EchoHost.Metrics;
using EchoHost.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace EchoHost.Tests.Metrics;

/// <summary>
/// The exporter of one meter factory, as a host has it: tests create the service's meters on
/// <see cref="MeterFactory"/> (tests run in parallel; meters of another factory are not followed), with the process
/// metrics of the same factory.
/// </summary>
internal sealed class CollectorHarness : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly ProcessMetrics _processMetrics;
    private readonly InstrumentExporter _exporter;

    public CollectorHarness()
        : this(new MetricsOptions())
    {
    }

    public CollectorHarness(MetricsOptions options)
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        MeterFactory = _services.GetRequiredService<IMeterFactory>();
        _processMetrics = new ProcessMetrics(MeterFactory);
        Registry = Prometheus.Metrics.NewCustomRegistry();
        _exporter = new InstrumentExporter(options, Registry, MeterFactory, _processMetrics, NullLogger<InstrumentExporter>.Instance);
    }

    public IMeterFactory MeterFactory { get; }

    public CollectorRegistry Registry { get; }

    /// <summary>A meter name no other test uses.</summary>
    public static string UniqueMeterName(string prefix) => $"{prefix}.{Guid.NewGuid():N}";

    /// <summary>The service's meter (<c>EchoHost</c>) of this harness's factory.</summary>
    public Meter ServiceMeter() => MeterFactory.Create(ServiceMetrics.MeterName);

    public string Scrape(ExpositionFormat format)
    {
        using var output = new MemoryStream();
        Registry.CollectAndExportAsTextAsync(output, format).GetAwaiter().GetResult();
        return Encoding.UTF8.GetString(output.ToArray());
    }

    public IReadOnlyDictionary<string, MetricFamilyText> ScrapeOpenMetrics() => OpenMetricsParser.Parse(Scrape(ExpositionFormat.OpenMetricsText));

    public void Dispose()
    {
        _exporter.Dispose();
        _processMetrics.Dispose();
        _services.Dispose();
    }
}
