using System.Diagnostics.Metrics;
using Prometheus;
using EchoHost.Tests.Support;

namespace EchoHost.Tests.Metrics;

/// <summary>Prometheus's own parser and linter on the text the exporter writes (promtool check metrics).</summary>
public class PromtoolTests
{
    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    [Fact]
    public async Task Promtool_accepts_escapes_histograms_and_process_metrics()
    {
        using var harness = new CollectorHarness();
        var meter = harness.ServiceMeter();
        ContractInstruments.Create(meter, harness.MeterFactory.Create("EchoHost.Transport.Native"));
        meter.CreateObservableCounter("echohost.messages.handled", () => new Measurement<long>(3, Tag("type", "echo"), Tag("endpoint", "a \"quoted\" \\ name\nwith a line feed")), "{message}", "Messages handled, by type and endpoint.");
        var histogram = meter.CreateHistogram<double>("echohost.handler.duration", "s", "Handler duration.");
        histogram.Record(0.002, Tag("type", "echo"));
        histogram.Record(12, Tag("type", "echo"));
        meter.CreateObservableUpDownCounter("echohost.connections.active", () => new Measurement<long>(2, Tag("endpoint", "échø"), Tag("protocol", "echo"), Tag("transport", "native")), "{connection}", "Open connections.");

        var text = harness.Scrape(ExpositionFormat.PrometheusText);
        var (exitCode, output) = await PrometheusTools.CheckMetricsAsync(text);

        Assert.True(exitCode == 0 && output.Length == 0, $"promtool exited with {exitCode}:\n{output}\non:\n{text}");
        Assert.Contains("echohost_handler_duration_seconds_bucket{type=\"echo\",le=\"+Inf\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("endpoint=\"a \\\"quoted\\\" \\\\ name\\nwith a line feed\"", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE process_cpu_seconds_total counter", text, StringComparison.Ordinal);
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
