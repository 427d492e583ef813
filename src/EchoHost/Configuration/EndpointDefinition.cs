using System.Net;

namespace EchoHost.Configuration;

/// <summary>Which limits of <c>EchoHost:Limits</c> apply to a protocol's connections, beside the connection counts.</summary>
[Flags]
internal enum ProtocolLimits
{
    None = 0,

    /// <summary><c>IdleTimeout</c>: a connection that receives nothing for that long is closed.</summary>
    IdleTimeout = 1,

    /// <summary><c>MinFrameBytesPerSecond</c> and <c>FrameGracePeriod</c>: a frame that arrives too slowly ends the connection.</summary>
    SlowFrame = 2,

    /// <summary><c>RequestsPerSecondPerAddress</c> and <c>RequestBurstPerAddress</c>: requests are counted per address.</summary>
    RequestRate = 4,

    /// <summary>A refused connection is told why (GoAway) before it is closed.</summary>
    ToldWhyRefused = 8,
}

/// <summary>
/// What an endpoint speaks: the one table of protocols (<see cref="All"/>). Each descriptor says the protocol's name
/// in configuration, the Url schemes it is served on, whether TLS offers ALPN, which limits apply and which counters
/// its connections keep; its connection handler is bound to it in <c>Serving/ProtocolBindings</c>.
/// </summary>
internal sealed class EndpointProtocol
{
    private static readonly UrlScheme[] StreamSchemes = [UrlScheme.Tcp, UrlScheme.Tls, UrlScheme.Unix];

    /// <summary>Raw TCP echo: every byte back, in order.</summary>
    public static readonly EndpointProtocol Echo = new("echo", StreamSchemes, ProtocolLimits.IdleTimeout, countsBytes: true, isFramed: false, offersAlpn: false);

    /// <summary>The framed protocol of docs/protocol.md.</summary>
    public static readonly EndpointProtocol Framed = new(
        "framed",
        StreamSchemes,
        ProtocolLimits.IdleTimeout | ProtocolLimits.SlowFrame | ProtocolLimits.RequestRate | ProtocolLimits.ToldWhyRefused,
        countsBytes: true,
        isFramed: true,
        offersAlpn: false);

    /// <summary>HTTP/1.1 (and HTTP/2 over TLS): health and metrics. Kestrel's HTTP layer reads and writes its bytes.</summary>
    public static readonly EndpointProtocol Http = new(
        "http",
        [.. StreamSchemes, UrlScheme.Http, UrlScheme.Https],
        ProtocolLimits.None,
        countsBytes: false,
        isFramed: false,
        offersAlpn: true);

    /// <summary>
    /// A WebSocket upgraded from a request of an http endpoint (the echo at <c>EchoHost:WebSockets:Path</c>): its
    /// connections are counted under their own protocol. Not in <see cref="All"/>: no endpoint is configured with it.
    /// </summary>
    public static readonly EndpointProtocol WebSocket = new("websocket", [], ProtocolLimits.IdleTimeout, countsBytes: true, isFramed: false, offersAlpn: false);

    /// <summary>Every protocol an endpoint can speak, in the order messages list them.</summary>
    public static readonly IReadOnlyList<EndpointProtocol> All = [Echo, Framed, Http];

    private EndpointProtocol(string name, UrlScheme[] schemes, ProtocolLimits limits, bool countsBytes, bool isFramed, bool offersAlpn)
    {
        Name = name;
        Schemes = schemes;
        Limits = limits;
        CountsBytes = countsBytes;
        IsFramed = isFramed;
        OffersAlpn = offersAlpn;
    }

    /// <summary>The protocol as configuration, the log and the metrics' labels write it.</summary>
    public string Name { get; }

    /// <summary>The Url schemes an endpoint of this protocol may be written with.</summary>
    public IReadOnlyList<UrlScheme> Schemes { get; }

    public ProtocolLimits Limits { get; }

    /// <summary>Whether the connections' bytes are counted (not HTTP's: Kestrel's HTTP layer reads and writes them).</summary>
    public bool CountsBytes { get; }

    /// <summary>Whether the connections keep the framed counters (frames, messages by Type, errors by code).</summary>
    public bool IsFramed { get; }

    /// <summary>Whether TLS offers ALPN (HTTP/1.1 and HTTP/2); the other protocols are neither, so offer none.</summary>
    public bool OffersAlpn { get; }

    /// <summary>The names of every protocol as a message lists them: <c>echo, framed or http</c>.</summary>
    public static string Expected => string.Join(", ", All.Take(All.Count - 1).Select(p => p.Name)) + " or " + All[^1].Name;

    public bool Applies(ProtocolLimits limit) => (Limits & limit) == limit;

    /// <summary>The protocol named <paramref name="text"/> (any case); exactly a name, not a number or a combination.</summary>
    public static EndpointProtocol? Find(string text) =>
        All.FirstOrDefault(p => string.Equals(p.Name, text, StringComparison.OrdinalIgnoreCase));

    public override string ToString() => Name;
}

/// <summary>The scheme an endpoint's Url was written with.</summary>
internal enum UrlScheme
{
    Tcp,
    Http,
    Unix,

    /// <summary><c>tls://</c>: TCP with TLS.</summary>
    Tls,

    /// <summary><c>https://</c>: HTTP with TLS.</summary>
    Https,
}

/// <summary>Where an endpoint listens.</summary>
internal abstract record EndpointAddress;

/// <summary>An IP address and port; <see cref="IPAddress.IPv6Any"/> listens dual mode (IPv4 too).</summary>
internal sealed record IPAddressEndpoint(IPAddress Address, int Port) : EndpointAddress
{
    public override string ToString() => new IPEndPoint(Address, Port).ToString();
}

/// <summary>
/// <c>localhost</c>: the IPv4 and IPv6 loopback addresses. With port 0 only 127.0.0.1, since two sockets could not
/// share one ephemeral port.
/// </summary>
internal sealed record LocalhostEndpoint(int Port) : EndpointAddress
{
    public override string ToString() => $"localhost:{Port}";
}

/// <summary>A Unix domain socket at an absolute path.</summary>
internal sealed record UnixSocketEndpoint(string Path) : EndpointAddress
{
    public override string ToString() => Path;
}

/// <summary>An endpoint as validated: its name, the Url as configured, where it listens and what it speaks.</summary>
internal sealed record EndpointDefinition(string Name, string Url, UrlScheme Scheme, EndpointAddress Address, EndpointProtocol Protocol)
{
    /// <summary>The certificate and options of a <c>tls://</c> or <c>https://</c> endpoint; null for the others.</summary>
    public TlsSettings? Tls { get; init; }

    /// <summary>The trusted proxies and header deadline of an endpoint behind a PROXY protocol proxy; null when it is off.</summary>
    public ProxyProtocolSettings? ProxyProtocol { get; init; }

    /// <summary>The prefix of every message about this endpoint, e.g. <c>Endpoint 'echo' (tcp://0.0.0.0:1512)</c>.</summary>
    public string Describe() => $"Endpoint '{Name}' ({Url})";

    /// <summary>The protocol as configuration and the log write it.</summary>
    public string ProtocolName => Protocol.Name;
}
