using System.Globalization;
using System.Xml.Linq;

namespace EchoHost.LoadGen.Compare;

/// <summary>
/// The report of a comparison: one XHTML page with inline SVG charts (each scenario's headline figure per server, and
/// latency percentiles), the summary table and the machine. Built as XML, so it is well-formed by construction.
/// </summary>
internal static class HtmlReport
{
    private static readonly XNamespace s_html = "http://www.w3.org/1999/xhtml";
    private static readonly XNamespace s_svg = "http://www.w3.org/2000/svg";
    private static readonly string[] s_colors = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"];
    private static readonly (string Name, Func<Output.LatencySummary, double> Read)[] s_percentiles =
        [("p50", l => l.P50), ("p90", l => l.P90), ("p99", l => l.P99), ("p99.9", l => l.P999)];

    private const string Style = """
        body { font-family: sans-serif; margin: 2em; color: #222; }
        table { border-collapse: collapse; margin: 1em 0; }
        td, th { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
        td:first-child, th:first-child, td:nth-child(2) { text-align: left; }
        svg text { font-size: 12px; font-family: sans-serif; }
        """;

    public static string Render(ComparisonResults results)
    {
        var participants = results.Summary.SelectMany(r => r.Medians.Keys).Distinct().ToList();
        var color = participants.Select((p, i) => (p, s_colors[i % s_colors.Length])).ToDictionary(x => x.p, x => x.Item2);
        var body = new XElement(s_html + "body",
            new XElement(s_html + "h1", "EchoHost benchmark comparison"),
            new XElement(s_html + "p", $"Started {results.Started}; {results.Rounds} round(s), servers taking turns; medians over the rounds; ratios to {results.Baseline}."),
            MachineList(results));
        foreach (var row in results.Summary.Where(r => r.Headline && r.Medians.Count > 0))
        {
            body.Add(new XElement(s_html + "h2", row.Title),
                BarChart(row, color));
            var latency = LatencyChart(results, row.Scenario, color);
            if (latency is not null)
            {
                body.Add(new XElement(s_html + "h3", $"{row.Title}: latency percentiles (µs, median over the rounds)"), latency);
            }
        }

        body.Add(new XElement(s_html + "h2", "All figures"), Table(results, participants));
        var document = new XDocument(
            new XDocumentType("html", null, null, null),
            new XElement(s_html + "html",
                new XElement(s_html + "head",
                    new XElement(s_html + "meta", new XAttribute("charset", "utf-8")),
                    new XElement(s_html + "title", "EchoHost benchmark comparison"),
                    new XElement(s_html + "style", Style)),
                body));
        return document.Declaration + document.ToString();
    }

    private static XElement MachineList(ComparisonResults results)
    {
        var m = results.Machine;
        return new XElement(s_html + "ul",
            new XElement(s_html + "li", $"Machine: {m.Cpus} CPUs ({m.Cpu}), {m.Kernel}, {m.Runtime}"),
            new XElement(s_html + "li", $"Pinning: {m.Pinning}; load average before the run: {m.LoadAverage}"),
            new XElement(s_html + "li", $"Command: {m.Command}"),
            results.Servers.Select(s => new XElement(s_html + "li", $"{s.Name}: {s.Command}")));
    }

    /// <summary>Horizontal bars: the row's median per participant, with the value and the ratio to the baseline.</summary>
    private static XElement BarChart(SummaryRow row, Dictionary<string, string> color)
    {
        const int barHeight = 22, left = 120, width = 460, right = 240;
        var max = row.Medians.Values.DefaultIfEmpty(1).Max();
        var svg = Svg(left + width + right, (row.Medians.Count * (barHeight + 6)) + 30, $"{row.Metric} ({row.Unit})");
        var y = 4;
        foreach (var (participant, median) in row.Medians)
        {
            var length = max > 0 ? median / max * width : 0;
            var ratio = row.Ratios.TryGetValue(participant, out var r) ? string.Create(CultureInfo.InvariantCulture, $" ({r:F2}× {row.Baseline})") : "";
            var errors = row.Errors.GetValueOrDefault(participant);
            svg.Add(
                Text(left - 6, y + 15, participant, "end"),
                new XElement(s_svg + "rect", Attr("x", left), Attr("y", y), Attr("width", Math.Max(length, 1)), Attr("height", barHeight), new XAttribute("fill", color[participant]),
                    new XAttribute("data-participant", participant), Attr("data-value", median)),
                Text(left + length + 6, y + 15, SummaryTable.Number(median) + " " + row.Unit + ratio + (errors > 0 ? $", {errors} errors" : ""), "start"));
            y += barHeight + 6;
        }

        svg.Add(Text(left, y + 16, $"{row.Metric} ({row.Unit}), {(row.HigherIsBetter ? "higher" : "lower")} is better", "start"));
        return svg;
    }

    /// <summary>Grouped bars of p50 … p99.9 per participant, when the scenario's runs have latencies.</summary>
    private static XElement? LatencyChart(ComparisonResults results, string scenario, Dictionary<string, string> color)
    {
        var byParticipant = results.Runs
            .Where(r => r.Scenario == scenario && r.Result is { Latency.Count: > 0, Workload: not ("burst" or "hold") } && r.Result.Latency.P50 > 0)
            .GroupBy(r => r.Participant)
            .ToDictionary(g => g.Key, g => s_percentiles.Select(p => CompareRunner.Median(g.Select(r => p.Read(r.Result!.Latency)).ToList())).ToArray());
        if (byParticipant.Count == 0)
        {
            return null;
        }

        const int top = 10, height = 200, left = 60, groupWidth = 140, bottom = 50;
        var max = byParticipant.Values.SelectMany(v => v).DefaultIfEmpty(1).Max();
        var svg = Svg(left + (groupWidth * s_percentiles.Length) + 20, top + height + bottom, "latency percentiles");
        svg.Add(new XElement(s_svg + "line", Attr("x1", left), Attr("y1", top + height), Attr("x2", left + (groupWidth * s_percentiles.Length)), Attr("y2", top + height), new XAttribute("stroke", "#444")),
            Text(left - 6, top + 10, SummaryTable.Number(max), "end"),
            Text(left - 6, top + height, "0", "end"));
        var barWidth = (groupWidth - 20) / byParticipant.Count;
        for (var p = 0; p < s_percentiles.Length; p++)
        {
            var x = left + (p * groupWidth) + 10;
            svg.Add(Text(x + ((groupWidth - 20) / 2), top + height + 16, s_percentiles[p].Name, "middle"));
            foreach (var (participant, values) in byParticipant)
            {
                var h = max > 0 ? values[p] / max * height : 0;
                svg.Add(new XElement(s_svg + "rect", Attr("x", x), Attr("y", top + height - h), Attr("width", barWidth - 2), Attr("height", Math.Max(h, 0.5)), new XAttribute("fill", color.GetValueOrDefault(participant, "#888")),
                    new XAttribute("data-participant", participant), Attr("data-value", values[p]),
                    new XElement(s_svg + "title", $"{participant} {s_percentiles[p].Name}: {SummaryTable.Number(values[p])} µs")));
                x += barWidth;
            }
        }

        var legendX = left;
        foreach (var participant in byParticipant.Keys)
        {
            svg.Add(new XElement(s_svg + "rect", Attr("x", legendX), Attr("y", top + height + 28), Attr("width", 12), Attr("height", 12), new XAttribute("fill", color.GetValueOrDefault(participant, "#888"))),
                Text(legendX + 16, top + height + 39, participant, "start"));
            legendX += 110;
        }

        return svg;
    }

    private static XElement Table(ComparisonResults results, List<string> participants)
    {
        var table = new XElement(s_html + "table",
            new XElement(s_html + "tr",
                new XElement(s_html + "th", "scenario"), new XElement(s_html + "th", "metric"),
                participants.Select(p => new XElement(s_html + "th", p)),
                new XElement(s_html + "th", "ratios")));
        foreach (var row in results.Summary)
        {
            table.Add(new XElement(s_html + "tr",
                new XElement(s_html + "td", row.Headline ? row.Title : ""),
                new XElement(s_html + "td", $"{row.Metric} ({row.Unit})"),
                participants.Select(p => new XElement(s_html + "td", row.Medians.TryGetValue(p, out var v) ? SummaryTable.Number(v, row.Unit) : "–")),
                new XElement(s_html + "td", string.Join(", ", row.Ratios.Where(r => r.Key != row.Baseline).Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Key}/{row.Baseline} {r.Value:F2}"))))));
        }

        return table;
    }

    private static XElement Svg(int width, int height, string label) =>
        new(s_svg + "svg", Attr("width", width), Attr("height", height), new XAttribute("viewBox", $"0 0 {width} {height}"), new XAttribute("role", "img"), new XAttribute("aria-label", label));

    private static XElement Text(double x, double y, string text, string anchor) =>
        new(s_svg + "text", Attr("x", x), Attr("y", y), new XAttribute("text-anchor", anchor), text);

    private static XAttribute Attr(string name, double value) => new(name, value.ToString("0.##", CultureInfo.InvariantCulture));
}
