using EchoHost.Configuration;
using EchoHost.Connections;
using EchoHost.Logging;
using EchoHost.Protocol;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace EchoHost.Limits;

/// <summary>
/// One endpoint's limits: admits or refuses each new connection (server-wide count, the endpoint's count, the
/// address's rate and count), gives the admitted ones their <see cref="ConnectionWatch"/> and request bucket, and
/// counts refusals and timeouts for the metrics and the log. Its sweep walks the endpoint's <see cref="LiveConnections"/>.
/// </summary>
internal sealed class ConnectionLimiter
{
    private static readonly byte[][] GoAwayReasons =
    [
        "connection limit reached"u8.ToArray(),
        "connection limit reached"u8.ToArray(),
        "connection limit reached for this address"u8.ToArray(),
        "connection rate limit reached for this address"u8.ToArray(),
        "too many addresses connected"u8.ToArray(),
    ];

    /// <summary>The least time between two lines about one endpoint's refusals.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly ServerConnectionCount _server;
    private readonly LiveConnections _live;
    private readonly AddressTable? _addresses;
    private readonly RateLimit _requestRate;
    private readonly long[] _rejected = new long[LimitNames.RejectReasons.Length];
    private readonly long[] _timedOut = new long[LimitNames.Timeouts.Length];
    private readonly CountsSinceLastLine _logged = new(LimitNames.RejectReasons);
    private readonly TimeProvider _time;
    private long _lastLogged;
    private int _connections;

    public ConnectionLimiter(EndpointDefinition endpoint, EndpointLimits limits, ServerConnectionCount server, LiveConnections live, TimeProvider time)
    {
        Endpoint = endpoint;
        Limits = limits;
        _server = server;
        _live = live;
        _time = time;
        _lastLogged = time.Milliseconds() - (long)LogInterval.TotalMilliseconds;
        _requestRate = endpoint.Protocol.Applies(ProtocolLimits.RequestRate)
            ? new RateLimit(limits.RequestsPerSecondPerAddress, limits.RequestBurstPerAddress, time.TimestampFrequency)
            : default;
        // Only an endpoint with a limit per address keeps a table of addresses.
        _addresses = limits.MaxConnectionsPerAddress > 0 || limits.ConnectionsPerSecondPerAddress > 0 || _requestRate.IsOn
            ? new AddressTable(limits, _requestRate, time.TimestampFrequency)
            : null;
    }

    public EndpointDefinition Endpoint { get; }

    public EndpointLimits Limits { get; }

    /// <summary>The endpoint's table of addresses; null when no limit per address applies.</summary>
    public AddressTable? Addresses => _addresses;

    /// <summary>Refusals so far, by <see cref="RejectReason"/>.</summary>
    public ReadOnlySpan<long> Rejected => _rejected;

    /// <summary>Connections ended by the sweep so far, by <see cref="ConnectionTimeout"/>.</summary>
    public ReadOnlySpan<long> TimedOut => _timedOut;

    /// <summary>
    /// Counts <paramref name="connection"/> against the limits: true with the address it is counted under (null when
    /// no limit per address applies), or false with the reason it is refused (nothing stays counted then). An
    /// admitted connection is released with <see cref="Release(AddressEntry?)"/>.
    /// </summary>
    public bool TryAdmit(ConnectionContext connection, out AddressEntry? address, out RejectReason reason)
    {
        reason = RejectReason.None;
        address = null;
        if (_addresses is not null && AddressKey.TryGet(connection.RemoteEndPoint, out var key))
        {
            reason = _addresses.TryAdmit(key, _time.GetTimestamp(), out address);
        }

        if (reason == RejectReason.None)
        {
            if (Interlocked.Increment(ref _connections) > Limits.MaxConnections && Limits.MaxConnections > 0)
            {
                reason = RejectReason.EndpointMaxConnections;
            }
            else if (!_server.TryOpen())
            {
                reason = RejectReason.MaxConnections;
            }

            if (reason != RejectReason.None)
            {
                Interlocked.Decrement(ref _connections);
                if (address is not null)
                {
                    _addresses!.Release(address, _time.GetTimestamp());
                    address = null;
                }
            }
        }

        if (reason != RejectReason.None)
        {
            Interlocked.Increment(ref _rejected[(int)reason]);
            return false;
        }

        return true;
    }

    /// <summary>Counts a connection refused before the limits saw it (<see cref="RejectReason.ProxyProtocol"/>).</summary>
    public void CountRejected(RejectReason reason) => Interlocked.Increment(ref _rejected[(int)reason]);

    /// <summary>The watch of an admitted connection, over the input its protocol reads.</summary>
    public ConnectionWatch Watch(ConnectionContext connection) =>
        new(Limits, connection.ConnectionId, connection.Transport.Input, _time);

    /// <summary>
    /// The request bucket of a connection admitted under <paramref name="address"/>, shared by the address's
    /// connections; null when no request rate applies (or the connection is not limited per address).
    /// </summary>
    public IRequestGate? RequestGate(AddressEntry? address) =>
        address is not null && _requestRate.IsOn ? new AddressRequests(_requestRate, address, _time) : null;

    /// <summary>Ends a refused connection: a framed client is told why with GoAway; the others are just closed.</summary>
    public static async Task RejectAsync(ConnectionContext connection, EndpointDefinition endpoint, RejectReason reason)
    {
        if (!endpoint.Protocol.Applies(ProtocolLimits.ToldWhyRefused))
        {
            return;
        }

        var output = connection.Transport.Output;
        FrameWriter.WriteFrame(output, FrameKind.GoAway, GoAwayReasons[(int)reason]);
        try
        {
            await output.FlushAsync();
        }
        catch (Exception ex) when (ex is IOException or ConnectionAbortedException or InvalidOperationException)
        {
            // The client left first: nothing to tell it.
        }
    }

    /// <summary>A connection admitted by <see cref="TryAdmit"/> under <paramref name="address"/> has closed.</summary>
    public void Release(AddressEntry? address)
    {
        Interlocked.Decrement(ref _connections);
        _server.Close();
        if (address is not null)
        {
            _addresses!.Release(address, _time.GetTimestamp());
        }
    }

    /// <summary>
    /// The sweep's visit at <paramref name="now"/> (<see cref="TimeProviderExtensions.Milliseconds"/>): times out the live
    /// connections that ran out of time (collected into <paramref name="watches"/> first, so that none is told under
    /// the endpoint's lock) and forgets the addresses that have been idle long enough.
    /// </summary>
    public void Sweep(long now, List<ConnectionWatch> watches, ILogger logger)
    {
        watches.Clear();
        _live.CollectWatches(watches);
        var framed = Endpoint.Protocol.Applies(ProtocolLimits.SlowFrame);
        var watchesTime = framed || Endpoint.Protocol.Applies(ProtocolLimits.IdleTimeout);
        foreach (var watch in watches)
        {
            var timeout = watchesTime ? watch.Check(now, framed) : ConnectionTimeout.None;
            if (timeout != ConnectionTimeout.None)
            {
                Interlocked.Increment(ref _timedOut[(int)timeout]);
                LimitsLog.TimedOut(logger, watch.ConnectionId, Endpoint.Name, LimitNames.Timeouts[(int)timeout]);
            }
        }

        watches.Clear();
        _addresses?.Forget(_time.GetTimestamp());
    }

    /// <summary>
    /// Writes one Warning line with the refusals since the last line, if there are any and the last line is at least
    /// <see cref="LogInterval"/> old (<paramref name="now"/>: <see cref="TimeProviderExtensions.Milliseconds"/>).
    /// </summary>
    public void LogRejections(long now, ILogger logger)
    {
        if (now - _lastLogged < (long)LogInterval.TotalMilliseconds)
        {
            return;
        }

        if (_logged.Describe(_rejected, out var total) is { } reasons)
        {
            LimitsLog.Rejected(logger, Endpoint.Name, total, reasons);
            _lastLogged = now;
        }
    }
}

/// <summary>An address's request bucket, as a connection from it draws on it before each request it serves.</summary>
internal sealed class AddressRequests(RateLimit rate, AddressEntry address, TimeProvider time) : IRequestGate
{
    public bool TryTake() => rate.TryTake(ref address.RequestsFullAt, time.GetTimestamp());
}

/// <summary>The connections of every endpoint together, against <c>EchoHost:Limits:MaxConnections</c> (0: unlimited).</summary>
internal sealed class ServerConnectionCount(int maxConnections)
{
    private int _open;

    public bool TryOpen()
    {
        if (Interlocked.Increment(ref _open) > maxConnections && maxConnections > 0)
        {
            Interlocked.Decrement(ref _open);
            return false;
        }

        return true;
    }

    public void Close() => Interlocked.Decrement(ref _open);
}
