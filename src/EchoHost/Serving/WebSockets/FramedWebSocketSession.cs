using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.WebSockets;
using EchoHost.Connections;
using EchoHost.Protocol;
using EchoHost.Serving.Framed;
using Microsoft.AspNetCore.Connections;

namespace EchoHost.Serving.WebSockets;

/// <summary>
/// The <c>echohost.framed</c> subprotocol: each binary message carries one frame of the framed protocol, both ways.
/// The frames go through a pair of in-memory pipes to a <see cref="FramedServerConnection"/>, the same read loop,
/// dispatcher and handlers as a framed endpoint's connection; its answers are cut back into frames, one message each.
/// So everything the framed protocol does (pipelining, asynchronous handlers, errors, Ping, GoAway on shutdown) is
/// served here unchanged. The conversation ends as the framed connection's does: the client's close is a half-close
/// (what was read is answered, then the close is answered with the client's status), the host's shutdown a GoAway
/// followed by close 1001.
/// </summary>
internal sealed class FramedWebSocketSession : WebSocketSession
{
    private readonly Pipe _requests = new();
    private readonly Pipe _answers = new();
    private readonly FramedServerConnection _framed;
    private readonly int _maxFrameBytes;
    private readonly Lock _gate = new();

    // How the server's close goes out once every answer has been sent; null: answer the client's close.
    private (WebSocketCloseStatus Status, string Description)? _ending;

    public FramedWebSocketSession(
        WebSocket webSocket, WebSocketEchoEndpoint endpoint, string connectionId, int maxMessageBytes, FramedConnectionServices services, EndPoint? remote, EndPoint? local)
        : base(webSocket, endpoint, connectionId, maxMessageBytes, new FramedCounters(services.MessageTypes.Names.Length))
    {
        _maxFrameBytes = services.Options.MaxFrameBytes;
        var connection = new DefaultConnectionContext(connectionId, new Duplex(_requests.Reader, _answers.Writer), new Duplex(_answers.Reader, _requests.Writer))
        {
            RemoteEndPoint = remote,
            LocalEndPoint = local,
        };
        _framed = new FramedServerConnection(connection, (FramedCounters)Counters, Live, services);
    }

    public override void RequestShutdown() => End(WebSocketCloseStatus.EndpointUnavailable, "server shutting down", goAway: true);

    public override async Task RunAsync()
    {
        var serving = ServeAsync();
        var receiving = ReceiveAsync();
        try
        {
            await SendAnswersAsync(receiving);
        }
        finally
        {
            await serving;
            await receiving;
        }
    }

    protected override void OnIdle() => End(WebSocketCloseStatus.NormalClosure, IdleDescription, goAway: true);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _framed.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Stops taking requests: those read are answered, then the server closes with <paramref name="status"/>.</summary>
    private void End(WebSocketCloseStatus status, string description, bool goAway)
    {
        lock (_gate)
        {
            _ending ??= (status, description);
        }

        if (goAway)
        {
            _framed.RequestClose();
        }
        else
        {
            // Called by the receive loop, the pipe's one writer: the framed connection sees a half-close.
            _requests.Writer.Complete();
        }
    }

    private async Task ServeAsync()
    {
        try
        {
            await _framed.RunAsync();
        }
        finally
        {
            await _answers.Writer.CompleteAsync();

            // Nothing reads the requests any more: a receive loop waiting to hand one over is let go.
            await _requests.Reader.CompleteAsync();
        }
    }

    /// <summary>Takes the client's messages until its close, handing each frame to the framed connection while it takes requests.</summary>
    private async Task ReceiveAsync()
    {
        var forwarding = true;
        try
        {
            while (true)
            {
                var (length, type) = await ReceiveMessageAsync();
                if (type == WebSocketMessageType.Close)
                {
                    return;
                }

                if (!forwarding)
                {
                    // The conversation is ending: what comes after the server stopped taking requests is dropped.
                    continue;
                }

                Endpoint.CountReceived(type);
                var failure = Judge(length, type, out var status, out var description);
                if (failure is { } bad)
                {
                    Endpoint.Failed(bad, ConnectionId);
                    End(status, description, goAway: false);
                    forwarding = false;
                    continue;
                }

                var flush = await _requests.Writer.WriteAsync(Buffer.AsMemory(0, length));
                if (flush.IsCompleted)
                {
                    // The framed connection reads no more (it is ending): nothing more to hand over.
                    forwarding = false;
                }
                else if (length - Frame.HeaderSize > _maxFrameBytes)
                {
                    // The framed connection answers frame_too_large and reads no more, as on a framed endpoint.
                    End(WebSocketCloseStatus.MessageTooBig, $"a frame's payload is at most {_maxFrameBytes} bytes", goAway: false);
                    forwarding = false;
                }
            }
        }
        catch (WebSocketException ex) when (WebSocketFailureNames.Classify(ex) is { } failure)
        {
            // The runtime's WebSocket has closed with 1007 or 1002 already.
            Endpoint.Failed(failure, ConnectionId);
        }
        finally
        {
            // The client sends no more: a half-close for the framed connection, which answers what it has read.
            await _requests.Writer.CompleteAsync();
        }
    }

    /// <summary>What is wrong with a message, if anything, and the close status it gets.</summary>
    private WebSocketFailure? Judge(int length, WebSocketMessageType type, out WebSocketCloseStatus status, out string description)
    {
        if (length < 0)
        {
            (status, description) = (WebSocketCloseStatus.MessageTooBig, $"a message is at most {MaxMessageBytes} bytes");
            return WebSocketFailure.MessageTooBig;
        }

        if (type != WebSocketMessageType.Binary)
        {
            (status, description) = (WebSocketCloseStatus.InvalidMessageType, "echohost.framed takes binary messages only");
            return WebSocketFailure.NotAFrame;
        }

        // Exactly one frame: a frame longer than MaxFrameBytes is handed over whole, for the framed connection to
        // answer frame_too_large and end, as on a framed endpoint.
        var message = new ReadOnlySequence<byte>(Buffer, 0, length);
        var read = FrameReader.TryRead(message, int.MaxValue, out _, out var end, out _);
        if (read != FrameReadStatus.Complete || !end.Equals(message.End))
        {
            (status, description) = (WebSocketCloseStatus.InvalidPayloadData, "a message must be exactly one frame of the framed protocol");
            return WebSocketFailure.NotAFrame;
        }

        (status, description) = (default, "");
        return null;
    }

    /// <summary>
    /// Sends each frame the framed connection writes as one binary message; once it has ended and everything is sent,
    /// the close: the server's own, or the answer to the client's.
    /// </summary>
    private async Task SendAnswersAsync(Task receiving)
    {
        var reader = _answers.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                var buffer = result.Buffer;
                while (FrameReader.TryRead(buffer, int.MaxValue, out _, out var end, out _) == FrameReadStatus.Complete)
                {
                    await SendFrameAsync(buffer.Slice(0, end));
                    buffer = buffer.Slice(end);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        finally
        {
            // A peer gone makes the framed connection's flushes fail, which tells its handlers to stop.
            await reader.CompleteAsync();
        }

        if (WebSocket.State == WebSocketState.CloseReceived)
        {
            await AnswerCloseAsync();
            return;
        }

        (WebSocketCloseStatus Status, string Description) ending;
        lock (_gate)
        {
            // Not asked to end: the framed connection ended by itself (frame_too_large), and its last frame said why.
            ending = _ending ?? (WebSocketCloseStatus.NormalClosure, "the framed connection ended");
        }

        await CloseNowAsync(ending.Status, ending.Description);

        // The receive loop reads the client's answer; a client that never answers is dropped.
        if (await Task.WhenAny(receiving, Task.Delay(CloseAnswerTime, Endpoint.Time)) != receiving)
        {
            WebSocket.Abort();
        }
    }

    private async ValueTask SendFrameAsync(ReadOnlySequence<byte> frame)
    {
        if (frame.IsSingleSegment)
        {
            await WebSocket.SendAsync(frame.First, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        }
        else
        {
            var copy = ArrayPool<byte>.Shared.Rent((int)frame.Length);
            try
            {
                frame.CopyTo(copy);
                await WebSocket.SendAsync(copy.AsMemory(0, (int)frame.Length), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(copy);
            }
        }

        Endpoint.CountSent(WebSocketMessageType.Binary);
    }

    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
