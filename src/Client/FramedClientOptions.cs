using System.Diagnostics.Metrics;
using EchoHost.Protocol;
using Microsoft.Extensions.Logging;
using Polly;

namespace EchoHost.Client;

/// <summary>
/// Settings of a <see cref="FramedClient"/>. Read once, when the client is created. Registered with
/// <c>services.AddFramedClient(name, …)</c>, they are bound from the configuration section <c>FramedClients:&lt;name&gt;</c>.
/// </summary>
public sealed class FramedClientOptions
{
    /// <summary>The default port of a framed endpoint.</summary>
    public const int DefaultPort = 1513;

    /// <summary>
    /// The server's host name or IP address, for clients created from their options alone (<see cref="FramedClient(FramedClientOptions)"/>,
    /// <see cref="IFramedClientFactory"/>). The constructors that take an endpoint refuse options that name one too.
    /// </summary>
    public string? Host { get; set; }

    /// <summary>The server's port, with <see cref="Host"/>. Default 1513.</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>The server's Unix domain socket, instead of <see cref="Host"/> and <see cref="Port"/>.</summary>
    public string? UnixSocketPath { get; set; }

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

    /// <summary>
    /// TCP keepalive: after this long without traffic the operating system probes the connection (and again at the
    /// same interval), so that a peer that vanished is noticed even when the client sends nothing.
    /// <see cref="TimeSpan.Zero"/> (the default) leaves keepalive off. Whole seconds, at least 1.
    /// </summary>
    public TimeSpan TcpKeepAlive { get; set; }

    /// <summary>
    /// How often an idle connection (nothing received for this long, no request waiting) is checked with a Ping;
    /// <see cref="TimeSpan.Zero"/> turns health checks off. Default 30 seconds.
    /// </summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a health check waits for its Pong; a connection without one is closed and replaced. Default 5 seconds.</summary>
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Message types whose requests are safe to send twice (the server's handling has no effect that a repeat would
    /// double), so that the client may repeat them after their connection was lost or their answer timed out. Default
    /// none; <see cref="FramedClient.SendAsync(byte, ReadOnlyMemory{byte}, IReadOnlyList{MetadataItem}?, bool, CancellationToken)"/>
    /// decides per call. The built-in Echo, Reverse, Uppercase and Stats are.
    /// </summary>
    public ISet<byte> IdempotentTypes { get; } = new HashSet<byte>();

    /// <summary>The default resilience pipeline's settings: retries and circuit breaker.</summary>
    public FramedResilienceOptions Resilience { get; set; } = new();

    /// <summary>
    /// A pipeline of your own in place of the default one built from <see cref="Resilience"/>; every attempt of every
    /// request and Ping runs through it. <see cref="FramedResilience"/> has the predicates that keep the default's rules.
    /// </summary>
    public ResiliencePipeline? ResiliencePipeline { get; set; }

    /// <summary>TLS for every connection; null (the default) for plain TCP. The server's endpoint must be a <c>tls://</c> one.</summary>
    public FramedTlsOptions? Tls { get; set; }

    /// <summary>The client's name in its metrics (<c>echohost.client.name</c>) and logs. Default: the server's address.</summary>
    public string? Name { get; set; }

    /// <summary>The clock of timeouts, back-offs, health checks and the circuit breaker. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the client and its resilience pipeline log. Default none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Creates the client's meter (<c>EchoHost.Client</c>); without one, the client creates its own. Default none.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    internal bool NamesEndPoint => !string.IsNullOrEmpty(Host) || !string.IsNullOrEmpty(UnixSocketPath);

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

        if (Port is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "Port must be from 1 to 65535.");
        }

        if (!string.IsNullOrEmpty(Host) && !string.IsNullOrEmpty(UnixSocketPath))
        {
            throw new ArgumentException("Host and UnixSocketPath exclude each other: set one.", nameof(UnixSocketPath));
        }

        if (TcpKeepAlive != TimeSpan.Zero && (TcpKeepAlive < TimeSpan.FromSeconds(1) || TcpKeepAlive.Ticks % TimeSpan.TicksPerSecond != 0))
        {
            throw new ArgumentOutOfRangeException(nameof(TcpKeepAlive), TcpKeepAlive, "TcpKeepAlive must be 0 (off) or whole seconds, at least 1.");
        }

        if (HealthCheckInterval < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(HealthCheckInterval), HealthCheckInterval, "HealthCheckInterval must be 0 (off) or positive.");
        }

        if (HealthCheckTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(HealthCheckTimeout), HealthCheckTimeout, "HealthCheckTimeout must be positive.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);

        // A copy, so that changes after the client was created do not reach it.
        var copy = new FramedClientOptions
        {
            Host = Host,
            Port = Port,
            UnixSocketPath = UnixSocketPath,
            RequestTimeout = RequestTimeout,
            ConnectTimeout = ConnectTimeout,
            PoolSize = PoolSize,
            MaxFrameBytes = MaxFrameBytes,
            NoDelay = NoDelay,
            TcpKeepAlive = TcpKeepAlive,
            HealthCheckInterval = HealthCheckInterval,
            HealthCheckTimeout = HealthCheckTimeout,
            Resilience = (Resilience ?? new FramedResilienceOptions()).Validated(),
            ResiliencePipeline = ResiliencePipeline,
            Tls = Tls?.Validated(),
            Name = Name,
            TimeProvider = TimeProvider,
            LoggerFactory = LoggerFactory,
            MeterFactory = MeterFactory,
        };
        copy.IdempotentTypes.UnionWith(IdempotentTypes);
        return copy;
    }
}
