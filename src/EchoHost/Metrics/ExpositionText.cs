using System.Buffers;
using System.Globalization;
using System.Text;

namespace EchoHost.Metrics;

/// <summary>
/// The pieces of both text formats: escaping of HELP text and label values, and numbers spelled as Prometheus
/// spells them (<c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>; otherwise the shortest invariant form that reads back exactly).
/// </summary>
internal static class ExpositionText
{
    /// <summary>
    /// HELP text: backslash and line feed are escaped in both formats; OpenMetrics escapes the double quote too,
    /// which the 0.0.4 parser would refuse as an unknown escape.
    /// </summary>
    public static string EscapeHelp(string help, ExpositionFormat format)
    {
        ArgumentNullException.ThrowIfNull(help);
        return Escape(help, escapeQuote: format == ExpositionFormat.OpenMetrics);
    }

    /// <summary>A label value: backslash, double quote and line feed escaped (the same in both formats).</summary>
    public static string EscapeLabelValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Escape(value, escapeQuote: true);
    }

    /// <summary>Writes <paramref name="value"/> as a sample value or a <c>le</c> bound.</summary>
    public static void WriteNumber(IBufferWriter<byte> output, double value)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (double.IsNaN(value))
        {
            output.Write("NaN"u8);
        }
        else if (double.IsPositiveInfinity(value))
        {
            output.Write("+Inf"u8);
        }
        else if (double.IsNegativeInfinity(value))
        {
            output.Write("-Inf"u8);
        }
        else
        {
            var span = output.GetSpan(32);
            if (!value.TryFormat(span, out var written, "R", CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException("A double did not fit in 32 bytes.");
            }

            output.Advance(written);
        }
    }

    /// <summary>
    /// A bucket bound in OpenMetrics' canonical form, which both formats accept: <c>1.0</c> rather than <c>1</c>, so
    /// that a series keeps one <c>le</c> whichever format was scraped.
    /// </summary>
    public static string FormatBound(double bound)
    {
        if (double.IsPositiveInfinity(bound))
        {
            return "+Inf";
        }

        var text = bound.ToString("R", CultureInfo.InvariantCulture);
        return text.AsSpan().IndexOfAny('.', 'E') >= 0 || !double.IsFinite(bound) ? text : text + ".0";
    }

    private static string Escape(string text, bool escapeQuote)
    {
        if (text.AsSpan().IndexOfAny('\\', '\n', '"') < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\':
                    builder.Append(@"\\");
                    break;
                case '\n':
                    builder.Append(@"\n");
                    break;
                case '"' when escapeQuote:
                    builder.Append("\\\"");
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        return builder.ToString();
    }
}
