using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using EchoHost.Metrics;

namespace EchoHost.Serving.WebSockets;

/// <summary>
/// The WebSocket echo's own instruments, on the service's meter (<c>EchoHost</c>): messages by direction and type, and
/// connections closed for bad input by reason. Its connections and bytes are in the connection families, under
/// <c>protocol="websocket"</c>.
/// </summary>
internal sealed class WebSocketMetrics
{
    private static readonly WebSocketMessageType[] Types = [WebSocketMessageType.Text, WebSocketMessageType.Binary];

    public WebSocketMetrics(IMeterFactory meterFactory, WebSocketEchoEndpoints endpoints)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(ServiceMetrics.MeterName);
        meter.CreateObservableCounter("echohost.websocket.messages", () => ReadMessages(endpoints), "{message}", "WebSocket messages received and sent, by direction and type.");
        meter.CreateObservableCounter("echohost.websocket.errors", () => ReadFailures(endpoints), "{connection}", "WebSocket connections closed for bad input, by reason.");
    }

    private static IEnumerable<Measurement<long>> ReadMessages(WebSocketEchoEndpoints endpoints)
    {
        foreach (var endpoint in endpoints.All)
        {
            foreach (var received in (bool[])[true, false])
            {
                foreach (var type in Types)
                {
                    yield return new Measurement<long>(
                        endpoint.Messages(received, type),
                        new("endpoint", endpoint.Definition.Name),
                        new("direction", received ? "received" : "sent"),
                        new("type", type == WebSocketMessageType.Text ? "text" : "binary"));
                }
            }
        }
    }

    private static IEnumerable<Measurement<long>> ReadFailures(WebSocketEchoEndpoints endpoints)
    {
        foreach (var endpoint in endpoints.All)
        {
            for (var i = 0; i < WebSocketFailureNames.All.Length; i++)
            {
                yield return new Measurement<long>(endpoint.Failures((WebSocketFailure)i), new("endpoint", endpoint.Definition.Name), new("reason", WebSocketFailureNames.All[i]));
            }
        }
    }
}
