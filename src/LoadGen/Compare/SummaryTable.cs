using System.Globalization;
using System.Text;

namespace EchoHost.LoadGen.Compare;

/// <summary>The summary of a comparison as a Markdown table (printed at the end of a run, pasted into the docs).</summary>
internal static class SummaryTable
{
    public static string Format(ComparisonResults results)
    {
        var participants = results.Summary.SelectMany(r => r.Medians.Keys).Distinct().ToList();
        var text = new StringBuilder();
        text.Append("| scenario | metric | ").AppendJoin(" | ", participants).Append(" | ratios |").AppendLine();
        text.Append("|---|---|").Append(string.Concat(participants.Select(_ => "---:|"))).AppendLine("---|");
        foreach (var row in results.Summary)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {(row.Headline ? row.Title : "")} | {row.Metric} ({row.Unit}) |");
            foreach (var participant in participants)
            {
                var errors = row.Errors.GetValueOrDefault(participant);
                text.Append(' ')
                    .Append(row.Medians.TryGetValue(participant, out var median) ? Number(median, row.Unit) : "–")
                    .Append(row.Headline && errors > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({errors} errors)") : "")
                    .Append(" |");
            }

            var ratios = row.Ratios.Where(r => r.Key != row.Baseline).Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Key}/{row.Baseline} {r.Value:F2}"));
            text.Append(' ').AppendJoin(", ", ratios).AppendLine(" |");
        }

        return text.ToString();
    }

    /// <summary>A figure in its unit: counts whole, others with three or four significant digits.</summary>
    public static string Number(double value, string unit) =>
        unit == "count" ? value.ToString("N0", CultureInfo.InvariantCulture) : Number(value);

    public static string Number(double value) => value switch
    {
        >= 1000 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 100 => value.ToString("F0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("F1", CultureInfo.InvariantCulture),
        _ => value.ToString("F2", CultureInfo.InvariantCulture),
    };
}
