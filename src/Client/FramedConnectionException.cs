namespace EchoHost.Client;

/// <summary>
/// The base of the client's connection failures: <see cref="FramedUnavailableException"/> when the request was not
/// sent (no connection takes requests, or the circuit breaker is open), <see cref="FramedOutcomeUnknownException"/> when
/// its connection was lost after it was sent. The pool replaces lost connections in the background.
/// </summary>
public class FramedConnectionException : IOException
{
    /// <summary>Creates the exception with a default message.</summary>
    public FramedConnectionException()
        : base("The connection to the server failed.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public FramedConnectionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the failure that caused it.</summary>
    public FramedConnectionException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
