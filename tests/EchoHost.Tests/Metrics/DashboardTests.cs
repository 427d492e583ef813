using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.RegularExpressions;
using EchoHost.Metrics;
using EchoHost.Tests.Support;

namespace EchoHost.Tests.Metrics;

/// <summary>The Grafana dashboard in deploy/grafana queries metrics the exporter writes, under the names it writes them.</summary>
public partial class DashboardTests
{
    private static JsonDocument LoadDashboard()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "EchoHost.sln")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(directory.FullName, "deploy", "grafana", "echohost-dashboard.json")));
    }

    private static IEnumerable<JsonElement> Panels(JsonElement panels)
    {
        foreach (var panel in panels.EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out var nested))
            {
                foreach (var inner in Panels(nested))
                {
                    yield return inner;
                }
            }
        }
    }

    private static List<(string Panel, string Expr, string Datasource)> Targets(JsonDocument dashboard) =>
    [
        .. Panels(dashboard.RootElement.GetProperty("panels"))
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => (
                p.GetProperty("title").GetString()!,
                t.GetProperty("expr").GetString()!,
                t.GetProperty("datasource").GetProperty("uid").GetString()!))),
    ];

    [Fact]
    public void Every_metric_the_dashboard_queries_is_one_the_exporter_writes()
    {
        var name = CollectorHarness.UniqueMeterName("Test.Dashboard");
        using var harness = new CollectorHarness(name);
        using var meter = new Meter(name);
        ContractInstruments.Create(meter);
        var written = OpenMetricsParser.Parse(harness.Scrape(ExpositionFormat.OpenMetrics))
            .Values.SelectMany(f => f.Samples).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        using var dashboard = LoadDashboard();

        var queried = Targets(dashboard)
            .SelectMany(t => MetricName().Matches(t.Expr).Select(m => (t.Panel, Metric: m.Value)))
            .ToList();

        Assert.All(queried, q => Assert.True(written.Contains(q.Metric), $"Panel '{q.Panel}' queries {q.Metric}, which the exporter does not write."));
        var distinct = queried.Select(q => q.Metric).ToHashSet(StringComparer.Ordinal);
        foreach (var expected in new[]
                 {
                     "echohost_connections_active", "echohost_connections_accepted_total", "echohost_bytes_received_total",
                     "echohost_bytes_sent_total", "echohost_messages_handled_total", "echohost_errors_total",
                     "echohost_handler_duration_seconds_bucket", "echohost_transport_backpressure_pauses_total",
                     "echohost_transport_accept_errors_total", "process_cpu_seconds_total", "process_resident_memory_bytes",
                     "process_open_fds", "process_max_fds", "dotnet_gc_collections_total",
                 })
        {
            Assert.Contains(expected, distinct);
        }
    }

    [Fact]
    public void Panels_use_the_datasource_variable()
    {
        using var dashboard = LoadDashboard();

        var variables = dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray().ToList();
        Assert.Contains(variables, v => v.GetProperty("name").GetString() == "datasource"
            && v.GetProperty("type").GetString() == "datasource" && v.GetProperty("query").GetString() == "prometheus");
        var targets = Targets(dashboard);
        Assert.NotEmpty(targets);
        Assert.All(targets, t => Assert.Equal("${datasource}", t.Datasource));
        Assert.Equal("echohost", dashboard.RootElement.GetProperty("uid").GetString());
    }

    /// <summary>Metric names of the exporter's namespaces; label names and PromQL functions never start so.</summary>
    [GeneratedRegex(@"\b(?:echohost|process|dotnet)_[a-zA-Z0-9_]+")]
    private static partial Regex MetricName();
}
