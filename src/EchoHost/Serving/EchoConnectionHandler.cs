using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using EchoHost.Connections;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace EchoHost.Serving;

/// <summary>
/// Raw TCP echo: copies every byte back, in order, until the peer finishes sending; then returns, and Kestrel
/// completes the output, which the transport turns into a FIN after what is pending has been sent. One instance serves
/// one endpoint.
/// </summary>
internal sealed partial class EchoConnectionHandler : ConnectionHandler
{
    private readonly ConnectionTracker _tracker;
    private readonly AccessLog? _accessLog;
    private readonly ILogger _logger;
    private readonly Func<ConnectionContext, ConnectionCounters, LiveConnection, Task> _serve;

    public EchoConnectionHandler(ConnectionTracker tracker, ILogger<EchoConnectionHandler> logger, AccessLog? accessLog = null)
    {
        _tracker = tracker;
        _accessLog = accessLog;
        _logger = logger;
        _serve = ServeAsync;
    }

    public override Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return _tracker.TrackAsync(connection, new ConnectionCounters(), _serve);
    }

    private async Task ServeAsync(ConnectionContext connection, ConnectionCounters counters, LiveConnection live)
    {
        var transport = connection.Transport;

        // On host shutdown Kestrel asks each connection to close and waits for its handler to return. Cancelling the
        // pending read (and a flush stuck behind a peer that does not read) ends the loop below without an exception;
        // one registration per connection rather than a token passed to every read keeps reads free of allocations.
        var closeRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        using var registration = closeRequested.UnsafeRegister(
            static state =>
            {
                var pipe = (IDuplexPipe)state!;
                try
                {
                    pipe.Input.CancelPendingRead();
                    pipe.Output.CancelPendingFlush();
                }
                catch (ObjectDisposedException)
                {
                    // Over TLS the pipes are streams' (StreamPipeReader, StreamPipeWriter), which dispose their token
                    // source when completed: the cancelled read can end the connection on this very thread, before
                    // the flush is cancelled. Nothing is left to cancel then.
                }
            },
            transport);

        try
        {
            await EchoAsync(transport.Input, transport.Output, counters, live.Watch, _accessLog, _accessLog is null ? null : connection.RemoteEndPoint);
        }
        catch (Exception ex) when (ex is IOException or ConnectionAbortedException)
        {
            // A peer that resets its connection (ConnectionResetException is an IOException) or a connection that the
            // server aborted is the normal end of some connections, not an error of the service.
            LogConnectionEnded(_logger, connection.ConnectionId, ex.Message);
        }
    }

    private static async Task EchoAsync(PipeReader input, PipeWriter output, ConnectionCounters counters, ConnectionWatch? watch, AccessLog? accessLog, EndPoint? remote)
    {
        while (true)
        {
            watch?.WaitingForPeer();
            var result = await input.ReadAsync();
            watch?.Received();
            var buffer = result.Buffer;
            if (!buffer.IsEmpty)
            {
                counters.BytesReceived += buffer.Length;
                // Copy into the output pipe's own memory; the input's buffer goes back to the pool on AdvanceTo.
                if (buffer.IsSingleSegment)
                {
                    output.Write(buffer.FirstSpan);
                }
                else
                {
                    foreach (var segment in buffer)
                    {
                        output.Write(segment.Span);
                    }
                }

                // Waiting for the flush is the back-pressure: a peer that does not read stops us reading from it.
                var flush = await output.FlushAsync();
                counters.BytesSent += buffer.Length;
                accessLog?.Write(remote, "ECHO", buffer.Length);
                input.AdvanceTo(buffer.End);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    return;
                }
            }
            else
            {
                input.AdvanceTo(buffer.End);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                // The peer finished sending (FIN), or the server is shutting down or the connection was idle too long
                // (the read was cancelled): all that was received has been echoed and flushed.
                return;
            }
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Connection {ConnectionId} ended by the network: {Reason}")]
    private static partial void LogConnectionEnded(ILogger logger, string connectionId, string reason);
}
