using System.Diagnostics.Metrics;
using EchoHost.Metrics;
using EchoHost.Tests.Support;
using Prometheus;

namespace EchoHost.Tests.Metrics;

public class InstrumentExporterTests
{
    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    [Fact]
    public void Observable_counters_keep_their_family_name_total_help_and_labels_and_follow_their_latest_value()
    {
        using var harness = new CollectorHarness();
        var meter = harness.ServiceMeter();
        long echo = 5, framed = 1;
        meter.CreateObservableCounter("echohost.bytes.received", () => new[]
        {
            new Measurement<long>(echo, Tag("protocol", "echo"), Tag("endpoint", "echo")),
            new Measurement<long>(framed, Tag("endpoint", "framed"), Tag("protocol", "framed")),
        }, "By", "Bytes received.");

        var family = harness.ScrapeOpenMetrics()["echohost_bytes_received"];
        Assert.Equal(("counter", "Bytes received."), (family.Type, family.Help));
        Assert.Collection(
            family.Samples,
            s => Assert.Equal(("echohost_bytes_received_total", "echo", "echo", 5.0), (s.Name, s.Labels["endpoint"], s.Labels["protocol"], s.Value)),
            s => Assert.Equal(("echohost_bytes_received_total", "framed", "framed", 1.0), (s.Name, s.Labels["endpoint"], s.Labels["protocol"], s.Value)));

        echo = 12;
        var text = harness.Scrape(ExpositionFormat.PrometheusText);
        Assert.Contains("# HELP echohost_bytes_received_total Bytes received.\n# TYPE echohost_bytes_received_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("echohost_bytes_received_total{endpoint=\"echo\",protocol=\"echo\"} 12\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("# EOF", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Up_down_counters_and_gauges_are_gauges_that_follow_their_value_down()
    {
        using var harness = new CollectorHarness();
        var meter = harness.ServiceMeter();
        var active = 6L;
        meter.CreateObservableUpDownCounter("echohost.connections.active", () => new Measurement<long>(active, Tag("endpoint", "echo"), Tag("protocol", "echo"), Tag("transport", "native")));

        Assert.Equal(("gauge", 6.0), (harness.ScrapeOpenMetrics()["echohost_connections_active"].Type, harness.ScrapeOpenMetrics()["echohost_connections_active"].Samples.Single().Value));
        active = 2;
        Assert.Equal(2, harness.ScrapeOpenMetrics()["echohost_connections_active"].Samples.Single().Value);
    }

    [Fact]
    public void Histogram_buckets_are_cumulative_and_end_with_inf_equal_to_count()
    {
        using var harness = new CollectorHarness();
        var histogram = harness.ServiceMeter().CreateHistogram<double>("echohost.handler.duration", "s", "Handler time.");

        foreach (var value in new[] { 0.0001, 0.003, 0.004, 20.0 })
        {
            histogram.Record(value, Tag("type", "echo"));
        }

        histogram.Record(0.5, Tag("type", "stats"));

        var family = harness.ScrapeOpenMetrics()["echohost_handler_duration_seconds"];
        Assert.Equal("histogram", family.Type);
        var echo = family.Samples.Where(s => s.Labels["type"] == "echo").ToList();
        double Bucket(string le) => echo.Single(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal) && s.Labels["le"] == le).Value;
        Assert.Equal(1, Bucket("0.0001"));
        Assert.Equal(1, Bucket("0.0025"));
        Assert.Equal(3, Bucket("0.005"));
        Assert.Equal(3, Bucket("10.0"));
        Assert.Equal(4, Bucket("+Inf"));
        Assert.Equal(MetricsOptions.DefaultHistogramBuckets.Count + 1, echo.Count(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal)));
        Assert.Equal(4, echo.Single(s => s.Name == "echohost_handler_duration_seconds_count").Value);
        Assert.Equal(20.0071, echo.Single(s => s.Name == "echohost_handler_duration_seconds_sum").Value, 9);
        Assert.Equal(1, family.Samples.Single(s => s.Labels["type"] == "stats" && s.Name.EndsWith("_count", StringComparison.Ordinal)).Value);
    }

    [Fact]
    public void Histogram_buckets_come_from_the_options()
    {
        using var harness = new CollectorHarness(new MetricsOptions { HistogramBuckets = [1, 2] });
        harness.ServiceMeter().CreateHistogram<double>("echohost.handler.duration", "s").Record(2, Tag("type", "echo"));

        var buckets = harness.ScrapeOpenMetrics()["echohost_handler_duration_seconds"].Samples.Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal)).ToList();

        Assert.Equal(["1.0", "2.0", "+Inf"], buckets.Select(b => b.Labels["le"]));
        Assert.Equal([0.0, 1.0, 1.0], buckets.Select(b => b.Value));
    }

    [Fact]
    public void Only_this_providers_meters_are_exported()
    {
        using var harness = new CollectorHarness();
        using var other = new CollectorHarness();
        harness.ServiceMeter().CreateObservableCounter("echohost.errors", () => new Measurement<long>(1, Tag("endpoint", "ours"), Tag("code", "timeout")));
        other.ServiceMeter().CreateObservableCounter("echohost.errors", () => new Measurement<long>(7, Tag("endpoint", "theirs"), Tag("code", "timeout")));

        var samples = harness.ScrapeOpenMetrics()["echohost_errors"].Samples;

        Assert.Equal(("ours", 1.0), (samples.Single().Labels["endpoint"], samples.Single().Value));
    }

    [Fact]
    public void A_meter_left_out_of_the_configuration_is_not_exported()
    {
        using var harness = new CollectorHarness(new MetricsOptions { Meters = ["EchoHost.Transport.Native"] });
        harness.ServiceMeter().CreateObservableCounter("echohost.errors", () => new Measurement<long>(1, Tag("endpoint", "framed"), Tag("code", "timeout")));
        harness.MeterFactory.Create("EchoHost.Transport.Native").CreateObservableGauge("echohost.transport.read.buffered", () => 42L);

        var families = harness.ScrapeOpenMetrics();

        Assert.False(families.ContainsKey("echohost_errors"));
        Assert.Equal(42, families["echohost_transport_read_buffered_bytes"].Samples.Single().Value);
    }

    [Fact]
    public void Another_configured_meter_is_exported_through_prometheus_nets_meter_adapter()
    {
        var name = CollectorHarness.UniqueMeterName("Test.Application");
        using var harness = new CollectorHarness(new MetricsOptions { Meters = ["EchoHost", name] });
        using var unlisted = new Meter(name + ".unlisted");
        harness.MeterFactory.Create(name).CreateCounter<long>("orders.placed", description: "Orders placed.").Add(3);
        unlisted.CreateCounter<long>("orders.lost").Add(1);

        var text = harness.Scrape(ExpositionFormat.PrometheusText);

        Assert.Contains("Orders placed.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("orders_lost", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failing_callback_leaves_the_other_instruments_in_the_scrape()
    {
        using var harness = new CollectorHarness();
        var meter = harness.ServiceMeter();
        static long Broken() => throw new InvalidOperationException("broken on purpose");
        meter.CreateObservableCounter("echohost.connections.accepted", (Func<long>)Broken);
        meter.CreateObservableCounter("echohost.tls.handshake.failures", () => new Measurement<long>(42, Tag("endpoint", "tls"), Tag("protocol", "echo")));

        var families = harness.ScrapeOpenMetrics();

        Assert.Equal(42, families["echohost_tls_handshake_failures"].Samples.Single().Value);
        Assert.Empty(families["echohost_connections_accepted"].Samples);
    }

    [Fact]
    public void None_of_prometheus_nets_default_families_is_written()
    {
        using var harness = new CollectorHarness();

        var families = harness.ScrapeOpenMetrics();

        Assert.NotEmpty(families);
        Assert.All(families.Keys, name => Assert.True(
            ExportedFamilies.All.Any(f => f.Name == name || f.Name == name + "_total"),
            $"{name} is not one of the service's families"));
    }

    [Fact]
    public void Concurrent_records_and_scrapes_lose_nothing()
    {
        using var harness = new CollectorHarness();
        var histogram = harness.ServiceMeter().CreateHistogram<double>("echohost.handler.duration", "s");

        Parallel.For(0, 4, worker =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                histogram.Record(i / 10_000.0, Tag("type", worker % 2 == 0 ? "even" : "odd"));
                // prometheus-net reads a histogram's _count and its buckets one after the other: a scrape taken while
                // records arrive may show them a few counts apart, so these are only checked to be well formed.
                if (i % 1000 == 0)
                {
                    Assert.EndsWith("# EOF\n", harness.Scrape(ExpositionFormat.OpenMetricsText), StringComparison.Ordinal);
                }
            }
        });

        // Once the records have stopped, the strict parser holds every bucket to _count.
        var samples = harness.ScrapeOpenMetrics()["echohost_handler_duration_seconds"].Samples;
        Assert.Equal(40_000, samples.Where(s => s.Name == "echohost_handler_duration_seconds_count").Sum(s => s.Value));
    }
}
