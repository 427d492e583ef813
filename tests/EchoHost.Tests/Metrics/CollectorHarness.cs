using System.Buffers;
using System.Diagnostics.Metrics;
using System.Text;
using EchoHost.Metrics;
using EchoHost.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace EchoHost.Tests.Metrics;

/// <summary>
/// A collector following meters the test names, each test its own (tests run in parallel and meters are
/// process-wide), with the process metrics of its own meter factory.
/// </summary>
internal sealed class CollectorHarness : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly ProcessMetrics _processMetrics;

    public CollectorHarness(params string[] meters)
        : this(new MetricsOptions { Meters = meters })
    {
    }

    public CollectorHarness(MetricsOptions options)
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        MeterFactory = _services.GetRequiredService<IMeterFactory>();
        _processMetrics = new ProcessMetrics(MeterFactory);
        Collector = new MeterCollector(options, MeterFactory, _processMetrics, NullLogger<MeterCollector>.Instance);
    }

    public IMeterFactory MeterFactory { get; }

    public MeterCollector Collector { get; }

    /// <summary>A meter name no other test uses.</summary>
    public static string UniqueMeterName(string prefix) => $"{prefix}.{Guid.NewGuid():N}";

    public string Scrape(ExpositionFormat format)
    {
        var output = new ArrayBufferWriter<byte>();
        Collector.Scrape(format, output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    public IReadOnlyDictionary<string, MetricFamilyText> ScrapeOpenMetrics() => OpenMetricsParser.Parse(Scrape(ExpositionFormat.OpenMetrics));

    public void Dispose()
    {
        Collector.Dispose();
        _processMetrics.Dispose();
        _services.Dispose();
    }
}
