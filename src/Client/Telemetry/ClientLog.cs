using Microsoft.Extensions.Logging;

namespace EchoHost.Client.Telemetry;

/// <summary>The client's own log events (category <c>EchoHost.Client.FramedClient</c>); Polly logs its retries and breaker itself.</summary>
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
}
