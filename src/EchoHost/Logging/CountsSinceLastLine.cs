using System.Text;

namespace EchoHost.Logging;

/// <summary>
/// What a summary line says of counters that only grow (refusals, closes for bad input): how much each grew since the
/// last line, as <c>name count, name count</c>, so that one line per interval can stand for a flood of events.
/// </summary>
internal sealed class CountsSinceLastLine(string[] names)
{
    private readonly long[] _logged = new long[names.Length];

    /// <summary>
    /// The counters of <paramref name="counts"/> (read with <see cref="Volatile.Read(ref long)"/>) that grew since the
    /// last call, described, with their total growth; null when none did. Calls must not overlap.
    /// </summary>
    public string? Describe(long[] counts, out long total)
    {
        total = 0;
        StringBuilder? text = null;
        for (var i = 0; i < counts.Length; i++)
        {
            var counted = Volatile.Read(ref counts[i]);
            var grown = counted - _logged[i];
            _logged[i] = counted;
            if (grown > 0)
            {
                total += grown;
                text = (text is null ? new StringBuilder() : text.Append(", ")).Append(names[i]).Append(' ').Append(grown);
            }
        }

        return text?.ToString();
    }
}
