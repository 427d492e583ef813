namespace EchoHost.Client.Telemetry;

/// <summary>How a call to <see cref="FramedClient"/> ended, after its retries: the <c>outcome</c> tag of the client's metrics.</summary>
internal enum RequestOutcome
{
    Ok,
    Error,
    Timeout,
    OutcomeUnknown,
    Unavailable,
    CircuitOpen,
    Cancelled,
    Invalid,
}

internal static class RequestOutcomes
{
    public const int Count = (int)RequestOutcome.Invalid + 1;

    public static readonly string[] Names = ["ok", "error", "timeout", "outcome_unknown", "unavailable", "circuit_open", "cancelled", "invalid"];

    /// <summary>The outcome of a call that threw <paramref name="exception"/>.</summary>
    public static RequestOutcome Of(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        FramedErrorException => RequestOutcome.Error,
        TimeoutException => RequestOutcome.Timeout,
        FramedUnavailableException { Reason: FramedUnavailableReason.CircuitOpen } => RequestOutcome.CircuitOpen,
        FramedUnavailableException => RequestOutcome.Unavailable,
        FramedConnectionException => RequestOutcome.OutcomeUnknown,
        OperationCanceledException when cancellationToken.IsCancellationRequested => RequestOutcome.Cancelled,
        _ => RequestOutcome.Invalid, // a Pong that did not echo its Ping, or an exception of an application's pipeline
    };
}
