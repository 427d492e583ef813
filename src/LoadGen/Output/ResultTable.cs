using System.Globalization;
using System.Text;

namespace EchoHost.LoadGen.Output;

/// <summary>A run's result as a small table for people.</summary>
internal static class ResultTable
{
    public static string Format(RunResult result)
    {
        var rows = new List<(string Name, string Value)>
        {
            ("workload", $"{result.Workload} against {result.Target}"),
            ("connections", Invariant($"{result.Connections:N0} over {result.Workers} worker(s), {result.SourceAddresses} source address(es)")),
            ("message", Invariant($"{result.Size:N0} B ({result.WireSize:N0} B on the wire)")),
        };
        if (result.Rate is double rate)
        {
            rows.Add(("rate asked", Invariant($"{rate:N0} messages/s")));
        }

        if (result.WallMilliseconds is double wall)
        {
            rows.Add(("wall time", Invariant($"{wall:N1} ms for {result.Messages:N0} clients (every connect issued in {result.ConnectsIssuedMilliseconds:N1} ms)")));
            if (result.Kernel is { } k)
            {
                rows.Add(("kernel", Invariant($"{k.ListenOverflows:N0} listen overflows, {k.ListenDrops:N0} listen drops, {k.SynRetransmits:N0} SYN retransmits, {k.RetransmittedSegments:N0} retransmitted segments (system-wide)")));
            }
        }
        else if (result.AliveAfterHold is long alive)
        {
            rows.Add(("held", Invariant($"{result.Messages:N0} opened and verified in {result.Seconds:F2} s; {alive:N0} echoed again after the hold")));
            if (result.KibPerConnection is double perConnection)
            {
                rows.Add(("server RSS", Invariant($"{result.IdleRssKib:N0} KiB idle, {result.HeldRssKib:N0} KiB held: {perConnection:F2} KiB per connection")));
            }
        }
        else
        {
            rows.Add(("throughput", Invariant($"{result.MessagesPerSecond:N0} messages/s ({result.Messages:N0} in {result.Seconds:F2} s after {result.WarmupSeconds:F1} s warm-up)")));
        }

        var l = result.Latency;
        rows.Add(("latency (µs)", Invariant($"p50 {l.P50:F1}  p90 {l.P90:F1}  p99 {l.P99:F1}  p99.9 {l.P999:F1}  max {l.Max:F1}  mean {l.Mean:F1}  (n={l.Count:N0})")));
        rows.Add(("CPU", Invariant($"client {result.ClientCpuPercent:F0} %")
            + (result.ServerCpuPercent is double s ? Invariant($", server {s:F0} %") : "")
            + (result.ServerCpuMicrosecondsPerMessage is double perMessage ? Invariant($", server {perMessage:F2} µs per message") : "")));
        var errors = string.Join(", ", result.Errors.Where(e => e.Value > 0).Select(e => Invariant($"{e.Key} {e.Value:N0}")));
        rows.Add(("errors", result.ErrorTotal == 0 ? "none" : errors));
        if (result.WarmupErrors > 0)
        {
            rows.Add(("warm-up errors", Invariant($"{result.WarmupErrors:N0}")));
        }

        var width = rows.Max(r => r.Name.Length);
        var text = new StringBuilder();
        foreach (var (name, value) in rows)
        {
            text.Append(name.PadRight(width)).Append("  ").AppendLine(value);
        }

        foreach (var error in result.FirstErrors)
        {
            text.Append("  ").AppendLine(error);
        }

        return text.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
