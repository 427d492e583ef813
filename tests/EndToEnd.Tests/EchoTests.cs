using System.Net;
using System.Net.Sockets;
using EchoHost.EndToEnd.Tests.Support;

namespace EchoHost.EndToEnd.Tests;

/// <summary>A client's view of the echo and http endpoints of a running EchoHost.</summary>
public class EchoTests(SharedServers servers) : IClassFixture<SharedServers>
{
    public static TheoryData<string, string> Transports => Support.Transports.All;

    private async Task<EndPoint> EchoEndPointAsync(string build, string transport) =>
        Loopback.ParseAddress((await servers.GetAsync(build, transport)).Addresses["echo"]);

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Small_payload_comes_back(string build, string transport)
    {
        var endPoint = await EchoEndPointAsync(build, transport);
        using var socket = await Loopback.ConnectAsync(endPoint);

        // Several exchanges on one connection, each a ping-pong.
        for (var i = 1; i <= 5; i++)
        {
            var message = Loopback.Payload(64, i);
            await Loopback.SendAllAsync(socket, message);
            var echoed = new byte[message.Length];
            await Loopback.ReadExactlyAsync(socket, echoed);
            Assert.Equal(message, echoed);
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Eight_mebibytes_come_back_in_order_while_the_client_reads_concurrently(string build, string transport)
    {
        var payload = Loopback.Payload(8 * 1024 * 1024, 7);

        var echoed = await Loopback.EchoAsync(await EchoEndPointAsync(build, transport), payload);

        Assert.Equal(payload.Length, echoed.Length);
        Assert.True(payload.AsSpan().SequenceEqual(echoed), "the echoed bytes differ from those sent");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Half_close_gets_everything_back_then_end_of_stream(string build, string transport)
    {
        using var socket = await Loopback.ConnectAsync(await EchoEndPointAsync(build, transport));
        var payload = Loopback.Payload(48 * 1024, 3);

        // All of it sent and the sending side shut before reading a byte: the server must still echo everything.
        await Loopback.SendAllAsync(socket, payload);
        socket.Shutdown(SocketShutdown.Send);

        var echoed = await Loopback.ReadToEndAsync(socket);
        Assert.Equal(payload, echoed);
        Assert.Equal(0, await socket.ReceiveAsync(new byte[1], SocketFlags.None));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Empty_connection_closed_by_the_client_is_closed_by_the_server(string build, string transport)
    {
        using var socket = await Loopback.ConnectAsync(await EchoEndPointAsync(build, transport));
        socket.Shutdown(SocketShutdown.Send);

        Assert.Empty(await Loopback.ReadToEndAsync(socket));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Two_hundred_clients_at_once_each_get_their_own_bytes(string build, string transport)
    {
        var endPoint = await EchoEndPointAsync(build, transport);
        var payloads = Enumerable.Range(0, 200).Select(i => Loopback.Payload(4096 + i, i)).ToArray();

        var echoed = await Task.WhenAll(payloads.Select(p => Loopback.EchoAsync(endPoint, p)));

        for (var i = 0; i < payloads.Length; i++)
        {
            Assert.Equal(payloads[i], echoed[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Http_endpoint_answers_healthz(string build, string transport)
    {
        var address = (await servers.GetAsync(build, transport)).Addresses["http"];
        Assert.StartsWith("http://127.0.0.1:", address, StringComparison.Ordinal);
        using var client = new HttpClient { Timeout = Loopback.Timeout };

        using var response = await client.GetAsync(new Uri(address + "/healthz"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Log_says_which_transport_runs(string build, string transport)
    {
        var (process, _) = await servers.GetAsync(build, transport);

        var expected = transport switch
        {
            "Native" => "Using the Native transport with the io_uring engine (EchoHost:Transport is Native)",
            Support.Transports.NativeEpoll => "Using the Native transport with the epoll engine (EchoHost:Transport is Native)",
            _ => "Using the Sockets transport (EchoHost:Transport is Sockets)",
        };
        Assert.Contains(expected, process.StandardOutput, StringComparison.Ordinal);
    }
}
