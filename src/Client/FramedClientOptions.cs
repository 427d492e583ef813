using EchoHost.Protocol;

namespace EchoHost.Client;

/// <summary>Settings of a <see cref="FramedClient"/>. Read once, when the client is created.</summary>
public sealed class FramedClientOptions
{
    /// <summary>
    /// How long a request (or a Ping) waits for its answer once it has been handed to a connection; then it fails with
    /// a <see cref="TimeoutException"/>. <see cref="Timeout.InfiniteTimeSpan"/> waits for ever. Default 30 seconds.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one attempt to open a connection may take, its TLS handshake included. Default 10 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many connections the client opens at most; each request goes to the least busy one (fewest answers
    /// awaited; an unopened place counts as idle, so the pool fills as requests come). Default 1.
    /// </summary>
    public int PoolSize { get; set; } = 1;

    /// <summary>
    /// The largest frame payload the client sends or accepts; it should match the server's. Default 1,048,576.
    /// </summary>
    public int MaxFrameBytes { get; set; } = Frame.DefaultMaxFrameBytes;

    /// <summary>Disables Nagle's algorithm on TCP connections, so that small requests leave at once. Default true.</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>TLS for every connection; null (the default) for plain TCP. The server's endpoint must be a <c>tls://</c> one.</summary>
    public FramedTlsOptions? Tls { get; set; }

    internal FramedClientOptions Validated()
    {
        if (RequestTimeout <= TimeSpan.Zero && RequestTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(RequestTimeout), RequestTimeout, "RequestTimeout must be positive or Timeout.InfiniteTimeSpan.");
        }

        if (ConnectTimeout <= TimeSpan.Zero && ConnectTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "ConnectTimeout must be positive or Timeout.InfiniteTimeSpan.");
        }

        if (PoolSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(PoolSize), PoolSize, "PoolSize must be at least 1.");
        }

        if (MaxFrameBytes < Message.MinimumSize)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFrameBytes), MaxFrameBytes, $"MaxFrameBytes must be at least {Message.MinimumSize}.");
        }

        // A copy, so that changes after the client was created do not reach it.
        return new FramedClientOptions
        {
            RequestTimeout = RequestTimeout,
            ConnectTimeout = ConnectTimeout,
            PoolSize = PoolSize,
            MaxFrameBytes = MaxFrameBytes,
            NoDelay = NoDelay,
            Tls = Tls?.Copy(),
        };
    }
}
