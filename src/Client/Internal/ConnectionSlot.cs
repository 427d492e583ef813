using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace EchoHost.Client.Internal;

/// <summary>
/// One place in the pool: the connection that serves it, opened when first needed and again after it closed or
/// received a GoAway. After a failed attempt to connect, the slot backs off (100 ms, doubling, at most 2 s): until
/// then, requests fail at once with the last attempt's error instead of queueing behind the wait; the first request
/// after it tries again. Requests that arrive during an attempt share its outcome.
/// </summary>
internal sealed class ConnectionSlot : IAsyncDisposable
{
    internal static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    internal static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    private readonly EndPoint _endPoint;
    private readonly FramedClientOptions _options;
    private readonly ConcurrentDictionary<FramedConnection, bool> _open;
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private FramedConnection? _current;
    private int _failures; // guarded by _connecting
    private long _lastFailure; // guarded by _connecting
    private FramedConnectionException? _lastError; // guarded by _connecting
    private volatile bool _disposed;

    // open: the client's open connections, for disposal; the slot adds each it opens, which removes itself when closed.
    public ConnectionSlot(EndPoint endPoint, FramedClientOptions options, ConcurrentDictionary<FramedConnection, bool> open)
    {
        _endPoint = endPoint;
        _options = options;
        _open = open;
    }

    /// <summary>The slot's connection if it takes requests, else null.</summary>
    public FramedConnection? Usable => Volatile.Read(ref _current) is { IsUsable: true } connection ? connection : null;

    public static TimeSpan Backoff(int failures) =>
        failures <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, FirstBackoff.Ticks << Math.Min(failures - 1, 16)));

    public async ValueTask<FramedConnection> GetAsync(CancellationToken cancellationToken)
    {
        if (Usable is { } usable)
        {
            return usable;
        }

        await _connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Usable is { } opened)
            {
                return opened;
            }

            ObjectDisposedException.ThrowIf(_disposed, typeof(FramedClient));

            var wait = Backoff(_failures) - Stopwatch.GetElapsedTime(_lastFailure);
            if (wait > TimeSpan.Zero && _lastError is not null)
            {
                throw new FramedConnectionException($"{_lastError.Message} (attempt {_failures}; the next in {wait.TotalMilliseconds:0} ms)", _lastError);
            }

            FramedConnection connection;
            try
            {
                connection = await FramedConnection.ConnectAsync(_endPoint, _options, c => _open.TryRemove(c, out _), cancellationToken).ConfigureAwait(false);
            }
            catch (FramedConnectionException ex)
            {
                _failures++;
                _lastFailure = Stopwatch.GetTimestamp();
                _lastError = ex;
                throw;
            }

            _failures = 0;
            _lastError = null;
            _open.TryAdd(connection, true);
            Interlocked.Exchange(ref _current, connection);
            if (_disposed && Interlocked.Exchange(ref _current, null) is { } orphan)
            {
                // The client was disposed while this connection was being opened (whichever sees it disposes it).
                await orphan.DisposeAsync().ConfigureAwait(false);
                throw new ObjectDisposedException(nameof(FramedClient));
            }

            return connection;
        }
        finally
        {
            _connecting.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        if (Interlocked.Exchange(ref _current, null) is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
