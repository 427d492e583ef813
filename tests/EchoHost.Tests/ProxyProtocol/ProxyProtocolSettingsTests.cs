using System.Net;
using EchoHost.Configuration;
using static EchoHost.Tests.ConfigurationBuilding;

namespace EchoHost.Tests.ProxyProtocol;

/// <summary>The PROXY protocol keys of an endpoint: defaults, trusted ranges, and the one-line errors.</summary>
public class ProxyProtocolSettingsTests
{
    private static Dictionary<string, string?> Echo(string url = "tcp://127.0.0.1:1512", params (string Key, string Value)[] keys)
    {
        var values = new Dictionary<string, string?>
        {
            ["EchoHost:Endpoints:echo:Url"] = url,
            ["EchoHost:Endpoints:echo:Protocol"] = "echo",
        };
        foreach (var (key, value) in keys)
        {
            values[$"EchoHost:Endpoints:echo:{key}"] = value;
        }

        return values;
    }

    private static ProxyProtocolSettings? Settings(params (string, string)[] keys) => Load(Echo(keys: keys)).Endpoints.Single().ProxyProtocol;

    [Fact]
    public void Off_by_default_and_when_false()
    {
        Assert.Null(Settings());
        Assert.Null(Settings(("ProxyProtocol", "false")));
    }

    [Fact]
    public void Addresses_and_ranges_of_both_families_with_the_default_deadline()
    {
        var settings = Settings(("ProxyProtocol", "true"), ("TrustedProxies:0", "127.0.0.1"), ("TrustedProxies:1", "10.0.0.0/8"), ("TrustedProxies:2", "::1/128"))!;

        Assert.Equal(TimeSpan.FromSeconds(5), settings.Timeout);
        Assert.True(settings.Trusts(IPEndPoint.Parse("127.0.0.1:4000")));
        Assert.False(settings.Trusts(IPEndPoint.Parse("127.0.0.2:4000")));
        Assert.True(settings.Trusts(IPEndPoint.Parse("10.200.3.4:4000")));
        Assert.False(settings.Trusts(IPEndPoint.Parse("11.0.0.1:4000")));
        Assert.True(settings.Trusts(IPEndPoint.Parse("[::1]:4000")));
        Assert.False(settings.Trusts(IPEndPoint.Parse("[::2]:4000")));
        // An IPv4 peer of a dual-mode socket.
        Assert.True(settings.Trusts(IPEndPoint.Parse("[::ffff:10.1.2.3]:4000")));
        Assert.False(settings.Trusts(null));
    }

    [Fact]
    public void One_value_with_commas_and_a_deadline()
    {
        var settings = Settings(("ProxyProtocol", "True"), ("TrustedProxies", "192.168.0.0/16, 2001:db8::/32"), ("ProxyProtocolTimeout", "00:00:02"))!;

        Assert.Equal(2, settings.TrustedProxies.Count);
        Assert.True(settings.Trusts(IPEndPoint.Parse("[2001:db8:1::5]:1")));
        Assert.Equal(TimeSpan.FromSeconds(2), settings.Timeout);
    }

    [Fact]
    public void A_unix_socket_endpoint_trusts_whoever_its_file_lets_connect()
    {
        var settings = Load(Echo("unix:/tmp/echohost-proxy.sock", ("ProxyProtocol", "true"))).Endpoints.Single().ProxyProtocol!;

        Assert.Empty(settings.TrustedProxies);
        Assert.True(settings.Trusts(new System.Net.Sockets.UnixDomainSocketEndPoint("/tmp/x")));
        Assert.True(settings.Trusts(null));
    }

    [Theory]
    [InlineData("ProxyProtocol=yes", "Endpoint 'echo' (tcp://127.0.0.1:1512): EchoHost:Endpoints:echo:ProxyProtocol is 'yes'; expected true or false")]
    [InlineData("ProxyProtocol=true", "Endpoint 'echo' (tcp://127.0.0.1:1512): EchoHost:Endpoints:echo:ProxyProtocol is true but no proxy is trusted; set EchoHost:Endpoints:echo:TrustedProxies:0 to the proxy's address or range, e.g. 10.0.0.0/8")]
    [InlineData("TrustedProxies:0=127.0.0.1", "Endpoint 'echo' (tcp://127.0.0.1:1512): EchoHost:Endpoints:echo:TrustedProxies is set but EchoHost:Endpoints:echo:ProxyProtocol is not true; set it to true, or remove the key")]
    [InlineData("ProxyProtocolTimeout=00:00:05", "Endpoint 'echo' (tcp://127.0.0.1:1512): EchoHost:Endpoints:echo:ProxyProtocolTimeout is set but EchoHost:Endpoints:echo:ProxyProtocol is not true; set it to true, or remove the key")]
    [InlineData("ProxyProtocol=true|TrustedProxies:0=10.0.0.1/8", "Endpoint 'echo' (tcp://127.0.0.1:1512): EchoHost:Endpoints:echo:TrustedProxies has '10.0.0.1/8', which is neither an address nor a CIDR range with its host bits zero (e.g. 127.0.0.1, 10.0.0.0/8, ::1/128)")]
    [InlineData("ProxyProtocol=true|TrustedProxies:0=proxy.example", "Endpoint 'echo' (tcp://127.0.0.1:1512): EchoHost:Endpoints:echo:TrustedProxies has 'proxy.example', which is neither an address nor a CIDR range with its host bits zero (e.g. 127.0.0.1, 10.0.0.0/8, ::1/128)")]
    [InlineData("ProxyProtocol=true|TrustedProxies:0=10.0.0.0/33", "Endpoint 'echo' (tcp://127.0.0.1:1512): EchoHost:Endpoints:echo:TrustedProxies has '10.0.0.0/33', which is neither an address nor a CIDR range with its host bits zero (e.g. 127.0.0.1, 10.0.0.0/8, ::1/128)")]
    [InlineData("ProxyProtocol=true|TrustedProxies:0=127.0.0.1|ProxyProtocolTimeout=0", "Endpoint 'echo' (tcp://127.0.0.1:1512): EchoHost:Endpoints:echo:ProxyProtocolTimeout is '0'; it must be a positive time below 24 days, e.g. 00:00:05")]
    [InlineData("ProxyProtocol=true|TrustedProxies:0=127.0.0.1|ProxyProtocolTimeout=soon", "Endpoint 'echo' (tcp://127.0.0.1:1512): EchoHost:Endpoints:echo:ProxyProtocolTimeout is 'soon'; it must be a positive time below 24 days, e.g. 00:00:05")]
    public void Mistakes_stop_start_up_with_one_line(string keys, string message)
    {
        var pairs = keys.Split('|').Select(k => k.Split('=', 2)).Select(p => (p[0], p[1])).ToArray();

        Assert.Equal(message, LoadError(Echo(keys: pairs)));
    }

    [Fact]
    public void Trusted_proxies_on_a_unix_socket_endpoint_are_a_mistake()
    {
        Assert.Equal(
            "Endpoint 'echo' (unix:/tmp/echohost-proxy.sock): EchoHost:Endpoints:echo:TrustedProxies cannot apply to a Unix domain socket, whose peers have no address (its file's permissions decide who connects); remove it",
            LoadError(Echo("unix:/tmp/echohost-proxy.sock", ("ProxyProtocol", "true"), ("TrustedProxies:0", "127.0.0.1"))));
    }
}
