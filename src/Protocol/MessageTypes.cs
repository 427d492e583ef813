namespace EchoHost.Protocol;

/// <summary>The message Types of the built-in handlers and the range left to applications (docs/protocol.md, "Handlers").</summary>
public static class MessageTypes
{
    /// <summary>Echo: the Response carries the request's Data and metadata unchanged.</summary>
    public const byte Echo = 0x10;
    /// <summary>Reverse: the Response carries the Data's UTF-8 characters in reverse order.</summary>
    public const byte Reverse = 0x20;
    /// <summary>Uppercase: the Response carries the Data's UTF-8 text in upper case.</summary>
    public const byte Uppercase = 0x30;
    /// <summary>Stats: the Response carries the server's counters as a JSON object.</summary>
    public const byte Stats = 0x40;

    /// <summary>The first Type an application may register.</summary>
    public const byte FirstApplication = 0x50;

    /// <summary>The last Type an application may register.</summary>
    public const byte LastApplication = 0xEF;

    /// <summary>Whether <paramref name="type"/> lies in the range left to applications' handlers.</summary>
    public static bool IsApplication(byte type) => type is >= FirstApplication and <= LastApplication;
}
