namespace EchoHost.Protocol;

/// <summary>The message Types of the built-in handlers and the range left to applications (PROTOCOL.md, "Handlers").</summary>
public static class MessageTypes
{
    public const byte Echo = 0x10;
    public const byte Reverse = 0x20;
    public const byte Uppercase = 0x30;
    public const byte Stats = 0x40;

    /// <summary>The first Type an application may register.</summary>
    public const byte FirstApplication = 0x50;

    /// <summary>The last Type an application may register.</summary>
    public const byte LastApplication = 0xEF;

    public static bool IsApplication(byte type) => type is >= FirstApplication and <= LastApplication;
}
