using System.Buffers;
using EchoHost.Configuration;
using EchoHost.Connections;
using EchoHost.Metrics;
using EchoHost.Protocol;
using Microsoft.Extensions.Logging;

namespace EchoHost.Serving.Framed;

/// <summary>
/// Decides what each frame read from a connection gets (PROTOCOL.md's tables): errors for frames that cannot be
/// served, Pong for Ping, and for a Request its handler. Built-in handlers and application handlers that answer
/// synchronously are answered here, on the read loop, straight into the output; other requests go to the
/// <see cref="AsyncHandlerRunner"/>.
/// </summary>
internal sealed class FrameDispatcher(
    FramedHandlerRegistry registry,
    ResponseWriter writer,
    AsyncHandlerRunner runner,
    FramedCounters counters,
    ServiceMetrics metrics,
    MessageTypeSlots messageTypes,
    RequestAccessLog? accessLog,
    LiveConnection live,
    FramedOptions options,
    string connectionId,
    ILogger logger)
{
    private const string BadHeaderText = "Flags and Reserved must be 0 in version 1";
    private const string UnknownKindText = "a client may send only Request and Ping frames";
    private const string MalformedText = "the payload is not exactly one valid message";
    private const string UnknownTypeText = "no handler for this Type";
    private const string FailedText = "the handler failed";
    private const string TooLargeText = "the handler's response is larger than MaxFrameBytes";
    private const string RateLimitedText = "too many requests from this address; try again later";

    // Reused by every synchronous answer of an application handler on this connection: the fast path allocates nothing.
    private FramedServerResponse? _syncResponse;

    public void Dispatch(in Frame frame)
    {
        counters.CountReceived(frame.Kind);
        // The reader has consumed the whole frame already: "the payload is skipped" needs nothing more.
        if (!frame.HasValidHeader)
        {
            writer.WriteError(0, 0, ErrorCodes.BadHeader, BadHeaderText, answersRequest: false);
            return;
        }

        switch (frame.Kind)
        {
            case FrameKind.Request:
                DispatchRequest(frame.Payload);
                break;
            case FrameKind.Ping:
                writer.WritePong(frame.Payload);
                break;
            default:
                writer.WriteError(0, 0, ErrorCodes.UnknownKind, UnknownKindText, answersRequest: false);
                break;
        }
    }

    private void DispatchRequest(in ReadOnlySequence<byte> payload)
    {
        if (!Message.TryParse(payload, out var message))
        {
            writer.WriteError(0, 0, ErrorCodes.MalformedMessage, MalformedText, answersRequest: false);
            return;
        }

        accessLog?.Write(message.Type, payload.Length);

        // Answered, never dropped: the client learns which request was refused and may send it again later.
        if (!live.TryTakeRequest())
        {
            writer.WriteError(message.Id, message.Type, ErrorCodes.RateLimited, RateLimitedText, answersRequest: true);
            return;
        }

        var builtIn = registry.GetBuiltIn(message.Type);
        if (builtIn is not null)
        {
            writer.WriteBuiltIn(builtIn, message, options.MaxFrameBytes);
            return;
        }

        var handler = registry.GetApplication(message.Type);
        if (handler is null)
        {
            writer.WriteError(message.Id, message.Type, ErrorCodes.UnknownType, UnknownTypeText, answersRequest: true);
            return;
        }

        if (!TryHandleNow(handler, message))
        {
            runner.Start(handler, payload);
        }
    }

    /// <summary>The application handler's fast path; false when it wants the asynchronous one.</summary>
    private bool TryHandleNow(FramedHandler handler, in Message message)
    {
        var response = _syncResponse ??= new FramedServerResponse();
        var started = metrics.StartHandlerTiming();
        try
        {
            if (!handler.TryHandle(new FramedRequest(message), response))
            {
                // The asynchronous path times the request from its start.
                started = 0;
                return false;
            }

            if (response.PayloadLength > options.MaxFrameBytes)
            {
                FramedLog.ResponseTooLarge(logger, message.Type, message.Id, connectionId, response.PayloadLength, options.MaxFrameBytes);
                writer.WriteError(message.Id, message.Type, ErrorCodes.HandlerFailed, TooLargeText, answersRequest: true);
            }
            else
            {
                writer.WriteResponse(message.Id, message.Type, response);
            }

            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever the application's code throws is that request's failure, never the connection's.
            FramedLog.HandlerFailed(logger, ex, message.Type, message.Id, connectionId);
            writer.WriteError(message.Id, message.Type, ErrorCodes.HandlerFailed, FailedText, answersRequest: true);
            return true;
        }
        finally
        {
            metrics.RecordHandlerDuration(started, messageTypes.SlotOf(message.Type));
            response.Reset();
        }
    }
}
