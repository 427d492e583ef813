using System.Diagnostics;
using System.Globalization;
using System.Text.Unicode;
using EchoHost.Connections;
using EchoHost.Metrics;

namespace EchoHost.Serving.Framed;

/// <summary>
/// The Stats handler's view of the framed endpoints: the same per-connection counters the metrics read, summed over
/// every framed endpoint when a Stats request comes.
/// </summary>
internal sealed class FramedStats(ServiceMetrics metrics, MessageTypeSlots messageTypes)
{
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private readonly Lock _gate = new();

    // Reused by every Stats request (under the lock), so that answering one allocates nothing.
    private readonly FramedCounters _totals = new(messageTypes.Names.Length);

    /// <summary>The most bytes <see cref="TryWriteJson"/> can need: seven 20-digit numbers and the names.</summary>
    public const int MaxJsonBytes = 512;

    /// <summary>Writes the Stats handler's JSON object into <paramref name="destination"/>, without allocating.</summary>
    public bool TryWriteJson(Span<byte> destination, out int written)
    {
        var uptimeSeconds = (long)Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;
        lock (_gate)
        {
            _totals.Clear();
            long accepted = 0, active = 0;
            foreach (var endpoint in metrics.Endpoints)
            {
                if (endpoint.IsFramed)
                {
                    var connections = endpoint.AddTo(_totals);
                    accepted += connections.Accepted;
                    active += connections.Active;
                }
            }

            return Utf8.TryWrite(
                destination,
                CultureInfo.InvariantCulture,
                $"{{\"activeConnections\":{active},\"totalConnections\":{accepted},\"messagesHandled\":{Sum(_totals.MessagesHandled)},\"errors\":{Sum(_totals.Errors)},\"bytesReceived\":{_totals.BytesReceived},\"bytesSent\":{_totals.BytesSent},\"uptimeSeconds\":{uptimeSeconds}}}",
                out written);
        }
    }

    private static long Sum(long[] values)
    {
        long sum = 0;
        foreach (var value in values)
        {
            sum += value;
        }

        return sum;
    }
}
