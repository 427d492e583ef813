using EchoHost.Client.Telemetry;

namespace EchoHost.Client.Internal;

/// <summary>
/// Pings one connection whenever it has been idle (no request waiting, nothing received) for the health-check
/// interval; a connection whose Pong does not come within the timeout is closed, which makes its pool place replace
/// it before a request is lost on it. Runs on the options' clock.
/// </summary>
internal sealed class HealthCheck : IDisposable
{
    private readonly FramedClientConnection _connection;
    private readonly ConnectionPool _pool;
    private readonly TimeSpan _interval;
    private readonly ITimer _timer;

    public HealthCheck(FramedClientConnection connection, ConnectionPool pool)
    {
        _connection = connection;
        _pool = pool;
        _interval = pool.Options.HealthCheckInterval;
        _timer = pool.Options.TimeProvider.CreateTimer(static state => _ = ((HealthCheck)state!).TickAsync(), this, _interval, Timeout.InfiniteTimeSpan);
    }

    public void Dispose() => _timer.Dispose();

    private void Reschedule(TimeSpan due)
    {
        try
        {
            _timer.Change(due, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The connection was retired meanwhile.
        }
    }

    private async Task TickAsync()
    {
        var silence = _connection.Silence;
        if (_connection.InFlight > 0 || silence < _interval)
        {
            // Busy, or heard from lately: look again when it could have been idle for a whole interval.
            Reschedule(_connection.InFlight > 0 ? _interval : _interval - silence);
            return;
        }

        var timeout = _pool.Options.HealthCheckTimeout;
        using var deadline = new CancellationTokenSource(timeout, _pool.Options.TimeProvider);
        Task<TimeSpan> pong;
        try
        {
            pong = _connection.Ping(ReadOnlySpan<byte>.Empty, deadline.Token);
        }
        catch (ConnectionUnavailableException)
        {
            return; // retired meanwhile: its slot replaces it
        }

        try
        {
            await pong.ConfigureAwait(false);
            Reschedule(_interval);
            _pool.Metrics.HealthChecked(failed: false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidDataException)
        {
            _pool.Metrics.HealthChecked(failed: true);
            ClientLog.HealthCheckFailed(_pool.Logger, _pool.Name, _pool.Server, timeout.TotalMilliseconds, ex as InvalidDataException);
            _connection.Abort($"The connection to {_pool.Server} sent no Pong to its health check within {timeout} and was closed. Whether the server handled the request is unknown.");
        }
        catch (FramedConnectionException)
        {
            // Lost while the Ping waited: its slot replaces it.
        }
    }
}
