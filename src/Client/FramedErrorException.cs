using EchoHost.Protocol;

namespace EchoHost.Client;

/// <summary>
/// The server answered a request with an Error frame. <see cref="Code"/> is one of <see cref="ErrorCodes"/>;
/// <see cref="Exception.Message"/> is the server's text. The connection stays usable.
/// </summary>
public class FramedErrorException : Exception
{
    /// <summary>Creates the exception with a default message and no code.</summary>
    public FramedErrorException()
        : this("The server answered with an error.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and no code.</summary>
    public FramedErrorException(string message)
        : base(message)
    {
        Code = string.Empty;
    }

    /// <summary>Creates the exception with <paramref name="message"/>, no code, and the failure that caused it.</summary>
    public FramedErrorException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Code = string.Empty;
    }

    /// <summary>Creates the exception for an Error frame.</summary>
    /// <param name="code">The frame's <c>code</c> metadata, one of <see cref="ErrorCodes"/>.</param>
    /// <param name="message">The frame's text.</param>
    /// <param name="requestId">The Id of the request that failed (0 when the server could not read it as a request).</param>
    /// <param name="requestType">The Type of the request that failed (0 when the server could not read it as a request).</param>
    public FramedErrorException(string code, string message, ulong requestId, byte requestType)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(code);
        Code = code;
        RequestId = requestId;
        RequestType = requestType;
    }

    /// <summary>The error's code, one of <see cref="ErrorCodes"/> (empty when the frame had none).</summary>
    public string Code { get; }

    /// <summary>The Id of the request that failed.</summary>
    public ulong RequestId { get; }

    /// <summary>The Type of the request that failed.</summary>
    public byte RequestType { get; }
}
