using System.Globalization;
using System.Text;

namespace EchoHost.Metrics;

/// <summary>
/// The tags of one series, kept as the instrument reported them (to recognise the next measurement without
/// formatting anything) and rendered once as the UTF-8 label list <c>a="x",b="y"</c>, sorted by label name.
/// </summary>
internal sealed class LabelSet
{
    private readonly KeyValuePair<string, object?>[] _tags;

    private LabelSet(KeyValuePair<string, object?>[] tags, byte[] rendered)
    {
        _tags = tags;
        Rendered = rendered;
    }

    /// <summary>The label list without braces; empty for a series without tags.</summary>
    public byte[] Rendered { get; }

    public static LabelSet Create(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = new (string Name, string Value)[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            labels[i] = (PrometheusNaming.LabelName(tags[i].Key), FormatValue(tags[i].Value));
        }

        Array.Sort(labels, (a, b) => string.CompareOrdinal(a.Name, b.Name));
        var builder = new StringBuilder();
        string? previous = null;
        foreach (var (name, value) in labels)
        {
            // Two tags that sanitize to one label name would make the series invalid; the first one wins.
            if (name == previous)
            {
                continue;
            }

            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append(name).Append("=\"").Append(ExpositionText.EscapeLabelValue(value)).Append('"');
            previous = name;
        }

        return new LabelSet(tags.ToArray(), Encoding.UTF8.GetBytes(builder.ToString()));
    }

    /// <summary>Whether <paramref name="tags"/> are this set's, in any order.</summary>
    public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length != _tags.Length)
        {
            return false;
        }

        for (var i = 0; i < tags.Length; i++)
        {
            // Instruments report their tags in the same order every time: try the same position first.
            var found = string.Equals(tags[i].Key, _tags[i].Key, StringComparison.Ordinal)
                ? SameValue(tags[i].Value, _tags[i].Value)
                : FindValue(tags[i].Key, out var stored) && SameValue(tags[i].Value, stored);
            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    private bool FindValue(string key, out object? value)
    {
        foreach (var tag in _tags)
        {
            if (string.Equals(tag.Key, key, StringComparison.Ordinal))
            {
                value = tag.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <summary>Equal values, or values of different types that render alike (5 as int and as long): one label value, one series.</summary>
    private static bool SameValue(object? reported, object? stored) =>
        Equals(reported, stored)
        || (reported?.GetType() != stored?.GetType() && string.Equals(FormatValue(reported), FormatValue(stored), StringComparison.Ordinal));

    private static string FormatValue(object? value) => value switch
    {
        null => "",
        string text => text,
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
