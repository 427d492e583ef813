namespace EchoHost.Limits;

/// <summary>Why a new connection was refused; the label values of <c>echohost.connections.rejected</c> follow the order.</summary>
internal enum RejectReason
{
    None = -1,
    MaxConnections,
    EndpointMaxConnections,
    AddressMaxConnections,
    AddressRate,
    AddressTableFull,

    /// <summary>A missing, malformed, slow or untrusted PROXY protocol header (an endpoint behind a proxy).</summary>
    ProxyProtocol,
}

internal static class LimitNames
{
    public static readonly string[] RejectReasons =
        ["max_connections", "endpoint_max_connections", "address_max_connections", "address_rate", "address_table_full", "proxy_protocol"];

    public static readonly string[] Timeouts = ["idle_timeout", "frame_timeout"];
}
