using System.Net;
using System.Net.Sockets;
using EchoHost.Hosting;
using Microsoft.AspNetCore.Builder;
using EchoHost.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EchoHost.Tests;

/// <summary>The service in this process, as <c>Program</c> builds it, over real loopback sockets on both transports.</summary>
public class HostTests
{
    public static TheoryData<string> Transports => new() { "Sockets", "Native" };

    private static string[] Args(string transport, params string[] more) =>
    [
        $"--EchoHost:Transport={transport}",
        "--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:0",
        "--EchoHost:Endpoints:http:Url=http://127.0.0.1:0",
        "--EchoHost:Endpoints:framed:Url=tcp://127.0.0.1:0",
        .. more,
    ];

    internal static async Task<WebApplication> StartAsync(string[] args, CapturingLoggerProvider? capture = null)
    {
        var app = Program.Build(args);
        if (capture is not null)
        {
            app.Services.GetRequiredService<ILoggerFactory>().AddProvider(capture);
        }

        try
        {
            await app.StartAsync();
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    internal static BoundEndpoint Endpoint(WebApplication app, string name) =>
        app.Services.GetRequiredService<ListeningEndpoints>().GetBound().Single(e => e.Definition.Name == name);

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Reports_the_port_it_bound_and_echoes(string transport)
    {
        await using var app = await StartAsync(Args(transport));

        var echo = Endpoint(app, "echo");
        var bound = Assert.IsType<IPEndPoint>(echo.EndPoint);
        Assert.Equal(IPAddress.Loopback, bound.Address);
        Assert.NotEqual(0, bound.Port);
        Assert.Equal($"tcp://127.0.0.1:{bound.Port}", echo.Address);

        var payload = Loopback.Payload(100_000);
        Assert.Equal(payload, await Loopback.EchoAsync(bound, payload));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Http_endpoint_answers_healthz(string transport)
    {
        await using var app = await StartAsync(Args(transport));
        var http = Endpoint(app, "http");
        Assert.StartsWith("http://127.0.0.1:", http.Address, StringComparison.Ordinal);

        using var client = new HttpClient { Timeout = Loopback.Timeout };
        using var response = await client.GetAsync(new Uri(http.Address + "/healthz"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Stopping_the_host_closes_open_connections(string transport)
    {
        var app = await StartAsync(Args(transport));
        await using (app)
        {
            using var idle = await Loopback.ConnectAsync(Endpoint(app, "echo").EndPoint);
            using var busy = await Loopback.ConnectAsync(Endpoint(app, "echo").EndPoint);
            await Loopback.SendAllAsync(busy, "hello"u8.ToArray());
            var echoed = new byte[5];
            await Loopback.ReadExactlyAsync(busy, echoed);
            Assert.Equal("hello"u8.ToArray(), echoed);

            await app.StopAsync();

            Assert.True(await Loopback.WaitForCloseAsync(idle));
            Assert.True(await Loopback.WaitForCloseAsync(busy));
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Clients_that_reset_mid_stream_log_no_error_and_disturb_no_one(string transport)
    {
        var capture = new CapturingLoggerProvider();
        var app = await StartAsync(Args(transport), capture);
        await using (app)
        {
            var endPoint = Endpoint(app, "echo").EndPoint;
            for (var i = 0; i < 20; i++)
            {
                var socket = await Loopback.ConnectAsync(endPoint);
                await Loopback.SendAllAsync(socket, Loopback.Payload(256 * 1024, i));
                Loopback.Reset(socket);
            }

            var payload = Loopback.Payload(10_000, 99);
            Assert.Equal(payload, await Loopback.EchoAsync(endPoint, payload));

            // Stopping waits for every connection's handler, so whatever they would log has been logged.
            await app.StopAsync();
        }

        Assert.Empty(capture.Problems);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Port_in_use_exits_with_one_message_naming_the_endpoint(string transport)
    {
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        var port = ((IPEndPoint)occupier.LocalEndpoint).Port;
        using var errors = new StringWriter();

        var exitCode = await Program.RunAsync(Args(transport, $"--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:{port}"), errors);

        Assert.Equal(ExitCodes.EndpointUnavailable, exitCode);
        Assert.Equal($"EchoHost cannot start: Endpoint 'echo' (tcp://127.0.0.1:{port}): address already in use{Environment.NewLine}", errors.ToString());
    }

    [Fact]
    public async Task Invalid_configuration_exits_with_code_2_before_anything_listens()
    {
        using var errors = new StringWriter();

        var exitCode = await Program.RunAsync(Args("Sockets", "--EchoHost:Endpoints:echo:Protocol=telnet"), errors);

        Assert.Equal(ExitCodes.InvalidConfiguration, exitCode);
        Assert.Equal(
            $"EchoHost cannot start: Endpoint 'echo' (tcp://127.0.0.1:0): unknown protocol 'telnet'; expected echo, framed or http{Environment.NewLine}",
            errors.ToString());
    }
}
