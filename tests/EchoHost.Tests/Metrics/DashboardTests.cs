using System.Diagnostics.Metrics;
using EchoHost.Tests.Support;

namespace EchoHost.Tests.Metrics;

/// <summary>The Grafana dashboard in deploy/grafana queries metrics the exporter writes, under the names it writes them.</summary>
public class DashboardTests
{
    [Fact]
    public void Every_metric_the_dashboard_queries_is_one_the_exporter_writes()
    {
        using var harness = new CollectorHarness();
        ContractInstruments.Create(harness.ServiceMeter(), harness.MeterFactory.Create("EchoHost.Transport.Native"));
        var written = harness.ScrapeOpenMetrics()
            .Values.SelectMany(f => f.Samples).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        using var dashboard = GrafanaDashboard.Load();

        var queried = GrafanaDashboard.Queries(dashboard)
            .SelectMany(q => GrafanaDashboard.MetricNames(q.Expr).Select(metric => (q.Panel, Metric: metric)))
            .ToList();

        Assert.All(queried, q => Assert.True(written.Contains(q.Metric), $"Panel '{q.Panel}' queries {q.Metric}, which the exporter does not write."));
        var distinct = queried.Select(q => q.Metric).ToHashSet(StringComparer.Ordinal);
        foreach (var expected in new[]
                 {
                     "echohost_connections_active", "echohost_connections_accepted_total", "echohost_bytes_received_total",
                     "echohost_bytes_sent_total", "echohost_messages_handled_total", "echohost_errors_total",
                     "echohost_handler_duration_seconds_bucket", "echohost_transport_backpressure_pauses_total",
                     "echohost_transport_accept_errors_total", "echohost_connections_rejected_total", "echohost_connections_timed_out_total",
                     "process_cpu_seconds_total", "process_resident_memory_bytes",
                     "process_open_fds", "process_max_fds", "dotnet_gc_collections_total",
                 })
        {
            Assert.Contains(expected, distinct);
        }
    }

    [Fact]
    public void Panels_use_the_datasource_variable()
    {
        using var dashboard = GrafanaDashboard.Load();

        var variables = dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray().ToList();
        Assert.Contains(variables, v => v.GetProperty("name").GetString() == "datasource"
            && v.GetProperty("type").GetString() == "datasource" && v.GetProperty("query").GetString() == "prometheus");
        var queries = GrafanaDashboard.Queries(dashboard);
        Assert.NotEmpty(queries);
        Assert.All(queries, q => Assert.Equal("${datasource}", q.Datasource));
        Assert.Equal("echohost", dashboard.RootElement.GetProperty("uid").GetString());
    }
}
