using System.Globalization;
using System.Text;
using EchoHost.LoadGen.Engine;

namespace EchoHost.LoadGen.Soak;

/// <summary>What one phase of load did, over its workers and hostile connections.</summary>
internal sealed record LoadFigures
{
    public required double Seconds { get; init; }

    public required long Opened { get; init; }

    public required long ClosedGracefully { get; init; }

    public required long ClosedByReset { get; init; }

    public required long Messages { get; init; }

    public required long Bytes { get; init; }

    /// <summary>Failures of the well-behaved connections, by <see cref="ErrorKind"/>.</summary>
    public required long[] Errors { get; init; }

    public required IReadOnlyList<string> FirstErrors { get; init; }

    public required long Hostile { get; init; }

    public required long HostileConnectFailures { get; init; }

    /// <summary>Answers that were not what was sent or asked for: a mismatch or something not asked for.</summary>
    public long WrongEchoes => Errors[(int)ErrorKind.Mismatch] + Errors[(int)ErrorKind.Unexpected];

    public static LoadFigures From(TimeSpan duration, List<Worker> workers, List<ChurnDriver> drivers, HostileClients hostile)
    {
        var errors = new long[ErrorKinds.Count];
        foreach (var worker in workers)
        {
            for (var k = 0; k < errors.Length; k++)
            {
                errors[k] += worker.Errors[k];
            }
        }

        return new LoadFigures
        {
            Seconds = duration.TotalSeconds,
            Opened = workers.Sum(w => (long)w.OpenedTotal),
            ClosedGracefully = drivers.Sum(d => d.Graceful),
            ClosedByReset = drivers.Sum(d => d.Resets),
            Messages = workers.Sum(w => w.CompletedTotal),
            Bytes = workers.Sum(w => w.BytesReceived),
            Errors = errors,
            FirstErrors = [.. workers.SelectMany(w => w.FirstErrors).Take(5)],
            Hostile = hostile.Made.Sum(),
            HostileConnectFailures = hostile.ConnectFailures,
        };
    }
}

/// <summary>The soak's figures, its verdict and the table that shows them.</summary>
internal sealed record SoakReport(SoakSettings Settings, LoadFigures Warmup, LoadFigures Load, ServerFigures Start, ServerFigures End, bool ServerAlive, string ServerLog)
{
    public long WrongEchoes => Warmup.WrongEchoes + Load.WrongEchoes;

    public long RssMarginKib => Start.RssKib is long rss ? (Settings.RssMarginMib * 1024L) + (rss * Settings.RssMarginPercent / 100) : 0;

    /// <summary>Why the soak failed; empty when it passed.</summary>
    public IReadOnlyList<string> Failures
    {
        get
        {
            var failures = new List<string>();
            if (WrongEchoes > 0)
            {
                failures.Add($"{WrongEchoes} wrong echoes");
            }

            if (!ServerAlive)
            {
                failures.Add("the server exited");
            }

            if (Start.Descriptors is not int fd0 || End.Descriptors is not int fd1)
            {
                failures.Add("the server's descriptors could not be read");
            }
            else if (fd1 > fd0 + Settings.DescriptorMargin)
            {
                failures.Add($"descriptors grew from {fd0} to {fd1} (margin {Settings.DescriptorMargin})");
            }

            if (Start.RssKib is not long rss0 || End.RssKib is not long rss1)
            {
                failures.Add("the server's RSS could not be read");
            }
            else if (rss1 > rss0 + RssMarginKib)
            {
                failures.Add(Invariant($"RSS grew from {rss0 / 1024.0:F1} MiB to {rss1 / 1024.0:F1} MiB (margin {RssMarginKib / 1024.0:F1} MiB)"));
            }

            return failures;
        }
    }

    public string Format()
    {
        var l = Load;
        var errors = string.Join(", ", Enumerable.Range(0, ErrorKinds.Count).Where(k => l.Errors[k] > 0).Select(k => Invariant($"{ErrorKinds.Name((ErrorKind)k)} {l.Errors[k]:N0}")));
        var rows = new List<(string, string)>
        {
            ("server", $"EchoHost ({Settings.Server}), log {ServerLog}"),
            ("duration", Invariant($"{l.Seconds:F0} s after {Warmup.Seconds:F0} s of warm-up")),
            ("connections opened", Invariant($"{l.Opened:N0} well-behaved ({l.ClosedGracefully:N0} closed with FIN, {l.ClosedByReset:N0} with reset) + {l.Hostile:N0} hostile")),
            ("messages", Invariant($"{l.Messages:N0} verified ({l.Messages / Math.Max(1, l.Seconds):N0}/s)")),
            ("bytes", Invariant($"{l.Bytes:N0} received and verified")),
            ("wrong echoes", Invariant($"{WrongEchoes:N0}")),
            ("errors", errors.Length == 0 ? "none" : errors),
            ("hostile not accepted", Invariant($"{l.HostileConnectFailures:N0}")),
            ("descriptors start/end", Invariant($"{Start.Descriptors} / {End.Descriptors} (margin {Settings.DescriptorMargin})")),
            ("RSS start/end", Invariant($"{Start.RssKib / 1024.0:F1} / {End.RssKib / 1024.0:F1} MiB (margin {RssMarginKib / 1024.0:F1} MiB)")),
            ("verdict", Failures.Count == 0 ? "pass" : "FAIL: " + string.Join("; ", Failures)),
        };
        var width = rows.Max(r => r.Item1.Length);
        var text = new StringBuilder();
        foreach (var (name, value) in rows)
        {
            text.Append(name.PadRight(width + 2)).AppendLine(value);
        }

        foreach (var error in l.FirstErrors.Concat(Warmup.FirstErrors).Take(5))
        {
            text.Append("  ").AppendLine(error);
        }

        return text.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
