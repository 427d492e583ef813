using System.Net;
using System.Net.Sockets;

namespace EchoHost.Client.Internal;

/// <summary>An endpoint as people write it, for messages: <c>localhost:1513</c>, <c>127.0.0.1:1513</c>, <c>unix:/run/echohost.sock</c>.</summary>
internal static class EndPointText
{
    public static string Describe(EndPoint endPoint) => endPoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        UnixDomainSocketEndPoint unix => $"unix:{unix}",
        _ => endPoint.ToString() ?? endPoint.GetType().Name,
    };
}
