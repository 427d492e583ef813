using System.Buffers;
using System.IO.Pipelines;
using EchoHost.Configuration;
using EchoHost.Connections;
using EchoHost.Protocol;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace EchoHost.Serving.Framed;

/// <summary>
/// One framed connection's read loop: reads frames ahead while handlers run, hands each to the
/// <see cref="FrameDispatcher"/>, flushes once per batch of frames read, and ends the way docs/protocol.md says: after a
/// half-close or a frame too large once everything read is answered, and on a close request with GoAway first.
/// </summary>
internal sealed class FramedServerConnection : IDisposable
{
    private const string FrameTooLargeText = "the frame is longer than MaxFrameBytes; closing the connection";
    private const string FrameTimeoutText = "the frame arrived slower than the server's minimum rate; closing the connection";

    private static ReadOnlySpan<byte> IdleReason => "idle timeout"u8;

    /// <summary>How long a connection the server stopped reading is drained after its last answer.</summary>
    private static readonly TimeSpan LingerTime = TimeSpan.FromSeconds(5);

    private readonly ConnectionContext _connection;
    private readonly FramedOptions _options;
    private readonly FramedCounters _counters;
    private readonly ILogger _logger;
    private readonly ResponseWriter _writer;
    private readonly InFlightRequests _inFlight;
    private readonly FrameDispatcher _dispatcher;
    private readonly ConnectionWatch? _watch;
    private readonly TimeProvider _time;

    // Cancelled when the peer is gone (a reset, an abort, an output nobody reads any more), to stop the handlers of its
    // requests. Not ConnectionContext.ConnectionClosed: transports fire that on a half-close too, when answers are due.
    private readonly CancellationTokenSource _lost = new();
    private volatile bool _closeRequested;

    // The read loop ended with input left unread (GoAway, frame_too_large): the connection must linger before it closes.
    private bool _stoppedReading;

    public FramedServerConnection(ConnectionContext connection, FramedCounters counters, LiveConnection live, FramedConnectionServices services)
    {
        _connection = connection;
        _options = services.Options;
        _counters = counters;
        _logger = services.Logger;
        _time = services.Time;
        _writer = new ResponseWriter(connection.Transport.Output, counters, services.MessageTypes, _options.MaxFrameBytes, connection.ConnectionId, _logger);
        _inFlight = new InFlightRequests(_options.MaxInFlightPerConnection);
        _watch = live.Watch;
        _watch?.Track(_inFlight);
        var context = new FramedConnectionContext(services, connection.ConnectionId, _writer, counters, live, _inFlight, _lost.Token);
        var accessLog = services.AccessLog is { } log ? new RequestAccessLog(log, connection.RemoteEndPoint, services.MessageTypes) : null;
        _dispatcher = new FrameDispatcher(context, new AsyncHandlerRunner(context), accessLog);
    }

    private enum BatchEnd
    {
        NeedMoreData,
        InFlightFull,
        CloseRequested,
        FrameTooLarge,
    }

    /// <summary>Kestrel asks the connection to close (host shutdown): send GoAway, read no more, answer what was read.</summary>
    public void RequestClose()
    {
        _closeRequested = true;
        _connection.Transport.Input.CancelPendingRead();
        _inFlight.RequestClose();
    }

    public async Task RunAsync()
    {
        try
        {
            await ReadLoopAsync(_connection.Transport.Input);
        }
        catch (Exception ex) when (ex is IOException or ConnectionAbortedException)
        {
            // A peer that resets (ConnectionResetException is an IOException) or a connection the server aborted is
            // the normal end of some connections, not an error of the service.
            FramedLog.ConnectionEnded(_logger, _connection.ConnectionId, ex.Message);
            await _lost.CancelAsync();
        }
        finally
        {
            // Every request read is answered before the handler returns (and Kestrel completes the output): handlers
            // still running write into an output that must stay open until they are done.
            if (_inFlight.Count > 0)
            {
                await ProbePeerAsync();
            }

            await _inFlight.WaitForAllAsync();
            await FlushQuietlyAsync();
            if (_stoppedReading)
            {
                await LingerAsync();
            }
        }
    }

    public void Dispose() => _lost.Dispose();

    private async Task ReadLoopAsync(PipeReader input)
    {
        while (true)
        {
            if (_closeRequested)
            {
                // Sent now, not after the answers still due: the client learns at once to send no more here.
                _writer.WriteGoAway();
                FramedLog.GoAwaySent(_logger, _connection.ConnectionId);
                _stoppedReading = await FlushOrGiveUpAsync();
                return;
            }

            if (_watch is { TimedOut: not ConnectionTimeout.None } watch)
            {
                // The limits' sweep cancelled the read: idle too long (GoAway, as on shutdown) or a frame too slow.
                if (watch.TimedOut == ConnectionTimeout.Idle)
                {
                    _writer.WriteGoAway(IdleReason);
                }
                else
                {
                    _writer.WriteError(0, 0, ErrorCodes.FrameTimeout, FrameTimeoutText, answersRequest: false);
                }

                _stoppedReading = await FlushOrGiveUpAsync();
                return;
            }

            _watch?.WaitingForPeer();
            var result = await input.ReadAsync();
            _watch?.Received();
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                // RequestClose or the limits' sweep cancelled the read; the loop's first checks end the connection.
                input.AdvanceTo(buffer.Start);
                continue;
            }

            var end = ReadFrames(buffer, out var consumed, out var examined);
            var read = buffer.Slice(0, consumed).Length;
            _counters.BytesReceived += read;
            _watch?.FrameProgress(end == BatchEnd.NeedMoreData ? buffer.Length - read : 0, read > 0);
            input.AdvanceTo(consumed, examined);

            // One flush for the whole batch of answers; waiting for it is the back-pressure on a peer that does not read.
            if (!await FlushOrGiveUpAsync())
            {
                return;
            }

            switch (end)
            {
                case BatchEnd.FrameTooLarge:
                    _stoppedReading = true;
                    return;
                case BatchEnd.InFlightFull:
                    // Not an error: the connection is simply not read until a handler answers.
                    await _inFlight.WaitForSlotAsync();
                    break;
                case BatchEnd.NeedMoreData when result.IsCompleted:
                    // Half-close: the peer sends nothing more (an incomplete frame at the end is dropped); what was
                    // read is answered in RunAsync, and returning closes the connection.
                    return;
            }
        }
    }

    /// <summary>Dispatches every whole frame of <paramref name="buffer"/> that may be read now.</summary>
    private BatchEnd ReadFrames(in ReadOnlySequence<byte> buffer, out SequencePosition consumed, out SequencePosition examined)
    {
        var remaining = buffer;
        consumed = buffer.Start;
        examined = buffer.Start;
        while (true)
        {
            if (_closeRequested)
            {
                return BatchEnd.CloseRequested;
            }

            if (_inFlight.IsFull)
            {
                // Examined only up to what was consumed, so that the next read returns at once with the frames left.
                return BatchEnd.InFlightFull;
            }

            switch (FrameReader.TryRead(remaining, _options.MaxFrameBytes, out var frame, out var frameEnd, out var frameExamined))
            {
                case FrameReadStatus.Complete:
                    _dispatcher.Dispatch(frame);
                    remaining = remaining.Slice(frameEnd);
                    consumed = frameEnd;
                    examined = frameEnd;
                    break;
                case FrameReadStatus.NeedMoreData:
                    examined = frameExamined;
                    return BatchEnd.NeedMoreData;
                default:
                    FramedLog.FrameTooLarge(_logger, _connection.ConnectionId, _options.MaxFrameBytes);
                    _writer.WriteError(0, 0, ErrorCodes.FrameTooLarge, FrameTooLargeText, answersRequest: false);

                    // The rest of the stream cannot be framed any more: consume it all, read no more.
                    consumed = buffer.End;
                    examined = buffer.End;
                    return BatchEnd.FrameTooLarge;
            }
        }
    }

    /// <summary>Flushes; false, with the handlers told to stop, when the peer no longer reads the connection.</summary>
    private async ValueTask<bool> FlushOrGiveUpAsync()
    {
        if (await _writer.FlushAsync())
        {
            return true;
        }

        await _lost.CancelAsync();
        return false;
    }

    /// <summary>
    /// A peer's reset can reach the read loop as a plain end of input (a send that failed first took the error), which
    /// looks like a half-close. The sending side knows better: if it has ended, the handlers still running are told to
    /// stop rather than run until the handler timeout for a peer that is gone.
    /// </summary>
    private async Task ProbePeerAsync()
    {
        try
        {
            if (await _writer.FlushAsync(evenIfEmpty: true))
            {
                return;
            }
        }
        catch (Exception ex) when (ex is IOException or ConnectionAbortedException or InvalidOperationException)
        {
            FramedLog.ConnectionEnded(_logger, _connection.ConnectionId, ex.Message);
        }

        await _lost.CancelAsync();
    }

    /// <summary>
    /// Closing a socket with input unread makes the kernel answer with a reset, which can destroy answers the peer has
    /// not read yet. So, as HTTP servers do, the connection sends FIN after its last answer and reads, and drops, what
    /// the peer still sends until the peer closes or <see cref="LingerTime"/> has passed.
    /// </summary>
    private async Task LingerAsync()
    {
        var transport = _connection.Transport;
        await transport.Output.CompleteAsync();
        using var timeout = new CancellationTokenSource(LingerTime, _time);
        try
        {
            while (true)
            {
                // A cancelled read is not the end: a close request that came while the read loop was not reading
                // leaves its cancellation for the next read, this one. Only the peer's close or the time limit ends it.
                var result = await transport.Input.ReadAsync(timeout.Token);
                transport.Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionAbortedException)
        {
            // Time is up or the peer is gone: close now.
        }
    }

    private async Task FlushQuietlyAsync()
    {
        try
        {
            await _writer.FlushAsync();
        }
        catch (Exception ex) when (ex is IOException or ConnectionAbortedException or InvalidOperationException)
        {
            FramedLog.ConnectionEnded(_logger, _connection.ConnectionId, ex.Message);
        }
    }
}
