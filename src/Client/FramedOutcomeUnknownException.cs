namespace EchoHost.Client;

/// <summary>
/// The request was written to a connection that was then lost (reset, closed, or closed after a GoAway) before its
/// answer came: the server may or may not have handled it. The client repeats such a request only when it is declared
/// idempotent (<see cref="FramedClientOptions.IdempotentTypes"/> or per call); otherwise the caller decides.
/// </summary>
public class FramedOutcomeUnknownException : FramedConnectionException
{
    /// <summary>Creates the exception with a default message.</summary>
    public FramedOutcomeUnknownException()
        : base("The connection was lost after the request was sent; whether the server handled it is unknown.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public FramedOutcomeUnknownException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the failure that caused it.</summary>
    public FramedOutcomeUnknownException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
