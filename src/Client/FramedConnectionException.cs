namespace EchoHost.Client;

/// <summary>
/// A connection to the server could not be opened, or was lost (or closed by a GoAway) before a request's answer
/// came. Whether the server handled the request is unknown. The next request opens a new connection.
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
