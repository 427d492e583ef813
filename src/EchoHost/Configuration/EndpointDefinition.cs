using System.Net;

namespace EchoHost.Configuration;

/// <summary>What an endpoint speaks.</summary>
internal enum EndpointProtocol
{
    /// <summary>Raw TCP echo: every byte back, in order.</summary>
    Echo,

    /// <summary>The framed protocol of PROTOCOL.md.</summary>
    Framed,

    /// <summary>HTTP/1.1: health (and, later, metrics).</summary>
    Http,
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
    public string ProtocolName => Protocol switch
    {
        EndpointProtocol.Echo => "echo",
        EndpointProtocol.Framed => "framed",
        EndpointProtocol.Http => "http",
        _ => Protocol.ToString(),
    };
}
