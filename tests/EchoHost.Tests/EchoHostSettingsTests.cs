using System.Net;
using EchoHost.Configuration;
using Microsoft.Extensions.Configuration;
using static EchoHost.Tests.ConfigurationBuilding;

namespace EchoHost.Tests;

public class EchoHostSettingsTests
{
    [Fact]
    public void Shipped_appsettings_json_defines_echo_on_1512_framed_on_1513_and_http_on_9464()
    {
        // The copy beside the test binary comes from the repository root, through the reference to the service.
        var path = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        var configuration = new ConfigurationBuilder().AddJsonFile(path, optional: false).Build();

        var settings = EchoHostSettings.Load(configuration, nativeSupported: true, nativeEngine: "epoll");

        Assert.Equal(TransportKind.Native, settings.Transport.Kind);
        Assert.Equal("Auto", settings.Transport.Configured);
        Assert.Collection(
            settings.Endpoints,
            echo =>
            {
                Assert.Equal("echo", echo.Name);
                Assert.Equal(EndpointProtocol.Echo, echo.Protocol);
                Assert.Equal(new IPAddressEndpoint(IPAddress.Any, 1512), echo.Address);
            },
            framed =>
            {
                Assert.Equal("framed", framed.Name);
                Assert.Equal(EndpointProtocol.Framed, framed.Protocol);
                Assert.Equal(UrlScheme.Tcp, framed.Scheme);
                Assert.Equal(new IPAddressEndpoint(IPAddress.Any, 1513), framed.Address);
            },
            http =>
            {
                Assert.Equal("http", http.Name);
                Assert.Equal(EndpointProtocol.Http, http.Protocol);
                Assert.Equal(UrlScheme.Http, http.Scheme);
                Assert.Equal(new IPAddressEndpoint(IPAddress.Any, 9464), http.Address);
            });
    }

    [Fact]
    public void Command_line_overrides_a_lower_layer()
    {
        var settings = Load(Defaults(), "--EchoHost:Endpoints:echo:Url=tcp://[::1]:0", "--EchoHost:Endpoints:extra:Url=unix:/tmp/x.sock", "--EchoHost:Endpoints:extra:Protocol=ECHO");

        Assert.Equal(["echo", "extra", "http"], settings.Endpoints.Select(e => e.Name));
        Assert.Equal(new IPAddressEndpoint(IPAddress.IPv6Loopback, 0), settings.Endpoints[0].Address);
        Assert.Equal(new UnixSocketEndpoint("/tmp/x.sock"), settings.Endpoints[1].Address);
        Assert.Equal(EndpointProtocol.Echo, settings.Endpoints[1].Protocol);
    }

    [Theory]
    [InlineData("--port", "2000")]
    [InlineData("--port=2000")]
    [InlineData("--EchoHost:EchoPort=2000")]
    public void Port_switch_sets_the_echo_endpoints_port_and_keeps_its_host(params string[] args)
    {
        var values = Defaults();
        values["EchoHost:Endpoints:echo:Url"] = "tcp://127.0.0.1:1512";

        var settings = Load(values, args);

        var echo = settings.Endpoints.Single(e => e.Name == "echo");
        Assert.Equal(new IPAddressEndpoint(IPAddress.Loopback, 2000), echo.Address);
        Assert.Equal("tcp://127.0.0.1:2000", echo.Url);
        Assert.Equal(new IPAddressEndpoint(IPAddress.Any, 9464), settings.Endpoints.Single(e => e.Name == "http").Address);
    }

    [Fact]
    public void Port_switch_keeps_an_ipv6_or_localhost_host()
    {
        var values = Defaults();
        values["EchoHost:Endpoints:echo:Url"] = "tcp://[::]:1512";
        Assert.Equal("tcp://[::]:7", Load(values, "--port", "7").Endpoints[0].Url);

        values["EchoHost:Endpoints:echo:Url"] = "tcp://localhost:1512";
        Assert.Equal(new LocalhostEndpoint(7), Load(values, "--port", "7").Endpoints[0].Address);
    }

    [Fact]
    public void Port_switch_finds_the_only_echo_endpoint_when_none_is_named_echo()
    {
        var values = new Dictionary<string, string?>
        {
            ["EchoHost:Endpoints:plain:Url"] = "tcp://0.0.0.0:1512",
            ["EchoHost:Endpoints:plain:Protocol"] = "echo",
            ["EchoHost:Endpoints:web:Url"] = "http://0.0.0.0:9464",
            ["EchoHost:Endpoints:web:Protocol"] = "http",
        };

        var settings = Load(values, "--port", "3000");

        Assert.Equal(new IPAddressEndpoint(IPAddress.Any, 3000), settings.Endpoints.Single(e => e.Name == "plain").Address);
    }

    [Theory]
    [InlineData("abc", "--port (EchoHost:EchoPort) is 'abc', not a port")]
    [InlineData("70000", "is '70000', not a port")]
    public void Port_switch_with_a_bad_value(string port, string expected)
    {
        Assert.Contains(expected, LoadError(Defaults(), "--port", port), StringComparison.Ordinal);
    }

    [Fact]
    public void Port_switch_on_a_unix_socket_names_the_endpoint()
    {
        var values = Defaults();
        values["EchoHost:Endpoints:echo:Url"] = "unix:/tmp/echo.sock";

        Assert.Equal("Endpoint 'echo' (unix:/tmp/echo.sock): --port cannot apply to a Unix domain socket", LoadError(values, "--port", "1"));
    }

    [Fact]
    public void Port_switch_without_an_echo_endpoint()
    {
        var values = Defaults();
        values["EchoHost:Endpoints:echo:Enabled"] = "false";

        Assert.Contains("no endpoint is named 'echo' and 0 endpoints speak the echo protocol", LoadError(values, "--port", "1"), StringComparison.Ordinal);
    }

    [Fact]
    public void Disabled_endpoint_is_left_out()
    {
        var settings = Load(Defaults(), "--EchoHost:Endpoints:http:Enabled=false");

        Assert.Equal("echo", Assert.Single(settings.Endpoints).Name);
    }

    [Fact]
    public void Missing_url_names_the_endpoint_and_the_key()
    {
        var values = Defaults();
        values["EchoHost:Endpoints:side:Protocol"] = "echo";

        Assert.Equal(
            "Endpoint 'side': no Url; set EchoHost:Endpoints:side:Url to tcp://HOST:PORT, tls://HOST:PORT, http://HOST:PORT, https://HOST:PORT or unix:/path",
            LoadError(values));
    }

    [Fact]
    public void Malformed_url_names_the_endpoint_and_the_url()
    {
        Assert.Equal(
            "Endpoint 'echo' (tcp://0.0.0.0): the URL has no port; write HOST:PORT (port 0 picks a free port)",
            LoadError(Defaults(), "--EchoHost:Endpoints:echo:Url=tcp://0.0.0.0"));
    }

    [Fact]
    public void Unknown_protocol_names_the_endpoint()
    {
        Assert.Equal(
            "Endpoint 'echo' (tcp://0.0.0.0:1512): unknown protocol 'gopher'; expected echo, framed or http",
            LoadError(Defaults(), "--EchoHost:Endpoints:echo:Protocol=gopher"));
    }

    [Fact]
    public void Numeric_protocol_is_not_taken_for_an_enum_value()
    {
        Assert.Contains("unknown protocol '1'", LoadError(Defaults(), "--EchoHost:Endpoints:echo:Protocol=1"), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_protocol_names_the_endpoint()
    {
        var values = Defaults();
        values["EchoHost:Endpoints:side:Url"] = "tcp://0.0.0.0:0";

        Assert.Equal("Endpoint 'side' (tcp://0.0.0.0:0): no Protocol; set EchoHost:Endpoints:side:Protocol to echo, framed or http", LoadError(values));
    }

    [Fact]
    public void Framed_protocol_is_served()
    {
        var settings = Load(Defaults(), "--EchoHost:Endpoints:framed:Url=tcp://0.0.0.0:1513", "--EchoHost:Endpoints:framed:Protocol=framed");

        var framed = settings.Endpoints.Single(e => e.Name == "framed");
        Assert.Equal(EndpointProtocol.Framed, framed.Protocol);
        Assert.Equal("framed", framed.ProtocolName);
        Assert.Equal(new IPAddressEndpoint(IPAddress.Any, 1513), framed.Address);
    }

    [Fact]
    public void Http_url_must_serve_http()
    {
        Assert.Contains(
            "Endpoint 'echo' (http://0.0.0.0:1512): an http:// Url serves HTTP",
            LoadError(Defaults(), "--EchoHost:Endpoints:echo:Url=http://0.0.0.0:1512"),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Http_protocol_may_listen_on_a_tcp_or_unix_url()
    {
        var settings = Load(Defaults(), "--EchoHost:Endpoints:http:Url=unix:/tmp/h.sock");

        Assert.Equal(EndpointProtocol.Http, settings.Endpoints.Single(e => e.Name == "http").Protocol);
    }

    [Fact]
    public void Two_endpoints_on_one_fixed_address_are_named()
    {
        Assert.Equal(
            "Endpoint 'http' (tcp://0.0.0.0:1512): endpoint 'echo' listens on the same address",
            LoadError(Defaults(), "--EchoHost:Endpoints:http:Url=tcp://0.0.0.0:1512"));
    }

    [Fact]
    public void Two_endpoints_on_port_zero_do_not_clash()
    {
        var settings = Load(Defaults(), "--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:0", "--EchoHost:Endpoints:http:Url=http://127.0.0.1:0");

        Assert.Equal(2, settings.Endpoints.Count);
    }

    [Fact]
    public void No_endpoint_at_all()
    {
        Assert.StartsWith("No endpoint is configured", LoadError(Defaults(), "--EchoHost:Endpoints:echo:Enabled=false", "--EchoHost:Endpoints:http:Enabled=False"), StringComparison.Ordinal);
    }

    [Fact]
    public void Enabled_that_is_not_a_boolean()
    {
        Assert.Equal(
            "Endpoint 'http': EchoHost:Endpoints:http:Enabled is 'no'; expected true or false",
            LoadError(Defaults(), "--EchoHost:Endpoints:http:Enabled=no"));
    }

    [Theory]
    [InlineData("--EchoHost:Native:ThreadCount=0", "EchoHost:Native:ThreadCount is 0; it must be 1 or more")]
    [InlineData("--EchoHost:Native:Backlog=0", "EchoHost:Native:Backlog is 0; it must be 1 or more")]
    [InlineData("--EchoHost:Native:MaxReadBufferSize=-1", "EchoHost:Native:MaxReadBufferSize is negative")]
    [InlineData("--EchoHost:Native:MaxTotalReadBufferSize=-1", "EchoHost:Native:MaxTotalReadBufferSize is negative")]
    [InlineData("--EchoHost:Native:MaxWriteBufferSize=-1", "EchoHost:Native:MaxWriteBufferSize is negative")]
    [InlineData("--EchoHost:Native:ThreadCount=many", "'many' at 'EchoHost:Native:ThreadCount'")]
    public void Native_options_are_checked_when_the_native_transport_runs(string arg, string expected)
    {
        Assert.Contains(expected, LoadError(Defaults(), arg, "--EchoHost:Transport=Native"), StringComparison.Ordinal);

        // With Sockets the section is not used, so it cannot stop start-up.
        Assert.Equal(TransportKind.Sockets, Load(Defaults(), arg, "--EchoHost:Transport=Sockets").Transport.Kind);
    }
}
