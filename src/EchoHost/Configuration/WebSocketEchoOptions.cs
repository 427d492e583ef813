using Microsoft.Extensions.Configuration;

namespace EchoHost.Configuration;

/// <summary>The WebSocket echo of the http endpoints: the <c>EchoHost:WebSockets</c> configuration section.</summary>
internal sealed class WebSocketEchoOptions
{
    public const string SectionName = "EchoHost:WebSockets";

    /// <summary>The subprotocol whose binary messages each carry one frame of the framed protocol.</summary>
    public const string FramedSubProtocol = "echohost.framed";

    /// <summary>The largest bound accepted: a message is buffered whole before it is echoed.</summary>
    public const int MaxMessageBytesLimit = 1 << 30;

    /// <summary>Whether the http endpoints accept WebSockets at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The path a client asks the upgrade on; starts with <c>/</c>.</summary>
    public string Path { get; set; } = "/echo";

    /// <summary>The longest message, after inflation when compressed; a longer one closes with 1009.</summary>
    public int MaxMessageBytes { get; set; } = 1 << 20;

    /// <summary>How often the server sends a keep-alive frame on a connection, so that proxies keep it; 0 turns it off.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether per-message deflate is accepted when a client offers it.</summary>
    public bool Compression { get; set; } = true;

    /// <summary>Binds and validates the section; throws <see cref="EchoHostConfigurationException"/> naming the key.</summary>
    public static WebSocketEchoOptions Load(IConfiguration configuration)
    {
        var options = SectionBinding.Bind(configuration, SectionName, static section => section.Get<WebSocketEchoOptions>());
        options.Validate();
        return options;
    }

    private void Validate()
    {
        // A plain path: no query, and none of the route template's braces, which would make it a pattern.
        if (string.IsNullOrEmpty(Path) || Path[0] != '/' || Path.IndexOfAny(['?', '#', '{', '}', ' ']) >= 0)
        {
            throw new EchoHostConfigurationException($"{SectionName}:Path is '{Path}'; it must start with / and be a plain path (no query, braces or spaces), e.g. /echo");
        }

        if (MaxMessageBytes < 1 || MaxMessageBytes > MaxMessageBytesLimit)
        {
            throw new EchoHostConfigurationException($"{SectionName}:MaxMessageBytes is {MaxMessageBytes}; it must be from 1 to {MaxMessageBytesLimit}");
        }

        if (KeepAliveInterval < TimeSpan.Zero || KeepAliveInterval.TotalMilliseconds >= int.MaxValue)
        {
            throw new EchoHostConfigurationException(
                $"{SectionName}:KeepAliveInterval is {KeepAliveInterval}; it must be 00:00:00 (off) or a positive time below 24 days");
        }
    }
}
