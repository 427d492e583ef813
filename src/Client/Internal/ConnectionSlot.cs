using EchoHost.Client.Telemetry;

namespace EchoHost.Client.Internal;

/// <summary>How a place of the pool stands, as a request choosing one sees it.</summary>
internal enum SlotState
{
    /// <summary>Never opened: a request that chooses it opens its connection.</summary>
    Empty,

    /// <summary>Its connection takes requests.</summary>
    Usable,

    /// <summary>An attempt to connect is under way; requests that choose it share its outcome.</summary>
    Connecting,

    /// <summary>The last attempt failed; the next comes after the back-off, and requests fail at once until then.</summary>
    Down,
}

/// <summary>
/// One place in the pool: the connection that serves it. The first request opens it; once it has had a connection,
/// the place keeps one in the background: a connection that is lost, closed by a GoAway or fails its health check is
/// replaced at once, and after a failed attempt the next comes after a back-off (100 ms, doubling, at most 2 s) on the
/// options' clock. Meanwhile requests fail at once with the last attempt's error instead of each trying to connect.
/// </summary>
internal sealed class ConnectionSlot : IConnectionOwner, IAsyncDisposable
{
    internal static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    internal static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    private readonly ConnectionPool _pool;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private volatile FramedClientConnection? _current;
    private volatile Task<Attempt>? _attempt;
    private volatile FramedUnavailableException? _lastError; // set while backing off after a failed attempt
    private long _failedAt; // guarded by _gate
    private int _failures; // guarded by _gate
    private bool _hadConnection; // guarded by _gate
    private bool _disposed; // guarded by _gate
    private ITimer? _reconnect; // guarded by _gate
    private HealthCheck? _health; // guarded by _gate

    public ConnectionSlot(ConnectionPool pool)
    {
        _pool = pool;
        _time = pool.Options.TimeProvider;
    }

    /// <summary>The slot's connection if it takes requests, else null.</summary>
    public FramedClientConnection? Usable => _current is { IsUsable: true } connection ? connection : null;

    /// <summary>A hint for choosing a slot, read without the lock.</summary>
    public SlotState State =>
        Usable is not null ? SlotState.Usable
        : _attempt is not null ? SlotState.Connecting
        : _lastError is not null ? SlotState.Down
        : SlotState.Empty;

    public static TimeSpan Backoff(int failures) =>
        failures <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, FirstBackoff.Ticks << Math.Min(failures - 1, 16)));

    /// <summary>The slot's connection; opens it if the slot never had one; fails at once while the slot backs off.</summary>
    /// <exception cref="FramedUnavailableException">No connection: the attempt failed now or before.</exception>
    public async ValueTask<FramedClientConnection> GetAsync(CancellationToken cancellationToken)
    {
        if (Usable is { } usable)
        {
            return usable;
        }

        Task<Attempt> attempt;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, typeof(FramedClient));
            if (Usable is { } opened)
            {
                return opened;
            }

            if (_attempt is null && _lastError is { } down)
            {
                var wait = Backoff(_failures) - _time.GetElapsedTime(_failedAt);
                throw new FramedUnavailableException(
                    down.Reason,
                    $"{down.Message} (failure {_failures}; the next attempt in {Math.Max(0, wait.TotalMilliseconds):0} ms)",
                    down,
                    wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
            }

            attempt = _attempt ?? StartAttempt();
        }

        var outcome = await attempt.WaitAsync(cancellationToken).ConfigureAwait(false);
        return outcome.Connection ?? throw outcome.Error!;
    }

    void IConnectionOwner.Retired(FramedClientConnection connection, string why)
    {
        lock (_gate)
        {
            if (_current != connection)
            {
                return;
            }

            _current = null;
            _health?.Dispose();
            _health = null;
            if (_disposed)
            {
                return;
            }

            _attempt ??= StartAttempt();
        }

        ClientLog.Replacing(_pool.Logger, _pool.Name, _pool.Server, why);
    }

    void IConnectionOwner.Closed(FramedClientConnection connection)
    {
        if (_pool.Open.TryRemove(connection, out _))
        {
            _pool.Metrics.Closed();
        }
    }

    public async ValueTask DisposeAsync()
    {
        FramedClientConnection? connection;
        lock (_gate)
        {
            _disposed = true;
            _reconnect?.Dispose();
            _reconnect = null;
            _health?.Dispose();
            _health = null;
            connection = _current;
            _current = null;
        }

        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Starts an attempt to connect, on the thread pool so that nothing runs under the lock. Called under the lock.</summary>
    private Task<Attempt> StartAttempt()
    {
        _reconnect?.Dispose();
        _reconnect = null;
        var attempt = Task.Run(ConnectAsync);
        _attempt = attempt;
        return attempt;
    }

    /// <summary>One attempt; never throws: its outcome is the connection or the reason there is none.</summary>
    private async Task<Attempt> ConnectAsync()
    {
        var metrics = _pool.Metrics;
        metrics.ConnectAttempt();
        FramedClientConnection connection;
        try
        {
            connection = await FramedClientConnection.ConnectAsync(_pool.EndPoint, _pool.Options, this, metrics, CancellationToken.None).ConfigureAwait(false);
        }
        catch (FramedUnavailableException ex)
        {
            metrics.ConnectFailed();
            TimeSpan wait;
            int failures;
            lock (_gate)
            {
                _attempt = null;
                _lastError = ex;
                _failedAt = _time.GetTimestamp();
                failures = ++_failures;
                wait = Backoff(failures);
                if (!_disposed)
                {
                    _reconnect = _time.CreateTimer(static state => ((ConnectionSlot)state!).Reconnect(), this, wait, Timeout.InfiniteTimeSpan);
                }
            }

            ClientLog.ConnectFailed(_pool.Logger, _pool.Name, _pool.Server, failures, wait.TotalMilliseconds, ex);
            return new Attempt(null, ex);
        }

        bool replacing;
        lock (_gate)
        {
            _attempt = null;
            if (_disposed)
            {
                replacing = false;
            }
            else
            {
                replacing = _hadConnection;
                _hadConnection = true;
                _failures = 0;
                _lastError = null;
                _current = connection;
                if (_pool.Options.HealthCheckInterval > TimeSpan.Zero)
                {
                    _health = new HealthCheck(connection, _pool);
                }
            }
        }

        _pool.Open.TryAdd(connection, true);
        metrics.Opened(replacing);
        connection.Start();
        if (_current != connection)
        {
            // The client was disposed during the attempt.
            await connection.DisposeAsync().ConfigureAwait(false);
            return new Attempt(null, new FramedUnavailableException(FramedUnavailableReason.Unreachable, "The client was disposed.", new ObjectDisposedException(nameof(FramedClient))));
        }

        ClientLog.ConnectionOpened(_pool.Logger, _pool.Name, _pool.Server);
        return new Attempt(connection, null);
    }

    /// <summary>The back-off is over: the next attempt, in the background.</summary>
    private void Reconnect()
    {
        lock (_gate)
        {
            if (_disposed || _attempt is not null || Usable is not null)
            {
                return;
            }

            StartAttempt();
        }
    }

    private sealed record Attempt(FramedClientConnection? Connection, FramedUnavailableException? Error);
}
