using System.Net;
using EchoHost.Configuration;

namespace EchoHost.Tests;

public class EndpointUrlTests
{
    [Theory]
    [InlineData("tcp://127.0.0.1:1512", "127.0.0.1", 1512)]
    [InlineData("tcp://0.0.0.0:1512", "0.0.0.0", 1512)]
    [InlineData("TCP://10.0.0.5:0", "10.0.0.5", 0)]
    [InlineData("tcp://[::1]:65535", "::1", 65535)]
    [InlineData("tcp://[::]:1512", "::", 1512)]
    [InlineData("tcp://[fe80::1%2]:7", "fe80::1%2", 7)]
    public void Tcp_url_with_an_ip_address(string url, string address, int port)
    {
        Assert.True(EndpointUrl.TryParse(url, out var scheme, out var parsed, out var problem), problem);
        Assert.Equal(UrlScheme.Tcp, scheme);
        var ip = Assert.IsType<IPAddressEndpoint>(parsed);
        Assert.Equal(IPAddress.Parse(address), ip.Address);
        Assert.Equal(port, ip.Port);
    }

    [Theory]
    [InlineData("http://0.0.0.0:9464", 9464)]
    [InlineData("http://0.0.0.0:9464/", 9464)]
    [InlineData("HTTP://0.0.0.0:0", 0)]
    public void Http_url(string url, int port)
    {
        Assert.True(EndpointUrl.TryParse(url, out var scheme, out var parsed, out var problem), problem);
        Assert.Equal(UrlScheme.Http, scheme);
        Assert.Equal(port, Assert.IsType<IPAddressEndpoint>(parsed).Port);
    }

    [Theory]
    [InlineData("tcp://localhost:1512", 1512)]
    [InlineData("tcp://LocalHost:0", 0)]
    public void Localhost(string url, int port)
    {
        Assert.True(EndpointUrl.TryParse(url, out _, out var parsed, out var problem), problem);
        Assert.Equal(new LocalhostEndpoint(port), parsed);
    }

    [Theory]
    [InlineData("unix:/run/echohost/echo.sock", "/run/echohost/echo.sock")]
    [InlineData("unix:///tmp/e.sock", "/tmp/e.sock")]
    public void Unix_socket(string url, string path)
    {
        Assert.True(EndpointUrl.TryParse(url, out var scheme, out var parsed, out var problem), problem);
        Assert.Equal(UrlScheme.Unix, scheme);
        Assert.Equal(new UnixSocketEndpoint(path), parsed);
    }

    [Theory]
    [InlineData("tcp://127.0.0.1", "no port")]
    [InlineData("tcp://127.0.0.1:", "'' is not a port")]
    [InlineData("tcp://127.0.0.1:65536", "'65536' is not a port")]
    [InlineData("tcp://127.0.0.1:-1", "'-1' is not a port")]
    [InlineData("tcp://127.0.0.1:http", "'http' is not a port")]
    [InlineData("tcp://:1512", "no host")]
    [InlineData("tcp://::1:1512", "must be written in brackets")]
    [InlineData("tcp://[::1:1512", "no closing ']'")]
    [InlineData("tcp://[::1]", "no port")]
    [InlineData("tcp://[::1]x:1", "unexpected 'x:1'")]
    [InlineData("tcp://[127.0.0.1]:1", "'127.0.0.1' is not an IPv6 address")]
    [InlineData("tcp://example.com:1512", "'example.com' is not an IP address or localhost")]
    [InlineData("tcp://127.1:1512", "'127.1' is not an IP address")]
    [InlineData("tcp://300.0.0.1:1512", "'300.0.0.1' is not an IP address")]
    [InlineData("tcp://127.0.0.1:1512/echo", "a path, query or fragment is not supported")]
    [InlineData("tls://0.0.0.0:1514/", "a path, query or fragment is not supported")]
    [InlineData("udp://0.0.0.0:1512", "not a valid URL")]
    [InlineData("0.0.0.0:1512", "not a valid URL")]
    [InlineData("unix:relative.sock", "must be absolute")]
    [InlineData("unix:", "must be absolute")]
    [InlineData("unix:/tmp/", "names a directory")]
    public void Malformed_url_says_what_is_wrong(string url, string expected)
    {
        Assert.False(EndpointUrl.TryParse(url, out _, out var parsed, out var problem));
        Assert.Null(parsed);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Unix_socket_path_longer_than_sun_path_is_rejected()
    {
        var path = "/tmp/" + new string('s', 103); // 108 bytes: one too many
        Assert.False(EndpointUrl.TryParse("unix:" + path, out _, out _, out var problem));
        Assert.Contains("longer than 107 bytes", problem, StringComparison.Ordinal);

        Assert.True(EndpointUrl.TryParse("unix:" + path[..^1], out _, out _, out problem), problem);
    }
}
