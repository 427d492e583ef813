using EchoHost.Configuration;
using EchoHost.Hosting;
using EchoHost.Metrics;
using EchoHost.Serving.WebSockets;

namespace EchoHost.StatusPage;

/// <summary>Builds <see cref="ServiceStatus"/> from the counters the metrics read and the addresses Kestrel bound.</summary>
internal sealed class StatusReport(
    EchoHostSettings settings, ListeningEndpoints listening, ServiceMetrics metrics, TimeProvider time, WebSocketEchoOptions webSocketOptions, WebSocketEchoEndpoints? webSockets = null)
{
    private readonly long _started = time.GetTimestamp();

    public ServiceStatus Read()
    {
        var bound = listening.GetBound();
        var endpoints = new List<EndpointStatus>(metrics.Endpoints.Count);
        foreach (var counters in metrics.Endpoints)
        {
            var address = bound.FirstOrDefault(b => b.Definition.Name == counters.Name)?.Address ?? "";
            var (connections, totals) = counters.Read();
            long? messages = null;
            if (counters.IsFramed)
            {
                messages = totals.MessagesHandled.Sum();
            }
            else if (counters.Protocol == EndpointProtocol.WebSocket.Name)
            {
                messages = webSockets?.All.First(w => w.Definition.Name == counters.Name).MessagesReceived;
                address = WebSocketAddress(address);
            }

            // A protocol whose bytes are not counted (http: Kestrel's own) has none to show, as one without messages.
            long? received = counters.CountsBytes ? totals.BytesReceived : null;
            long? sent = counters.CountsBytes ? totals.BytesSent : null;
            endpoints.Add(new EndpointStatus(
                counters.Name, counters.Protocol, address, connections.Active, connections.Accepted, messages, received, sent));
        }

        return new ServiceStatus(
            settings.Transport.Kind == TransportKind.Native ? "Native" : "Sockets",
            settings.Transport.Engine,
            (long)time.GetElapsedTime(_started).TotalSeconds,
            webSockets is null ? null : webSocketOptions.Path,
            endpoints);
    }

    // http://host:port becomes ws://host:port/path, https:// wss://.
    private string WebSocketAddress(string httpAddress) =>
        httpAddress.StartsWith("http", StringComparison.Ordinal) ? "ws" + httpAddress["http".Length..] + webSocketOptions.Path : httpAddress;
}
