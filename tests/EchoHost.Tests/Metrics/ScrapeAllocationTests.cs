using System.Buffers;
using System.Diagnostics.Metrics;
using EchoHost.Metrics;

namespace EchoHost.Tests.Metrics;

/// <summary>Recording into an existing series and writing the families allocate nothing: the per-scrape cost stays flat.</summary>
public class ScrapeAllocationTests
{
    private static readonly KeyValuePair<string, object?> Endpoint = new("endpoint", "echo");
    private static readonly KeyValuePair<string, object?> Code = new("code", "bad_frame");

    [Fact]
    public void Recording_into_an_existing_series_allocates_nothing()
    {
        var name = CollectorHarness.UniqueMeterName("Test.RecordAllocations");
        using var harness = new CollectorHarness(name);
        using var meter = new Meter(name);
        var counter = meter.CreateCounter<long>("test.errors");
        var histogram = meter.CreateHistogram<double>("test.duration", "s");
        counter.Add(1, Endpoint, Code);
        histogram.Record(0.001, Endpoint);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            counter.Add(1, Endpoint, Code);
            histogram.Record(i / 1000.0, Endpoint);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1001, harness.ScrapeOpenMetrics()["test_errors"].Samples.Single().Value);
    }

    [Fact]
    public void Writing_families_allocates_nothing()
    {
        var counter = new ScalarFamily("test_requests", MetricType.Counter, "Requests.", "");
        var histogram = new HistogramFamily("test_duration_seconds", "Duration.", "seconds", MetricsOptions.DefaultHistogramBuckets);
        for (var i = 0; i < 20; i++)
        {
            counter.Add(i, [new("endpoint", "e" + i), Code]);
            histogram.Record(i / 100.0, [new("type", "t" + i)]);
        }

        var output = new ArrayBufferWriter<byte>(1 << 20);
        counter.Write(output, ExpositionFormat.OpenMetrics);
        histogram.Write(output, ExpositionFormat.PrometheusText);
        var written = output.WrittenCount;
        output.ResetWrittenCount();

        var before = GC.GetAllocatedBytesForCurrentThread();
        counter.Write(output, ExpositionFormat.OpenMetrics);
        histogram.Write(output, ExpositionFormat.PrometheusText);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(written, output.WrittenCount);
    }
}
