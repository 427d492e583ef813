using System.Net;
using System.Net.Sockets;
using EchoHost.EndToEnd.Tests.Support;

namespace EchoHost.EndToEnd.Tests;

/// <summary>The configuration keys of the README, set the ways an operator sets them.</summary>
public class ConfigurationTests
{
    public static TheoryData<string, string> Transports => Support.Transports.All;

    private static async Task AssertEchoesAsync(EndPoint endPoint)
    {
        var payload = Loopback.Payload(20_000, endPoint.GetHashCode());
        Assert.Equal(payload, await Loopback.EchoAsync(endPoint, payload));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Environment_variables_configure_transport_and_endpoints(string build, string transport)
    {
        var environment = Support.Transports.Environment(transport);
        environment["EchoHost__Endpoints__echo__Url"] = "tcp://127.0.0.1:0";
        environment["EchoHost__Endpoints__http__Enabled"] = "false";
        environment["EchoHost__Endpoints__framed__Url"] = "tcp://127.0.0.1:0";
        await using var process = EchoHostProcess.Start(build, [], environment);

        var echo = await process.EndPointAsync("echo");

        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)echo).Address);
        Assert.DoesNotContain("Endpoint http ", process.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"Using the {Support.Transports.TransportName(transport)} transport", process.StandardOutput, StringComparison.Ordinal);
        await AssertEchoesAsync(echo);
    }

    [Theory]
    [ForEachBuild]
    public async Task Command_line_wins_over_environment(string build)
    {
        await using var process = EchoHostProcess.Start(build,
            ["--EchoHost:Transport=Sockets", "--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:0"],
            new Dictionary<string, string>
            {
                ["EchoHost__Endpoints__echo__Url"] = "tcp://127.0.0.1:not-a-port",
                ["EchoHost__Endpoints__http__Url"] = "http://127.0.0.1:0",
                ["EchoHost__Endpoints__framed__Url"] = "tcp://127.0.0.1:0",
            });

        await AssertEchoesAsync(await process.EndPointAsync("echo"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Port_switch_sets_the_echo_port_and_keeps_the_host(string build, string transport)
    {
        // The Url's own port, 1512, must give way to --port 0, an ephemeral port.
        await using var process = EchoHostProcess.StartOnLoopback(build, transport, "--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:1512", "--port", "0");

        var echo = (IPEndPoint)await process.EndPointAsync("echo");

        Assert.Equal(IPAddress.Loopback, echo.Address);
        Assert.NotEqual(1512, echo.Port);
        await AssertEchoesAsync(echo);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Unix_socket_endpoint_echoes_and_its_file_is_removed_on_stop(string build, string transport)
    {
        var directory = Directory.CreateTempSubdirectory("echohost-e2e-");
        try
        {
            var path = Path.Combine(directory.FullName, "echo.sock");
            await using var process = EchoHostProcess.StartOnLoopback(build,
                transport, $"--EchoHost:Endpoints:local:Url=unix:{path}", "--EchoHost:Endpoints:local:Protocol=echo");

            var address = (await process.WaitForEndpointsAsync("local"))["local"];

            Assert.Equal($"unix:{path}", address);
            await AssertEchoesAsync(new UnixDomainSocketEndPoint(path));

            // A socket file left behind would make the next start fail with "address already in use".
            process.Terminate();
            Assert.Equal(0, await process.WaitForExitAsync());
            Assert.False(File.Exists(path), "the socket file outlived the service");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Ipv6_any_listens_dual_mode(string build, string transport)
    {
        await using var process = EchoHostProcess.StartOnLoopback(build, transport, "--EchoHost:Endpoints:echo:Url=tcp://[::]:0");

        var echo = (IPEndPoint)await process.EndPointAsync("echo");

        Assert.Equal(IPAddress.IPv6Any, echo.Address);
        await AssertEchoesAsync(new IPEndPoint(IPAddress.IPv6Loopback, echo.Port));
        await AssertEchoesAsync(new IPEndPoint(IPAddress.Loopback, echo.Port));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Localhost_with_port_zero_listens_on_ipv4_loopback(string build, string transport)
    {
        await using var process = EchoHostProcess.StartOnLoopback(build, transport, "--EchoHost:Endpoints:echo:Url=tcp://localhost:0");

        var echo = (IPEndPoint)await process.EndPointAsync("echo");

        Assert.Equal(IPAddress.Loopback, echo.Address);
        await AssertEchoesAsync(echo);
    }
}
