using System.Diagnostics.Metrics;

namespace EchoHost.Tests.Metrics;

/// <summary>The one family observed per request, the handler histogram, takes a record into an existing series without allocating.</summary>
public class ScrapeAllocationTests
{
    private static readonly KeyValuePair<string, object?> Type = new("type", "echo");

    [Fact]
    public void Recording_into_an_existing_series_allocates_nothing()
    {
        using var harness = new CollectorHarness();
        var histogram = harness.ServiceMeter().CreateHistogram<double>("echohost.handler.duration", "s");
        histogram.Record(0.001, Type);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            histogram.Record(i / 1000.0, Type);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1001, harness.ScrapeOpenMetrics()["echohost_handler_duration_seconds"].Samples.Single(s => s.Name.EndsWith("_count", StringComparison.Ordinal)).Value);
    }
}
