using System.Diagnostics.Metrics;
using EchoHost.Metrics;
using EchoHost.Tests.Support;

namespace EchoHost.Tests.Metrics;

/// <summary>Prometheus's own parser and linter on the text the exporter writes (promtool check metrics).</summary>
public class PromtoolTests
{
    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    [Fact]
    public async Task Promtool_accepts_escapes_histograms_special_values_and_process_metrics()
    {
        var name = CollectorHarness.UniqueMeterName("Test.Promtool");
        using var harness = new CollectorHarness(name);
        using var meter = new Meter(name);
        meter.CreateCounter<long>("test.messages.handled", "{message}", "Messages \"handled\", \\ by type\nand endpoint.")
            .Add(3, Tag("type", "echo"), Tag("endpoint", "a \"quoted\" \\ name\nwith a line feed"));
        var histogram = meter.CreateHistogram<double>("test.handler.duration", "s", "Handler duration.");
        histogram.Record(0.002, Tag("type", "echo"));
        histogram.Record(12, Tag("type", "echo"));
        meter.CreateObservableGauge("test.ratio", () => new[]
        {
            new Measurement<double>(double.NaN, Tag("case", "nan")),
            new Measurement<double>(double.PositiveInfinity, Tag("case", "inf")),
            new Measurement<double>(double.NegativeInfinity, Tag("case", "minus_inf")),
            new Measurement<double>(1e-300, Tag("case", "tiny")),
        }, description: "Odd values.");
        meter.CreateUpDownCounter<long>("test.connections.active", "{connection}", "Open connections.").Add(2, Tag("endpoint", "échø"));

        var text = harness.Scrape(ExpositionFormat.PrometheusText);
        var (exitCode, output) = await PrometheusTools.CheckMetricsAsync(text);

        Assert.True(exitCode == 0 && output.Length == 0, $"promtool exited with {exitCode}:\n{output}\non:\n{text}");
        Assert.Contains("test_handler_duration_seconds_bucket{type=\"echo\",le=\"+Inf\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("test_ratio{case=\"nan\"} NaN", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promtool_rejects_what_the_exporter_must_not_write()
    {
        // The same checker must see a counter without _total and a broken escape: proof that it really checks.
        var (lintCode, lintOutput) = await PrometheusTools.CheckMetricsAsync("# HELP requests Requests.\n# TYPE requests counter\nrequests 1\n");
        var (parseCode, parseOutput) = await PrometheusTools.CheckMetricsAsync("# HELP x X.\n# TYPE x gauge\nx{a=\"\\q\"} 1\n");

        Assert.NotEqual(0, lintCode);
        Assert.Contains("_total", lintOutput, StringComparison.Ordinal);
        Assert.NotEqual(0, parseCode);
        Assert.NotEmpty(parseOutput);
    }
}
