using static EchoHost.Transport.Native.Interop.Linux.Errno;

namespace EchoHost.LoadGen.Engine;

/// <summary>Why a connection failed. Each failure closes the connection it happened on.</summary>
internal enum ErrorKind
{
    /// <summary>The server refused the connection (ECONNREFUSED).</summary>
    Refused,

    /// <summary>The connection was reset (ECONNRESET, EPIPE, ECONNABORTED).</summary>
    Reset,

    /// <summary>Not done by the deadline.</summary>
    Timeout,

    /// <summary>The server closed the connection before everything sent came back.</summary>
    Eof,

    /// <summary>An echoed byte differs from the one sent.</summary>
    Mismatch,

    /// <summary>Bytes or frames that were not asked for (more than was sent, an answer to no request, an Error frame).</summary>
    Unexpected,

    /// <summary>No descriptor, source port or buffer left.</summary>
    Exhausted,

    /// <summary>Any other errno.</summary>
    Other,
}

internal static class ErrorKinds
{
    public const int Count = (int)ErrorKind.Other + 1;

    public static string Name(ErrorKind kind) => kind switch
    {
        ErrorKind.Refused => "refused",
        ErrorKind.Reset => "reset",
        ErrorKind.Timeout => "timeout",
        ErrorKind.Eof => "eof",
        ErrorKind.Mismatch => "mismatch",
        ErrorKind.Unexpected => "unexpected",
        ErrorKind.Exhausted => "exhausted",
        _ => "other",
    };

    public static ErrorKind FromErrno(int errno) => errno switch
    {
        ECONNREFUSED => ErrorKind.Refused,
        ECONNRESET or EPIPE or ECONNABORTED => ErrorKind.Reset,
        ETIMEDOUT => ErrorKind.Timeout,
        EADDRNOTAVAIL or EADDRINUSE or EMFILE or ENFILE or ENOBUFS => ErrorKind.Exhausted,
        _ => ErrorKind.Other,
    };
}
