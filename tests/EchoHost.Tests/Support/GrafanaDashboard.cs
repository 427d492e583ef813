using System.Text.Json;
using System.Text.RegularExpressions;

namespace EchoHost.Tests.Support;

/// <summary>One query of the Grafana dashboard: its panel, its PromQL and its data source.</summary>
internal sealed record DashboardQuery(string Panel, string Expr, string Datasource)
{
    /// <summary>The query as Prometheus can run it: Grafana's variables replaced by what they stand for.</summary>
    public string ForPrometheus(string rateInterval) =>
        Expr.Replace("$__rate_interval", rateInterval, StringComparison.Ordinal)
            .Replace("$job", ".*", StringComparison.Ordinal)
            .Replace("$instance", ".*", StringComparison.Ordinal);
}

/// <summary>deploy/grafana/echohost-dashboard.json, found from the test's folder up to the repository's root.</summary>
internal static partial class GrafanaDashboard
{
    public static JsonDocument Load()
    {
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryFolder.Find(), "deploy", "grafana", "echohost-dashboard.json")));
    }

    public static IReadOnlyList<DashboardQuery> Queries(JsonDocument dashboard) =>
    [
        .. Panels(dashboard.RootElement.GetProperty("panels"))
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => new DashboardQuery(
                p.GetProperty("title").GetString()!,
                t.GetProperty("expr").GetString()!,
                t.GetProperty("datasource").GetProperty("uid").GetString()!))),
    ];

    /// <summary>The metric names a query reads: those of the exporter's namespaces (label names and functions never start so).</summary>
    public static IEnumerable<string> MetricNames(string expr) => MetricName().Matches(expr).Select(m => m.Value);

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

    [GeneratedRegex(@"\b(?:echohost|process|dotnet)_[a-zA-Z0-9_]+")]
    private static partial Regex MetricName();
}
