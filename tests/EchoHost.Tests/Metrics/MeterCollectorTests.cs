using System.Diagnostics.Metrics;
using EchoHost.Metrics;
using EchoHost.Tests.Support;

namespace EchoHost.Tests.Metrics;

public class MeterCollectorTests
{
    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    [Fact]
    public void Counter_sums_per_tag_set_whatever_the_tag_order()
    {
        var name = CollectorHarness.UniqueMeterName("Test.Counter");
        using var harness = new CollectorHarness(name);
        using var meter = new Meter(name);
        var counter = meter.CreateCounter<long>("test.requests", "{request}", "Requests served.");

        counter.Add(2, Tag("endpoint", "echo"), Tag("code", 5));
        counter.Add(3, Tag("code", 5L), Tag("endpoint", "echo"));
        counter.Add(1, Tag("endpoint", "framed"), Tag("code", 5));

        var family = harness.ScrapeOpenMetrics()["test_requests"];
        Assert.Equal("counter", family.Type);
        Assert.Equal("Requests served.", family.Help);
        Assert.Collection(
            family.Samples,
            s => Assert.Equal(("test_requests_total", "echo", "5", 5.0), (s.Name, s.Labels["endpoint"], s.Labels["code"], s.Value)),
            s => Assert.Equal(("test_requests_total", "framed", "5", 1.0), (s.Name, s.Labels["endpoint"], s.Labels["code"], s.Value)));
        Assert.Contains("test_requests_total{code=\"5\",endpoint=\"echo\"} 5\n", harness.Scrape(ExpositionFormat.PrometheusText), StringComparison.Ordinal);
    }

    [Fact]
    public void Histogram_buckets_are_cumulative_and_end_with_inf_equal_to_count()
    {
        var name = CollectorHarness.UniqueMeterName("Test.Histogram");
        using var harness = new CollectorHarness(name);
        using var meter = new Meter(name);
        var histogram = meter.CreateHistogram<double>("test.handler.duration", "s", "Handler time.");

        foreach (var value in new[] { 0.0001, 0.003, 0.004, 20.0, double.NaN })
        {
            histogram.Record(value, Tag("type", "echo"));
        }

        histogram.Record(0.5, Tag("type", "stats"));

        var family = harness.ScrapeOpenMetrics()["test_handler_duration_seconds"];
        Assert.Equal("histogram", family.Type);
        Assert.Equal("seconds", family.Unit);
        var echo = family.Samples.Where(s => s.Labels["type"] == "echo").ToList();
        double Bucket(string le) => echo.Single(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal) && s.Labels["le"] == le).Value;
        Assert.Equal(1, Bucket("0.0001"));
        Assert.Equal(1, Bucket("0.0025"));
        Assert.Equal(3, Bucket("0.005"));
        Assert.Equal(3, Bucket("10.0"));
        Assert.Equal(4, Bucket("+Inf"));
        Assert.Equal(MetricsOptions.DefaultHistogramBuckets.Count + 1, echo.Count(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal)));
        Assert.Equal(4, echo.Single(s => s.Name == "test_handler_duration_seconds_count").Value);
        Assert.Equal(20.0071, echo.Single(s => s.Name == "test_handler_duration_seconds_sum").Value, 9);
        Assert.Equal(1, family.Samples.Single(s => s.Labels["type"] == "stats" && s.Name.EndsWith("_count", StringComparison.Ordinal)).Value);
    }

    [Fact]
    public void Histogram_buckets_come_from_the_options()
    {
        var name = CollectorHarness.UniqueMeterName("Test.Buckets");
        using var harness = new CollectorHarness(new MetricsOptions { Meters = [name], HistogramBuckets = [1, 2] });
        using var meter = new Meter(name);
        meter.CreateHistogram<int>("test.sizes").Record(2);

        var buckets = harness.ScrapeOpenMetrics()["test_sizes"].Samples.Where(s => s.Name == "test_sizes_bucket").ToList();

        Assert.Equal(["1.0", "2.0", "+Inf"], buckets.Select(b => b.Labels["le"]));
        Assert.Equal([0.0, 1.0, 1.0], buckets.Select(b => b.Value));
    }

    [Fact]
    public void Observable_counters_report_their_latest_values_summed_over_instruments_of_one_name()
    {
        var name = CollectorHarness.UniqueMeterName("Test.Loops");
        using var harness = new CollectorHarness(name);
        using var loop1 = new Meter(name);
        using var loop2 = new Meter(name);
        long reads1 = 3, reads2 = 4, writes = 1;
        loop1.CreateObservableCounter("test.pauses", () => new[]
        {
            new Measurement<long>(reads1, Tag("direction", "read")),
            new Measurement<long>(writes, Tag("direction", "write")),
        }, "{pause}");
        loop2.CreateObservableCounter("test.pauses", () => new Measurement<long>(reads2, Tag("direction", "read")), "{pause}");

        double Reads() => harness.ScrapeOpenMetrics()["test_pauses"].Samples.Single(s => s.Labels["direction"] == "read").Value;

        Assert.Equal(7, Reads());
        Assert.Equal(7, Reads());
        reads1 = 10;
        Assert.Equal(14, Reads());
        Assert.Equal(1, harness.ScrapeOpenMetrics()["test_pauses"].Samples.Single(s => s.Labels["direction"] == "write").Value);
    }

    [Fact]
    public void Up_down_counters_and_gauges_are_gauges()
    {
        var name = CollectorHarness.UniqueMeterName("Test.Gauges");
        using var harness = new CollectorHarness(name);
        using var meter = new Meter(name);
        var inFlight = meter.CreateUpDownCounter<int>("test.in_flight", "{request}");
        var temperature = meter.CreateGauge<double>("test.temperature", "Cel");
        var active = 6L;
        meter.CreateObservableUpDownCounter("test.connections.active", () => active, "{connection}");

        inFlight.Add(5);
        inFlight.Add(-2);
        temperature.Record(21.5);
        temperature.Record(19.25);

        var families = harness.ScrapeOpenMetrics();
        Assert.Equal(("gauge", 3.0), (families["test_in_flight"].Type, families["test_in_flight"].Samples.Single().Value));
        Assert.Equal(("gauge", 19.25), (families["test_temperature_Cel"].Type, families["test_temperature_Cel"].Samples.Single().Value));
        Assert.Equal(("gauge", 6.0), (families["test_connections_active"].Type, families["test_connections_active"].Samples.Single().Value));
    }

    [Fact]
    public void Special_values_and_escapes_survive_both_formats()
    {
        var name = CollectorHarness.UniqueMeterName("Test.Escapes");
        using var harness = new CollectorHarness(name);
        using var meter = new Meter(name);
        const string help = "Odd \"values\"\\ with a\nsecond line.";
        const string path = "C:\\temp\\\"new\"\nline";
        meter.CreateObservableGauge("test.odd", () => new[]
        {
            new Measurement<double>(double.NaN, Tag("case", "nan")),
            new Measurement<double>(double.PositiveInfinity, Tag("case", "inf")),
            new Measurement<double>(double.NegativeInfinity, Tag("case", "-inf")),
            new Measurement<double>(0.1, Tag("case", path)),
        }, description: help);

        var text = harness.Scrape(ExpositionFormat.PrometheusText);
        Assert.Contains("# HELP test_odd Odd \"values\"\\\\ with a\\nsecond line.\n", text, StringComparison.Ordinal);
        Assert.Contains("test_odd{case=\"nan\"} NaN\n", text, StringComparison.Ordinal);
        Assert.Contains("test_odd{case=\"inf\"} +Inf\n", text, StringComparison.Ordinal);
        Assert.Contains("test_odd{case=\"-inf\"} -Inf\n", text, StringComparison.Ordinal);
        Assert.Contains("test_odd{case=\"C:\\\\temp\\\\\\\"new\\\"\\nline\"} 0.1\n", text, StringComparison.Ordinal);

        var family = harness.ScrapeOpenMetrics()["test_odd"];
        Assert.Equal(help, family.Help);
        Assert.Equal(0.1, family.Samples.Single(s => s.Labels["case"] == path).Value);
        Assert.True(double.IsNaN(family.Samples.Single(s => s.Labels["case"] == "nan").Value));
    }

    [Fact]
    public void OpenMetrics_names_counter_families_without_total_and_ends_with_eof()
    {
        var name = CollectorHarness.UniqueMeterName("Test.OpenMetrics");
        using var harness = new CollectorHarness(name);
        using var meter = new Meter(name);
        meter.CreateCounter<long>("test.bytes.received", "By", "Bytes read.").Add(10);
        meter.CreateCounter<double>("test.busy.time", "s", "Busy time.").Add(0.5);

        var text = harness.Scrape(ExpositionFormat.OpenMetrics);

        Assert.Contains("# TYPE test_bytes_received counter\n# HELP test_bytes_received Bytes read.\ntest_bytes_received_total 10\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE test_busy_time_seconds counter\n# UNIT test_busy_time_seconds seconds\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\n# EOF\n", text, StringComparison.Ordinal);
        Assert.Single(text.Split('\n'), l => l == "# EOF");

        var plain = harness.Scrape(ExpositionFormat.PrometheusText);
        Assert.Contains("# HELP test_bytes_received_total Bytes read.\n# TYPE test_bytes_received_total counter\n", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("# EOF", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("# UNIT", plain, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_configured_meters_of_this_provider_are_exported()
    {
        var name = CollectorHarness.UniqueMeterName("Test.Scope");
        using var harness = new CollectorHarness(name);
        using var other = new CollectorHarness(name);
        using var unlisted = new Meter(name + ".unlisted");
        var ours = harness.MeterFactory.Create(name);
        var theirs = other.MeterFactory.Create(name);
        unlisted.CreateCounter<int>("test.unlisted").Add(1);
        ours.CreateCounter<int>("test.ours").Add(1);
        theirs.CreateCounter<int>("test.theirs").Add(1);

        var families = harness.ScrapeOpenMetrics();

        Assert.True(families.ContainsKey("test_ours"));
        Assert.False(families.ContainsKey("test_theirs"));
        Assert.False(families.ContainsKey("test_unlisted"));
    }

    [Fact]
    public void A_failing_callback_leaves_the_other_instruments_in_the_scrape()
    {
        var name = CollectorHarness.UniqueMeterName("Test.Failing");
        using var harness = new CollectorHarness(name);
        using var meter = new Meter(name);
        static long Broken() => throw new InvalidOperationException("broken on purpose");
        meter.CreateObservableGauge("test.broken", (Func<long>)Broken);
        meter.CreateObservableGauge("test.fine", () => 42L);

        var families = harness.ScrapeOpenMetrics();

        Assert.Equal(42, families["test_fine"].Samples.Single().Value);
        Assert.False(families.ContainsKey("test_broken"));
    }

    [Fact]
    public void A_name_taken_by_another_type_is_not_exported_twice()
    {
        var name = CollectorHarness.UniqueMeterName("Test.Clash");
        using var harness = new CollectorHarness(name);
        using var meter = new Meter(name);
        meter.CreateCounter<int>("test.clash").Add(1);
        meter.CreateUpDownCounter<int>("test.clash").Add(7);

        var family = harness.ScrapeOpenMetrics()["test_clash"];

        Assert.Equal(("counter", 1.0), (family.Type, family.Samples.Single().Value));
    }

    [Fact]
    public void Concurrent_measurements_and_scrapes_lose_nothing()
    {
        var name = CollectorHarness.UniqueMeterName("Test.Concurrent");
        using var harness = new CollectorHarness(name);
        using var meter = new Meter(name);
        var counter = meter.CreateCounter<long>("test.hits");
        var histogram = meter.CreateHistogram<double>("test.latency", "s");

        Parallel.For(0, 4, worker =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                counter.Add(1, Tag("worker", worker % 2));
                histogram.Record(i / 10_000.0);
                if (i % 1000 == 0)
                {
                    OpenMetricsParser.Parse(harness.Scrape(ExpositionFormat.OpenMetrics));
                }
            }
        });

        var families = harness.ScrapeOpenMetrics();
        Assert.Equal(40_000, families["test_hits"].Samples.Sum(s => s.Value));
        Assert.Equal(40_000, families["test_latency_seconds"].Samples.Single(s => s.Name == "test_latency_seconds_count").Value);
    }
}
