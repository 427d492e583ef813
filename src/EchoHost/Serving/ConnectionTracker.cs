using System.Net;
using EchoHost.Connections;
using EchoHost.Limits;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace EchoHost.Serving;

/// <summary>
/// Counts and logs each connection of one endpoint from its accept to its close, whatever it speaks: it admits the
/// connection through the endpoint's limits and keeps it in the endpoint's <see cref="LiveConnections"/>, the one
/// registry of them, which it alone writes.
/// </summary>
internal sealed partial class ConnectionTracker(LiveConnections live, ConnectionLimiter limiter, ILogger logger)
{
    /// <summary>
    /// Serves <paramref name="connection"/> with <paramref name="serve"/>, its counts kept in <paramref name="counters"/>;
    /// or, past a limit, ends it at once (counted as rejected, not as accepted).
    /// </summary>
    public async Task TrackAsync<T>(ConnectionContext connection, T counters, Func<ConnectionContext, T, LiveConnection, Task> serve)
        where T : ConnectionCounters
    {
        AddressEntry? address;
        if (limiter.Endpoint.Tls is not null)
        {
            // Admitted before its handshake (AdmitBeforeHandshakeAsync), which has completed.
            var admission = connection.Features.Get<Admission>()!;
            admission.Tracked = true;
            address = admission.Address;
        }
        else if (!limiter.TryAdmit(connection, out address, out var rejected))
        {
            await ConnectionLimiter.RejectAsync(connection, limiter.Endpoint, rejected);
            return;
        }

        var entry = new LiveConnection(counters, limiter.Watch(connection), limiter.RequestGate(address));
        live.Open(entry);
        var endpointName = live.EndpointName;
        // The remote address is made on first use: only when the line is written.
        var logging = logger.IsEnabled(LogLevel.Debug);
        if (logging)
        {
            LogAccepted(logger, connection.ConnectionId, endpointName, connection.RemoteEndPoint);
        }

        try
        {
            await serve(connection, counters, entry);
        }
        finally
        {
            live.Close(entry);
            limiter.Release(address);
            if (logging)
            {
                LogClosed(logger, connection.ConnectionId, endpointName, connection.RemoteEndPoint, counters.BytesReceived, counters.BytesSent);
            }
        }
    }

    /// <summary>
    /// Counts a connection of a TLS endpoint against the limits before its handshake, so that a refused client costs
    /// no handshake; it is just closed (a GoAway could not be read before TLS). An admitted one goes on to
    /// <paramref name="next"/>, the handshake; once that completes, <see cref="TrackAsync"/> takes the admission over.
    /// One that never got there failed its handshake: it is counted and logged as such, and gives its place back.
    /// </summary>
    public async Task AdmitBeforeHandshakeAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (!limiter.TryAdmit(connection, out var address, out _))
        {
            return;
        }

        var admission = new Admission(address);
        connection.Features.Set(admission);
        try
        {
            await next(connection);
        }
        finally
        {
            if (!admission.Tracked)
            {
                limiter.Release(address);
                live.TlsHandshakeFailed();
                LogTlsHandshakeFailed(logger, connection.ConnectionId, live.EndpointName, connection.RemoteEndPoint);
            }
        }
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Connection {ConnectionId} accepted on {Endpoint} from {RemoteAddress}")]
    private static partial void LogAccepted(ILogger logger, string connectionId, string endpoint, EndPoint? remoteAddress);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Connection {ConnectionId} on {Endpoint} from {RemoteAddress} closed: {BytesReceived} bytes received, {BytesSent} bytes sent")]
    private static partial void LogClosed(ILogger logger, string connectionId, string endpoint, EndPoint? remoteAddress, long bytesReceived, long bytesSent);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug, Message = "Connection {ConnectionId} on {Endpoint} from {RemoteAddress} closed before its TLS handshake completed")]
    private static partial void LogTlsHandshakeFailed(ILogger logger, string connectionId, string endpoint, EndPoint? remoteAddress);
}

/// <summary>A connection counted against the limits before its TLS handshake, under its address.</summary>
internal sealed class Admission(AddressEntry? address)
{
    public AddressEntry? Address => address;

    /// <summary>Set once the handshake has completed and <see cref="ConnectionTracker.TrackAsync"/> serves the connection (and so releases it).</summary>
    public bool Tracked { get; set; }
}
