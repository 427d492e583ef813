using System.Net;

namespace EchoHost.ProxyProtocol;

/// <summary>What <see cref="ProxyHeaderParser.TryParse"/> made of the start of a connection.</summary>
internal enum ProxyHeaderStatus
{
    /// <summary>A whole header: the connection's own bytes start after it.</summary>
    Complete,

    /// <summary>What has arrived is the start of a header; more is needed.</summary>
    Incomplete,

    /// <summary>The first bytes are neither signature: the peer did not send a header at all.</summary>
    Missing,

    /// <summary>A signature, then something the specification does not allow.</summary>
    Malformed,

    /// <summary>A version 1 header with no line end within its 107 bytes.</summary>
    TooLong,
}

/// <summary>
/// A PROXY protocol header, version 1 or 2: the client's address and the address it reached at the proxy. Both are
/// null when the proxy gave none (<see cref="IsLocal"/>, <c>UNKNOWN</c>, <c>AF_UNSPEC</c>, <c>AF_UNIX</c>): the
/// connection then stays the proxy's own.
/// </summary>
internal readonly record struct ProxyHeader(int Version, bool IsLocal, IPEndPoint? Source, IPEndPoint? Destination);
