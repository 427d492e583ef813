using System.Diagnostics;
using EchoHost.Configuration;
using EchoHost.Logging;
using EchoHost.Metrics;
using EchoHost.Protocol;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace EchoHost.Limits;

/// <summary>
/// One endpoint's limits: admits or refuses each new connection (server-wide count, the endpoint's count, the
/// address's rate and count), gives the admitted ones their <see cref="ConnectionWatch"/>, and counts refusals and
/// timeouts for the metrics and the log.
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
    private readonly EndpointCounters _counters;
    private readonly AddressTable? _addresses;
    private readonly RateLimit _requestRate;
    private readonly long[] _rejected = new long[LimitNames.RejectReasons.Length];
    private readonly long[] _timedOut = new long[LimitNames.Timeouts.Length];
    private readonly CountsSinceLastLine _logged = new(LimitNames.RejectReasons);
    private long _lastLogged = Environment.TickCount64 - (long)LogInterval.TotalMilliseconds;
    private int _connections;

    public ConnectionLimiter(EndpointDefinition endpoint, EndpointLimits limits, ServerConnectionCount server, EndpointCounters counters)
    {
        Endpoint = endpoint;
        Limits = limits;
        _server = server;
        _counters = counters;
        _requestRate = endpoint.Protocol == EndpointProtocol.Framed
            ? new RateLimit(limits.RequestsPerSecondPerAddress, limits.RequestBurstPerAddress)
            : default;
        // Only an endpoint with a limit per address keeps a table of addresses.
        _addresses = limits.MaxConnectionsPerAddress > 0 || limits.ConnectionsPerSecondPerAddress > 0 || _requestRate.IsOn
            ? new AddressTable(limits, _requestRate)
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
    /// admitted connection is released with <see cref="Release(AddressEntry?)"/>, or through its watch.
    /// </summary>
    public bool TryAdmit(ConnectionContext connection, out AddressEntry? address, out RejectReason reason)
    {
        reason = RejectReason.None;
        address = null;
        if (_addresses is not null && AddressKey.TryGet(connection.RemoteEndPoint, out var key))
        {
            reason = _addresses.TryAdmit(key, Stopwatch.GetTimestamp(), out address);
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
                    _addresses!.Release(address, Stopwatch.GetTimestamp());
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

    /// <summary>The watch of a connection admitted under <paramref name="address"/>, over the input its protocol reads.</summary>
    public ConnectionWatch Watch(ConnectionContext connection, AddressEntry? address) =>
        new(Limits, _requestRate, address, connection.ConnectionId, connection.Transport.Input);

    /// <summary>Ends a refused connection: a framed client is told why with GoAway; the others are just closed.</summary>
    public static async Task RejectAsync(ConnectionContext connection, EndpointDefinition endpoint, RejectReason reason)
    {
        if (endpoint.Protocol != EndpointProtocol.Framed)
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

    /// <summary>A connection admitted by <see cref="TryAdmit"/> has closed.</summary>
    public void Release(ConnectionWatch watch) => Release(watch.Address);

    /// <summary>A connection admitted by <see cref="TryAdmit"/> under <paramref name="address"/> has closed.</summary>
    public void Release(AddressEntry? address)
    {
        Interlocked.Decrement(ref _connections);
        _server.Close();
        if (address is not null)
        {
            _addresses!.Release(address, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>
    /// The sweep's visit at <paramref name="now"/> (<see cref="Environment.TickCount64"/>): times out the live
    /// connections that ran out of time (collected into <paramref name="watches"/> first, so that none is told under
    /// the endpoint's lock) and forgets the addresses that have been idle long enough.
    /// </summary>
    public void Sweep(long now, List<ConnectionWatch> watches, ILogger logger)
    {
        watches.Clear();
        _counters.CollectWatches(watches);
        var framed = Endpoint.Protocol == EndpointProtocol.Framed;
        var watchesTime = Endpoint.Protocol != EndpointProtocol.Http;
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
        _addresses?.Forget(Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// Writes one Warning line with the refusals since the last line, if there are any and the last line is at least
    /// <see cref="LogInterval"/> old (<paramref name="now"/>: <see cref="Environment.TickCount64"/>).
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
