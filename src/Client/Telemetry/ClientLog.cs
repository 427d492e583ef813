using Microsoft.Extensions.Logging;

namespace EchoHost.Client.Telemetry;

/// <summary>The client's log events (category <c>EchoHost.Client.FramedClient</c>), those of its pool and those of its Polly pipeline.</summary>
internal static partial class ClientLog
{
    [LoggerMessage(1, LogLevel.Debug, "Framed client {Client}: connection to {Server} opened")]
    public static partial void ConnectionOpened(ILogger logger, string client, string server);

    [LoggerMessage(2, LogLevel.Warning, "Framed client {Client}: could not connect to {Server} (failure {Failures}); the next attempt in {RetryAfterMs} ms")]
    public static partial void ConnectFailed(ILogger logger, string client, string server, int failures, double retryAfterMs, Exception exception);

    [LoggerMessage(3, LogLevel.Information, "Framed client {Client}: connection to {Server} replaced after: {Reason}")]
    public static partial void Replacing(ILogger logger, string client, string server, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Framed client {Client}: the connection to {Server} sent no Pong to its health check within {TimeoutMs} ms; closing it")]
    public static partial void HealthCheckFailed(ILogger logger, string client, string server, double timeoutMs, Exception? exception);

    [LoggerMessage(5, LogLevel.Warning, "Framed client {Client}: attempt {Attempt} in {DelayMs} ms after a failure safe to retry")]
    public static partial void Retrying(ILogger logger, string client, int attempt, double delayMs, Exception? exception);

    [LoggerMessage(6, LogLevel.Error, "Framed client {Client}: circuit breaker opened for {BreakMs} ms; requests fail at once")]
    public static partial void CircuitOpened(ILogger logger, string client, double breakMs, Exception? exception);

    [LoggerMessage(7, LogLevel.Information, "Framed client {Client}: circuit breaker half-open; the next request tests the server")]
    public static partial void CircuitHalfOpened(ILogger logger, string client);

    [LoggerMessage(8, LogLevel.Information, "Framed client {Client}: circuit breaker closed")]
    public static partial void CircuitClosed(ILogger logger, string client);
}
