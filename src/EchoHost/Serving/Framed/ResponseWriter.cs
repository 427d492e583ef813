using System.Buffers;
using System.IO.Pipelines;
using EchoHost.Connections;
using EchoHost.Protocol;
using Microsoft.Extensions.Logging;

namespace EchoHost.Serving.Framed;

/// <summary>
/// The one way frames reach a connection's output. The read loop (answering on the fast path) and asynchronous
/// handlers finishing on the thread pool write concurrently, and a <see cref="PipeWriter"/> takes one writer at a time:
/// every write happens under a lock that is never held across an await. Flushes are serialized the same way: a flush
/// that has to wait (the peer reads slowly) is awaited outside the lock, and the next flush is chained behind it.
/// It also counts what it writes into the connection's <see cref="FramedCounters"/>, under the same lock.
/// </summary>
internal sealed class ResponseWriter(PipeWriter output, FramedCounters counters, MessageTypeSlots messageTypes, int maxFrameBytes, string connectionId, ILogger logger)
{
    private static ReadOnlySpan<byte> GoAwayReason => "server shutting down"u8;

    private readonly Lock _gate = new();
    private Task<bool>? _pendingFlush;
    private bool _unflushed;

    /// <summary>
    /// Answers request <paramref name="id"/> as its handler's <paramref name="outcome"/> says: with the Response or
    /// Error it put in <paramref name="response"/>, or with the Error frame that stands in for an answer it could not
    /// give (one larger than a frame may be among them).
    /// </summary>
    public void WriteOutcome(ulong id, byte type, HandlerOutcome outcome, FramedServerResponse response)
    {
        switch (outcome)
        {
            case HandlerOutcome.Answered when response.PayloadLength > maxFrameBytes:
                FramedLog.ResponseTooLarge(logger, type, id, connectionId, response.PayloadLength, maxFrameBytes);
                WriteError(id, type, ErrorCodes.HandlerFailed, HandlerErrors.TooLargeText, answersRequest: true);
                break;
            case HandlerOutcome.Answered when response.ErrorCode is { } code:
                WriteError(id, type, code, response.ErrorText, answersRequest: true);
                break;
            case HandlerOutcome.Answered:
                lock (_gate)
                {
                    response.WriteResponse(output, id, type);
                    counters.CountSent(FrameKind.Response);
                    CountAnswered(type);
                    _unflushed = true;
                }

                break;
            case HandlerOutcome.TimedOut:
                WriteError(id, type, ErrorCodes.Timeout, HandlerErrors.TimeoutText, answersRequest: true);
                break;
            default:
                // Failed, or abandoned with the connection: the latter's answer is written to a connection that is gone.
                WriteError(id, type, ErrorCodes.HandlerFailed, HandlerErrors.FailedText, answersRequest: true);
                break;
        }
    }

    /// <summary>
    /// Writes an Error frame. <paramref name="answersRequest"/> is false for errors about frames that were not read as
    /// a request (Id and Type 0), which are not counted as handled messages.
    /// </summary>
    public void WriteError(ulong id, byte type, string code, string text, bool answersRequest)
    {
        lock (_gate)
        {
            FrameWriter.WriteError(output, id, type, code, text);
            counters.CountSent(FrameKind.Error);
            counters.CountError(code);
            if (answersRequest)
            {
                CountAnswered(type);
            }

            _unflushed = true;
        }
    }

    public void WritePong(in ReadOnlySequence<byte> payload)
    {
        lock (_gate)
        {
            FrameWriter.WriteFrame(output, FrameKind.Pong, payload);
            counters.CountSent(FrameKind.Pong);
            _unflushed = true;
        }
    }

    public void WriteGoAway() => WriteGoAway(GoAwayReason);

    public void WriteGoAway(ReadOnlySpan<byte> reason)
    {
        lock (_gate)
        {
            FrameWriter.WriteFrame(output, FrameKind.GoAway, reason);
            counters.CountSent(FrameKind.GoAway);
            _unflushed = true;
        }
    }

    /// <summary>
    /// Sends what has been written; completes when the transport has taken it (back-pressure: a peer that does not
    /// read makes this wait). False when the peer is gone and nothing more can be sent. With nothing written since the
    /// last flush it returns at once, unless <paramref name="evenIfEmpty"/>: an empty flush still learns whether the
    /// transport's sending side has ended (or throws the error it ended with).
    /// </summary>
    public ValueTask<bool> FlushAsync(bool evenIfEmpty = false)
    {
        lock (_gate)
        {
            if (_pendingFlush is { IsCompleted: false } pending)
            {
                // Only one flush at a time may be in progress on a PipeWriter: this one starts when that one is done.
                var chained = FlushAfterAsync(pending);
                _pendingFlush = chained;
                return new ValueTask<bool>(chained);
            }

            if (!_unflushed && !evenIfEmpty)
            {
                return new ValueTask<bool>(true);
            }

            var flush = FlushUnderLock();
            if (!flush.IsCompleted)
            {
                _pendingFlush = flush.AsTask();
                return new ValueTask<bool>(_pendingFlush);
            }

            return flush;
        }
    }

    private void CountAnswered(byte type) => counters.MessagesHandled[messageTypes.SlotOf(type)]++;

    private async Task<bool> FlushAfterAsync(Task<bool> previous)
    {
        if (!await previous)
        {
            return false;
        }

        ValueTask<bool> flush;
        lock (_gate)
        {
            // Not recorded as the pending flush: this task already is, and completes only after it.
            flush = FlushUnderLock();
        }

        return await flush;
    }

    private ValueTask<bool> FlushUnderLock()
    {
        // The bytes written since the last flush are the ones this flush commits: counting them here costs one read
        // per flush instead of one addition per frame.
        counters.BytesSent += output.CanGetUnflushedBytes ? output.UnflushedBytes : 0;
        _unflushed = false;

        var flush = output.FlushAsync();
        if (flush.IsCompletedSuccessfully)
        {
            var result = flush.Result;
            return new ValueTask<bool>(!result.IsCompleted && !result.IsCanceled);
        }

        return AwaitFlushAsync(flush);
    }

    private static async ValueTask<bool> AwaitFlushAsync(ValueTask<FlushResult> flush)
    {
        var result = await flush;
        return !result.IsCompleted && !result.IsCanceled;
    }
}
