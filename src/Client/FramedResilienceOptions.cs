namespace EchoHost.Client;

/// <summary>
/// The default resilience pipeline of a <see cref="FramedClient"/> (<see cref="FramedClientOptions.Resilience"/>): a
/// retry of the requests that are safe to repeat, with exponential back-off and jitter, around a circuit breaker over
/// connection failures and timeouts. Ignored when <see cref="FramedClientOptions.ResiliencePipeline"/> is set.
/// </summary>
public sealed class FramedResilienceOptions
{
    /// <summary>
    /// How many times a failed request is repeated at most, when it is safe to repeat (never sent, a Ping, or an
    /// idempotent type); 0 turns retries off. Default 3.
    /// </summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>The back-off before the first retry; it doubles with each further retry, with jitter. Default 100 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest back-off between two retries. Default 2 seconds.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether the circuit breaker is on. Default true.</summary>
    public bool CircuitBreakerEnabled { get; set; } = true;

    /// <summary>
    /// The share of failed attempts (connection failures and timeouts) within <see cref="SamplingDuration"/> that opens
    /// the breaker, once <see cref="MinimumThroughput"/> attempts were made. Default 0.5.
    /// </summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>How many attempts within <see cref="SamplingDuration"/> the breaker needs before it may open. Default 10.</summary>
    public int MinimumThroughput { get; set; } = 10;

    /// <summary>The window over which the breaker computes the failure ratio. Default 30 seconds.</summary>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long an open breaker fails requests at once; then it half-opens and lets one request through, whose outcome
    /// closes it or opens it again. Default 5 seconds.
    /// </summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Also report through Polly's own telemetry (<c>Polly.Extensions</c>): Polly's meter and its logs of every
    /// execution and attempt, with pipeline <c>EchoHost.Client</c> and the client's name as instance. It costs about
    /// 220 bytes and some CPU time per request; the client's own metrics and logs of retries and of the breaker do not
    /// need it. Default false.
    /// </summary>
    public bool PollyTelemetry { get; set; }

    internal FramedResilienceOptions Validated()
    {
        if (MaxRetryAttempts < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetryAttempts), MaxRetryAttempts, "Resilience:MaxRetryAttempts must be 0 or more.");
        }

        if (RetryDelay < TimeSpan.Zero || RetryMaxDelay < RetryDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(RetryDelay), RetryDelay, $"Resilience:RetryDelay must be 0 or more and at most RetryMaxDelay ({RetryMaxDelay}).");
        }

        if (CircuitBreakerEnabled)
        {
            if (!(FailureRatio > 0 && FailureRatio <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(FailureRatio), FailureRatio, "Resilience:FailureRatio must be more than 0 and at most 1.");
            }

            if (MinimumThroughput < 2)
            {
                throw new ArgumentOutOfRangeException(nameof(MinimumThroughput), MinimumThroughput, "Resilience:MinimumThroughput must be at least 2.");
            }

            if (SamplingDuration < TimeSpan.FromMilliseconds(500))
            {
                throw new ArgumentOutOfRangeException(nameof(SamplingDuration), SamplingDuration, "Resilience:SamplingDuration must be at least 500 ms.");
            }

            if (BreakDuration < TimeSpan.FromMilliseconds(500))
            {
                throw new ArgumentOutOfRangeException(nameof(BreakDuration), BreakDuration, "Resilience:BreakDuration must be at least 500 ms.");
            }
        }

        return (FramedResilienceOptions)MemberwiseClone();
    }
}
