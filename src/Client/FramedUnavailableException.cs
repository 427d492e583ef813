namespace EchoHost.Client;

/// <summary>Why a <see cref="FramedClient"/> refused a request without sending it.</summary>
public enum FramedUnavailableReason
{
    /// <summary>No connection could be opened: the server refused it or could not be reached.</summary>
    Unreachable,

    /// <summary>No connection could be opened within <see cref="FramedClientOptions.ConnectTimeout"/>.</summary>
    ConnectTimeout,

    /// <summary>
    /// The circuit breaker is open: too many recent requests failed on their connection or timed out, so requests fail
    /// at once until <see cref="FramedResilienceOptions.BreakDuration"/> has passed.
    /// </summary>
    CircuitOpen,
}

/// <summary>
/// The request was not sent: no connection to the server takes requests (all are down and reconnecting in the
/// background, or the circuit breaker is open). <see cref="Reason"/> says which; the server did not see the request,
/// so repeating it later is always safe.
/// </summary>
public class FramedUnavailableException : FramedConnectionException
{
    /// <summary>Creates the exception with a default message.</summary>
    public FramedUnavailableException()
        : base("No connection to the server takes requests.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>; the reason is <see cref="FramedUnavailableReason.Unreachable"/>.</summary>
    public FramedUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the failure that caused it.</summary>
    public FramedUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for <paramref name="reason"/>.</summary>
    public FramedUnavailableException(FramedUnavailableReason reason, string message, Exception? innerException = null, TimeSpan? retryAfter = null)
        : base(message, innerException)
    {
        Reason = reason;
        RetryAfter = retryAfter;
    }

    /// <summary>Why no connection takes requests.</summary>
    public FramedUnavailableReason Reason { get; }

    /// <summary>When known, how long until the client tries again (the next reconnection, or the breaker's half-opening).</summary>
    public TimeSpan? RetryAfter { get; }
}
