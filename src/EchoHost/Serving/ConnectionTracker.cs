using System.Net;
using EchoHost.Limits;
using EchoHost.Metrics;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace EchoHost.Serving;

/// <summary>Counts and logs each connection of one endpoint from its accept to its close, whatever it speaks.</summary>
internal sealed partial class ConnectionTracker(EndpointCounters endpoint, ConnectionLimiter limiter, ILogger logger)
{
    public EndpointCounters Endpoint => endpoint;

    /// <summary>
    /// Serves <paramref name="connection"/> with <paramref name="serve"/>, its counts kept in <paramref name="counters"/>;
    /// or, past a limit, ends it at once (counted as rejected, not as accepted).
    /// </summary>
    public async Task TrackAsync<T>(ConnectionContext connection, T counters, Func<ConnectionContext, T, Task> serve)
        where T : ConnectionCounters
    {
        ConnectionWatch watch;
        if (endpoint.IsTls)
        {
            // Admitted before its handshake (AdmitBeforeHandshakeAsync), which has completed.
            var admission = connection.Features.Get<Admission>()!;
            admission.Tracked = true;
            watch = limiter.Watch(connection, admission.Address);
        }
        else if (limiter.TryAdmit(connection, out var address, out var rejected))
        {
            watch = limiter.Watch(connection, address);
        }
        else
        {
            await ConnectionLimiter.RejectAsync(connection, limiter.Endpoint, rejected);
            return;
        }

        counters.Watch = watch;
        endpoint.Open(counters);
        // The remote address is made on first use: only when the line is written.
        var logging = logger.IsEnabled(LogLevel.Debug);
        if (logging)
        {
            LogAccepted(logger, connection.ConnectionId, endpoint.Name, connection.RemoteEndPoint);
        }

        try
        {
            await serve(connection, counters);
        }
        finally
        {
            endpoint.Close(counters);
            limiter.Release(watch);
            if (logging)
            {
                LogClosed(logger, connection.ConnectionId, endpoint.Name, connection.RemoteEndPoint, counters.BytesReceived, counters.BytesSent);
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
                endpoint.TlsHandshakeFailed();
                LogTlsHandshakeFailed(logger, connection.ConnectionId, endpoint.Name, connection.RemoteEndPoint);
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
