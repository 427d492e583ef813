using System.Net;
using System.Net.WebSockets;
using EchoHost.Connections;

namespace EchoHost.Serving.WebSockets;

/// <summary>
/// The echo: every message back whole, with its type, fragments reassembled, until the client closes. A message
/// longer than <c>MaxMessageBytes</c> (after inflation, when compressed) closes the connection with 1009; bad UTF-8
/// (1007) and protocol errors (1002) are closed by the runtime's WebSocket.
/// </summary>
internal sealed class EchoWebSocketSession(
    WebSocket webSocket, WebSocketEchoEndpoint endpoint, string connectionId, int maxMessageBytes, AccessLog? accessLog, EndPoint? remote)
    : WebSocketSession(webSocket, endpoint, connectionId, maxMessageBytes, new ConnectionCounters())
{
    // Whether the message being received is to be answered: false once the server's close went out before it began.
    private bool _answering;

    public override void RequestShutdown() => RequestClose(WebSocketCloseStatus.EndpointUnavailable, "server shutting down");

    public override async Task RunAsync()
    {
        try
        {
            while (true)
            {
                var (length, type) = await ReceiveMessageAsync();
                if (type == WebSocketMessageType.Close)
                {
                    await AnswerCloseAsync();
                    return;
                }

                if (!_answering)
                {
                    // The server's close went out before this message came: it is not answered, and the client's
                    // close is what remains to be read.
                    await AwaitCloseAnswerAsync(Buffer);
                    return;
                }

                if (length < 0)
                {
                    Endpoint.Failed(WebSocketFailure.MessageTooBig, ConnectionId);
                    await CloseNowAsync(WebSocketCloseStatus.MessageTooBig, $"a message is at most {MaxMessageBytes} bytes");
                    await AwaitCloseAnswerAsync(Buffer);
                    return;
                }

                Endpoint.CountReceived(type);
                accessLog?.Write(remote, type == WebSocketMessageType.Text ? "TEXT" : "BINARY", length);
                await WebSocket.SendAsync(Buffer.AsMemory(0, length), type, endOfMessage: true, CancellationToken.None);
                Endpoint.CountSent(type);
                Counters.BytesSent += length;
                await EndMessageAsync();
                if (WebSocket.State == WebSocketState.CloseSent)
                {
                    await AwaitCloseAnswerAsync(Buffer);
                    return;
                }
            }
        }
        catch (WebSocketException ex) when (WebSocketFailureNames.Classify(ex) is { } failure)
        {
            // The runtime's WebSocket has closed with 1007 or 1002 already.
            Endpoint.Failed(failure, ConnectionId);
        }
    }

    protected override void OnReceived(int count, bool first)
    {
        if (first)
        {
            _answering = BeginMessage();
        }

        Counters.BytesReceived += count;
    }
}
