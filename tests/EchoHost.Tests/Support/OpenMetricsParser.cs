using System.Globalization;
using System.Text;

namespace EchoHost.Tests.Support;

/// <summary>One sample line: its name, its labels (unescaped) and its value.</summary>
internal sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>One family: its TYPE, HELP and UNIT (unescaped) and its samples in order.</summary>
internal sealed record MetricFamilyText(string Name, string Type, string? Help, string? Unit, IReadOnlyList<MetricSample> Samples);

/// <summary>
/// A strict reader of OpenMetrics 1.0 text as the exporter writes it: it throws <see cref="FormatException"/> on
/// what the specification forbids and the checks here cover (<c># EOF</c> last, samples inside their family, a
/// family once, counter samples in <c>_total</c>, UNIT a suffix of the name, histogram buckets cumulative and ending
/// with <c>+Inf</c> equal to <c>_count</c>).
/// </summary>
internal static class OpenMetricsParser
{
    public static IReadOnlyDictionary<string, MetricFamilyText> Parse(string text)
    {
        if (!text.EndsWith("# EOF\n", StringComparison.Ordinal))
        {
            throw new FormatException("The exposition does not end with '# EOF' and a line feed.");
        }

        var lines = text[..^"# EOF\n".Length].Split('\n');
        if (lines[^1].Length != 0)
        {
            throw new FormatException("The line before '# EOF' has no line feed.");
        }

        var families = new Dictionary<string, MetricFamilyText>(StringComparer.Ordinal);
        string? name = null;
        string? type = null;
        string? help = null;
        string? unit = null;
        List<MetricSample> samples = [];

        void Close()
        {
            if (name is null)
            {
                return;
            }

            var family = new MetricFamilyText(name, type ?? "unknown", help, unit, samples);
            CheckFamily(family);
            families.Add(name, family);
        }

        foreach (var line in lines[..^1])
        {
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length < 4 || parts[0] != "#")
                {
                    throw new FormatException($"Malformed metadata line '{line}'.");
                }

                if (parts[2] != name)
                {
                    Close();
                    if (families.ContainsKey(parts[2]))
                    {
                        throw new FormatException($"Family {parts[2]} appears twice.");
                    }

                    (name, type, help, unit, samples) = (parts[2], null, null, null, []);
                }

                switch (parts[1])
                {
                    case "TYPE":
                        type = parts[3];
                        break;
                    case "HELP":
                        help = Unescape(parts[3], line);
                        break;
                    case "UNIT":
                        unit = parts[3];
                        break;
                    default:
                        throw new FormatException($"Unknown metadata '{parts[1]}' in '{line}'.");
                }

                continue;
            }

            if (name is null)
            {
                throw new FormatException($"Sample before any family: '{line}'.");
            }

            var sample = ParseSample(line);
            if (!BelongsTo(sample.Name, name, type))
            {
                throw new FormatException($"Sample {sample.Name} is not part of family {name} ({type}).");
            }

            samples.Add(sample);
        }

        Close();
        return families;
    }

    private static bool BelongsTo(string sample, string family, string? type) => type switch
    {
        "counter" => sample == family + "_total" || sample == family + "_created",
        "histogram" => sample == family + "_bucket" || sample == family + "_sum" || sample == family + "_count" || sample == family + "_created",
        _ => sample == family,
    };

    private static void CheckFamily(MetricFamilyText family)
    {
        if (family.Unit is { } unit && !family.Name.EndsWith("_" + unit, StringComparison.Ordinal))
        {
            throw new FormatException($"UNIT {unit} is not a suffix of family {family.Name}.");
        }

        if (family.Type == "counter" && family.Samples.Any(s => !s.Name.EndsWith("_total", StringComparison.Ordinal) && !s.Name.EndsWith("_created", StringComparison.Ordinal)))
        {
            throw new FormatException($"Counter {family.Name} has a sample without _total.");
        }

        if (family.Type == "histogram")
        {
            CheckHistogram(family);
        }
    }

    private static void CheckHistogram(MetricFamilyText family)
    {
        foreach (var series in family.Samples.GroupBy(s => SeriesKey(s.Labels)))
        {
            var buckets = series.Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal)).ToList();
            if (buckets.Count == 0 || buckets[^1].Labels["le"] != "+Inf")
            {
                throw new FormatException($"Histogram {family.Name}{{{series.Key}}} does not end its buckets with le=\"+Inf\".");
            }

            double previousBound = double.NegativeInfinity;
            double previousCount = 0;
            foreach (var bucket in buckets)
            {
                var bound = ParseNumber(bucket.Labels["le"]);
                if (bound <= previousBound || bucket.Value < previousCount)
                {
                    throw new FormatException($"Histogram {family.Name}{{{series.Key}}}: bucket le={bucket.Labels["le"]} is out of order or not cumulative.");
                }

                (previousBound, previousCount) = (bound, bucket.Value);
            }

            var count = series.SingleOrDefault(s => s.Name == family.Name + "_count")
                ?? throw new FormatException($"Histogram {family.Name}{{{series.Key}}} has no _count.");
            if (count.Value != buckets[^1].Value)
            {
                throw new FormatException($"Histogram {family.Name}{{{series.Key}}}: +Inf bucket {buckets[^1].Value} differs from _count {count.Value}.");
            }

            if (!series.Any(s => s.Name == family.Name + "_sum"))
            {
                throw new FormatException($"Histogram {family.Name}{{{series.Key}}} has no _sum.");
            }
        }
    }

    private static string SeriesKey(IReadOnlyDictionary<string, string> labels) =>
        string.Join(",", labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

    private static MetricSample ParseSample(string line)
    {
        var position = 0;
        while (position < line.Length && line[position] != '{' && line[position] != ' ')
        {
            position++;
        }

        var name = line[..position];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (position < line.Length && line[position] == '{')
        {
            position++;
            while (line[position] != '}')
            {
                var equals = line.IndexOf('=', position);
                var label = line[position..equals];
                if (line[equals + 1] != '"')
                {
                    throw new FormatException($"Label {label} is not quoted in '{line}'.");
                }

                var value = new StringBuilder();
                position = equals + 2;
                while (line[position] != '"')
                {
                    if (line[position] == '\\')
                    {
                        position++;
                        value.Append(line[position] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new FormatException($"Invalid escape in '{line}'."),
                        });
                    }
                    else
                    {
                        value.Append(line[position]);
                    }

                    position++;
                }

                if (!labels.TryAdd(label, value.ToString()))
                {
                    throw new FormatException($"Label {label} appears twice in '{line}'.");
                }

                position++;
                if (line[position] == ',')
                {
                    position++;
                }
            }

            position++;
        }

        if (position >= line.Length || line[position] != ' ')
        {
            throw new FormatException($"No value in '{line}'.");
        }

        var fields = line[(position + 1)..].Split(' ');
        if (fields.Length > 2)
        {
            throw new FormatException($"Too many fields in '{line}'.");
        }

        return new MetricSample(name, labels, ParseNumber(fields[0]));
    }

    private static double ParseNumber(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static string Unescape(string text, string line)
    {
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                if (text[i] == '"')
                {
                    throw new FormatException($"Unescaped double quote in '{line}'.");
                }

                builder.Append(text[i]);
                continue;
            }

            i++;
            builder.Append(text[i] switch
            {
                '\\' => '\\',
                '"' => '"',
                'n' => '\n',
                _ => throw new FormatException($"Invalid escape in '{line}'."),
            });
        }

        return builder.ToString();
    }
}
