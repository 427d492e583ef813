using System.Text;

namespace EchoHost.Metrics;

/// <summary>
/// Prometheus names for System.Diagnostics.Metrics instruments, by the OpenTelemetry convention: invalid characters
/// become '_', the unit becomes a suffix unless the name already has it as a word, counters end in <c>_total</c>.
/// </summary>
internal static class PrometheusNaming
{
    private const string TotalSuffix = "_total";

    /// <summary>
    /// The family's base name: sanitized, with the unit's suffix, without <c>_total</c> (that is the name OpenMetrics
    /// gives a counter's family; its samples add <c>_total</c>).
    /// </summary>
    public static string BaseName(string instrumentName, string? unit)
    {
        ArgumentNullException.ThrowIfNull(instrumentName);
        var name = Sanitize(instrumentName);
        if (name.EndsWith(TotalSuffix, StringComparison.Ordinal) && name.Length > TotalSuffix.Length)
        {
            name = name[..^TotalSuffix.Length];
        }

        var suffix = UnitSuffix(unit);
        return suffix.Length == 0 || ContainsWords(name, suffix) ? name : name + "_" + suffix;
    }

    /// <summary>The name of a counter's samples.</summary>
    public static string CounterSampleName(string baseName) => baseName + TotalSuffix;

    /// <summary>A tag name as a label name; one that would start with a digit gets a leading '_'.</summary>
    public static string LabelName(string tagName) => Sanitize(tagName);

    /// <summary>
    /// The suffix a UCUM unit gives a name: <c>By</c> → <c>bytes</c>, <c>s</c> → <c>seconds</c>, <c>By/s</c> →
    /// <c>bytes_per_second</c>; annotations such as <c>{connection}</c> and the dimensionless <c>1</c> give none.
    /// </summary>
    public static string UnitSuffix(string? unit)
    {
        if (string.IsNullOrWhiteSpace(unit))
        {
            return "";
        }

        var withoutAnnotations = StripAnnotations(unit.Trim());
        var slash = withoutAnnotations.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return MainUnit(withoutAnnotations);
        }

        var main = MainUnit(withoutAnnotations[..slash]);
        var per = PerUnit(withoutAnnotations[(slash + 1)..]);
        return (main, per) switch
        {
            (_, "") => main,
            ("", _) => "per_" + per,
            _ => main + "_per_" + per,
        };
    }

    /// <summary>Characters other than ASCII letters, digits and '_' become '_'; runs of '_' collapse to one.</summary>
    public static string Sanitize(string name)
    {
        var builder = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            var valid = char.IsAsciiLetterOrDigit(c) ? c : '_';
            if (valid == '_' && builder.Length > 0 && builder[^1] == '_')
            {
                continue;
            }

            builder.Append(valid);
        }

        if (builder.Length == 0 || char.IsAsciiDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return builder.ToString();
    }

    private static bool ContainsWords(string name, string words) =>
        ("_" + name + "_").Contains("_" + words + "_", StringComparison.Ordinal);

    private static string StripAnnotations(string unit)
    {
        var builder = new StringBuilder(unit.Length);
        var depth = 0;
        foreach (var c in unit)
        {
            switch (c)
            {
                case '{':
                    depth++;
                    break;
                case '}' when depth > 0:
                    depth--;
                    break;
                default:
                    if (depth == 0)
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.ToString();
    }

    private static string MainUnit(string unit) => unit switch
    {
        "" or "1" => "",
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "KBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "bit" => "bits",
        "Hz" => "hertz",
        "%" => "percent",
        _ => Sanitize(unit).Trim('_'),
    };

    private static string PerUnit(string unit) => unit switch
    {
        "" or "1" => "",
        "d" => "day",
        "h" => "hour",
        "min" => "minute",
        "s" => "second",
        _ => Sanitize(unit).Trim('_'),
    };
}
