using EchoHost.Client.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace EchoHost.Client;

/// <summary>
/// The rules of the client's resilience, for pipelines of your own (<see cref="FramedClientOptions.ResiliencePipeline"/>):
/// which failures may be retried and which count against the server. The default pipeline is built from them.
/// </summary>
public static class FramedResilience
{
    /// <summary>The name of the client's pipelines in Polly's telemetry; each client's name is the instance name.</summary>
    public const string PipelineName = "EchoHost.Client";

    /// <summary>
    /// Set on each call's <see cref="ResilienceContext"/>: true when the request may be sent twice (a Ping, a type in
    /// <see cref="FramedClientOptions.IdempotentTypes"/>, or a call that said so).
    /// </summary>
    public static ResiliencePropertyKey<bool> IdempotentKey { get; } = new("EchoHost.Client.Idempotent");

    /// <summary>
    /// Set on the context of <see cref="FramedClient.PingAsync"/>'s calls. A Ping is idempotent, but one that timed
    /// out is not repeated: its Pong may still come, and Pongs answer Pings in the order they were sent.
    /// </summary>
    public static ResiliencePropertyKey<bool> PingKey { get; } = new("EchoHost.Client.Ping");

    /// <summary>
    /// Whether an attempt that failed with <paramref name="exception"/> may be repeated: always when it was never sent
    /// (<see cref="FramedUnavailableException"/>, except for an open circuit breaker, which means: stop trying); after
    /// it may have reached the server (<see cref="FramedOutcomeUnknownException"/>, <see cref="TimeoutException"/>)
    /// only when <see cref="IdempotentKey"/> is true (and, for a timeout, <see cref="PingKey"/> is not); never for an
    /// answer of the server's or a cancellation.
    /// </summary>
    public static bool IsSafeToRetry(Exception exception, ResilienceContext context)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(context);
        return exception switch
        {
            FramedUnavailableException { Reason: FramedUnavailableReason.CircuitOpen } => false,
            FramedUnavailableException => true,
            FramedOutcomeUnknownException => context.Properties.GetValue(IdempotentKey, false),
            TimeoutException => context.Properties.GetValue(IdempotentKey, false) && !context.Properties.GetValue(PingKey, false),
            _ => false,
        };
    }

    /// <summary>
    /// Whether <paramref name="exception"/> says that the server or the way to it is failing, for a circuit breaker:
    /// connection failures (not sent, or lost after) and timeouts; not the server's Error answers.
    /// </summary>
    public static bool IsConnectionFailure(Exception exception) =>
        exception is (FramedConnectionException or TimeoutException) and not FramedUnavailableException { Reason: FramedUnavailableReason.CircuitOpen };

    /// <summary>
    /// The default pipeline: a retry (when <see cref="FramedResilienceOptions.MaxRetryAttempts"/> is above 0) around a
    /// circuit breaker (when enabled), on <paramref name="time"/>. Polly's events (a retry, the breaker opening,
    /// half-opening, closing) are counted in <paramref name="metrics"/> and logged to <paramref name="logger"/> from the
    /// strategies' own callbacks, which cost nothing while nothing happens; Polly's telemetry, which reports every
    /// execution, only when <see cref="FramedResilienceOptions.PollyTelemetry"/> asks for it.
    /// </summary>
    internal static ResiliencePipeline CreateDefault(FramedResilienceOptions options, string clientName, TimeProvider time, ILoggerFactory? loggers, ILogger logger, ClientMetrics metrics)
    {
        var builder = new ResiliencePipelineBuilder { Name = PipelineName, InstanceName = clientName, TimeProvider = time };
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = static args => new ValueTask<bool>(args.Outcome.Exception is { } ex && IsSafeToRetry(ex, args.Context)),
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.RetryMaxDelay,
                OnRetry = args =>
                {
                    metrics.Retried();
                    ClientLog.Retrying(logger, clientName, args.AttemptNumber + 2, args.RetryDelay.TotalMilliseconds, args.Outcome.Exception);
                    return default;
                },
            });
        }

        if (metrics.Breaker is { } stateProvider)
        {
            builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = static args => new ValueTask<bool>(args.Outcome.Exception is { } ex && IsConnectionFailure(ex)),
                FailureRatio = options.FailureRatio,
                MinimumThroughput = options.MinimumThroughput,
                SamplingDuration = options.SamplingDuration,
                BreakDuration = options.BreakDuration,
                StateProvider = stateProvider,
                OnOpened = args =>
                {
                    metrics.CircuitOpened();
                    ClientLog.CircuitOpened(logger, clientName, args.BreakDuration.TotalMilliseconds, args.Outcome.Exception);
                    return default;
                },
                OnHalfOpened = _ =>
                {
                    metrics.CircuitHalfOpened();
                    ClientLog.CircuitHalfOpened(logger, clientName);
                    return default;
                },
                OnClosed = _ =>
                {
                    metrics.CircuitClosed();
                    ClientLog.CircuitClosed(logger, clientName);
                    return default;
                },
            });
        }

        if (options.PollyTelemetry)
        {
            builder.ConfigureTelemetry(loggers ?? NullLoggerFactory.Instance);
        }

        return builder.Build();
    }
}
