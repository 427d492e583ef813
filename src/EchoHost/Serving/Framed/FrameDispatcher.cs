using System.Buffers;
using EchoHost.Protocol;

namespace EchoHost.Serving.Framed;

/// <summary>
/// Decides what each frame read from a connection gets (docs/protocol.md's tables): errors for frames that cannot be
/// served, Pong for Ping, and for a Request its handler. Handlers that answer synchronously (the built-ins always do)
/// are answered here, on the read loop, into the output; other requests go to the <see cref="AsyncHandlerRunner"/>.
/// </summary>
internal sealed class FrameDispatcher(FramedConnectionContext connection, AsyncHandlerRunner runner, RequestAccessLog? accessLog)
{
    private readonly ResponseWriter _writer = connection.Writer;

    private const string BadHeaderText = "Flags and Reserved must be 0 in version 1";
    private const string UnknownKindText = "a client may send only Request and Ping frames";
    private const string MalformedText = "the payload is not exactly one valid message";
    private const string UnknownTypeText = "no handler for this Type";
    private const string RateLimitedText = "too many requests from this address; try again later";

    // Reused by every synchronous answer on this connection: the fast path allocates nothing.
    private FramedServerResponse? _syncResponse;

    public void Dispatch(in Frame frame)
    {
        connection.Counters.CountReceived(frame.Kind);
        // The reader has consumed the whole frame already: "the payload is skipped" needs nothing more.
        if (!frame.HasValidHeader)
        {
            _writer.WriteError(0, 0, ErrorCodes.BadHeader, BadHeaderText, answersRequest: false);
            return;
        }

        switch (frame.Kind)
        {
            case FrameKind.Request:
                DispatchRequest(frame.Payload);
                break;
            case FrameKind.Ping:
                _writer.WritePong(frame.Payload);
                break;
            default:
                _writer.WriteError(0, 0, ErrorCodes.UnknownKind, UnknownKindText, answersRequest: false);
                break;
        }
    }

    private void DispatchRequest(in ReadOnlySequence<byte> payload)
    {
        if (!Message.TryParse(payload, out var message))
        {
            _writer.WriteError(0, 0, ErrorCodes.MalformedMessage, MalformedText, answersRequest: false);
            return;
        }

        accessLog?.Write(message.Type, payload.Length);

        // Answered, never dropped: the client learns which request was refused and may send it again later.
        if (!connection.Live.TryTakeRequest())
        {
            _writer.WriteError(message.Id, message.Type, ErrorCodes.RateLimited, RateLimitedText, answersRequest: true);
            return;
        }

        var handler = connection.Registry.Get(message.Type);
        if (handler is null)
        {
            _writer.WriteError(message.Id, message.Type, ErrorCodes.UnknownType, UnknownTypeText, answersRequest: true);
            return;
        }

        if (!TryHandleNow(handler, message))
        {
            runner.Start(handler, payload);
        }
    }

    /// <summary>The handler's fast path; false when it wants the asynchronous one.</summary>
    private bool TryHandleNow(FramedHandler handler, in Message message)
    {
        var response = _syncResponse ??= new FramedServerResponse();

        // The handler duration histogram times the application's handlers only: the built-ins' time is the server's own.
        var started = MessageTypes.IsApplication(message.Type) ? connection.Metrics.StartHandlerTiming() : 0;
        try
        {
            if (!handler.TryHandle(new FramedRequest(message), response))
            {
                // The asynchronous path times the request from its start.
                started = 0;
                return false;
            }

            _writer.WriteOutcome(message.Id, message.Type, HandlerOutcome.Answered, response);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever a handler throws is that request's failure, never the connection's.
            FramedLog.HandlerFailed(connection.Logger, ex, message.Type, message.Id, connection.ConnectionId);
            _writer.WriteOutcome(message.Id, message.Type, HandlerOutcome.Failed, response);
            return true;
        }
        finally
        {
            connection.Metrics.RecordHandlerDuration(started, connection.MessageTypes.SlotOf(message.Type));
            response.Reset();
        }
    }
}
