using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EchoHost.Hosting;
using EchoHost.Limits;
using EchoHost.Protocol;
using EchoHost.Serving;
using EchoHost.ProxyProtocol;
using EchoHost.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace EchoHost.Tests.ProxyProtocol;

/// <summary>
/// Endpoints with the PROXY protocol in this process, on both transports, over real loopback sockets: this test plays
/// the proxy from 127.0.0.1 (the one trusted address) and writes the headers itself. The header deadline runs on a
/// fake clock that the tests advance.
/// </summary>
public sealed class ProxyProtocolTests : IAsyncDisposable
{
    private static readonly TestCertificates Certificates = TestCertificates.Shared;
    private static readonly IPEndPoint Proxied = IPEndPoint.Parse("127.0.0.1:1");

    private readonly FakeTimeProvider _time = new();
    private readonly CapturingLoggerProvider _log = new();
    private readonly string _unixPath = Path.Combine(Path.GetTempPath(), $"echohost-proxy-{Guid.NewGuid():N}.sock");
    private WebApplication? _app;

    public static TheoryData<string> Transports => new() { "Sockets", "Native" };

    private static IPAddress Local(byte last) => new([127, 0, 0, last]);

    private static IPEndPoint Client(byte last, int port = 40000) => new(new IPAddress([203, 0, 113, last]), port);

    private async Task<WebApplication> StartAsync(string transport, params string[] more)
    {
        string[] args =
        [
            $"--EchoHost:Transport={transport}",
            "--EchoHost:AccessLog=true",
            "--Logging:LogLevel:EchoHost.Connections=Debug",
            "--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:0",
            "--EchoHost:Endpoints:echo:ProxyProtocol=true",
            "--EchoHost:Endpoints:echo:TrustedProxies:0=127.0.0.1",
            "--EchoHost:Endpoints:framed:Url=tcp://127.0.0.1:0",
            "--EchoHost:Endpoints:framed:Protocol=framed",
            "--EchoHost:Endpoints:framed:ProxyProtocol=true",
            "--EchoHost:Endpoints:framed:TrustedProxies:0=127.0.0.0/24",
            "--EchoHost:Endpoints:framed:TrustedProxies:1=::1",
            "--EchoHost:Endpoints:http:Url=http://127.0.0.1:0",
            "--EchoHost:Endpoints:http:ProxyProtocol=true",
            "--EchoHost:Endpoints:http:TrustedProxies=127.0.0.1",
            "--EchoHost:Endpoints:plain:Url=tcp://127.0.0.1:0",
            "--EchoHost:Endpoints:plain:Protocol=echo",
            "--EchoHost:Endpoints:metrics:Url=http://127.0.0.1:0",
            "--EchoHost:Endpoints:metrics:Protocol=http",
            .. more,
        ];
        var app = Program.Build(args, builder => builder.Services.AddSingleton<TimeProvider>(_time));
        app.MapGet("/peer", (HttpContext context) =>
            $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort} via {context.Features.Get<ProxyProtocolFeature>()?.ProxyEndPoint}");
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(_log);
        _app = app;
        await app.StartAsync();
        return app;
    }

    private EndPoint EndPointOf(string name) =>
        _app!.Services.GetRequiredService<ListeningEndpoints>().GetBound().Single(e => e.Definition.Name == name).EndPoint;

    private long Rejected(string name) =>
        _app!.Services.GetRequiredService<ConnectionLimits>().Limiters.Single(l => l.Endpoint.Name == name).Rejected[(int)RejectReason.ProxyProtocol];

    private List<string> Lines(string category) => [.. _log.Entries.Where(e => e.Category == category).Select(e => e.Message)];

    /// <summary>Connects as the proxy (from <paramref name="from"/>, 127.0.0.1 unless told) and sends <paramref name="header"/> and <paramref name="then"/> in one write.</summary>
    private async Task<Socket> ConnectAsync(string endpoint, byte[] header, byte[]? then = null, IPAddress? from = null)
    {
        var socket = await Loopback.ConnectAsync(EndPointOf(endpoint), from ?? Local(1));
        await Loopback.SendAllAsync(socket, (byte[])[.. header, .. then ?? []]);
        return socket;
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int length)
    {
        var buffer = new byte[length];
        await Loopback.ReadExactlyAsync(socket, buffer);
        return buffer;
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task The_headers_client_is_the_connections_peer_for_echo_the_access_log_the_connection_log_and_http(string transport)
    {
        await StartAsync(transport);
        var payload = Loopback.Payload(100_000);

        // The payload follows the header in the same segment: what the parser leaves is echoed, nothing lost.
        using (var socket = await ConnectAsync("echo", ProxyHeaders.V1(Client(7), Proxied), payload))
        {
            socket.Shutdown(SocketShutdown.Send);
            Assert.Equal(payload, await Loopback.ReadToEndAsync(socket));
        }

        using (var socket = await ConnectAsync("echo", ProxyHeaders.V2(Client(8, 40008), Proxied, tlvs: ProxyHeaders.Tlv(0x05, new byte[40])), "v2\n"u8.ToArray()))
        {
            socket.Shutdown(SocketShutdown.Send);
            Assert.Equal("v2\n"u8.ToArray(), await Loopback.ReadToEndAsync(socket));
        }

        using (var socket = await ConnectAsync("http", ProxyHeaders.V2(Client(9, 1234), Proxied), "GET /peer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"u8.ToArray()))
        {
            var response = Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(socket));
            Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
            Assert.Contains("\r\n203.0.113.9:1234 via 127.0.0.1:" + ((IPEndPoint)socket.LocalEndPoint!).Port + "\r\n", response, StringComparison.Ordinal);
        }

        // Where the PROXY protocol is off, the same line is data like any other: nothing parses it.
        var line = ProxyHeaders.V1(Client(7), Proxied);
        Assert.Equal(line, await Loopback.EchoAsync(EndPointOf("plain"), line));

        var access = Lines(AccessLog.Category);
        Assert.Contains(access, l => l.StartsWith("203.0.113.7 - - [", StringComparison.Ordinal) && l.Contains("\"ECHO\"", StringComparison.Ordinal));
        Assert.Contains(access, l => l.StartsWith("203.0.113.8 - - [", StringComparison.Ordinal));
        var connections = Lines("EchoHost.Connections");
        Assert.Contains(connections, l => l.Contains("accepted on echo from 203.0.113.7:40000", StringComparison.Ordinal));
        Assert.Contains(connections, l => l.Contains("through proxy 127.0.0.1:", StringComparison.Ordinal) && l.Contains("PROXY protocol version 2 header from 203.0.113.8:40008", StringComparison.Ordinal));
        Assert.Equal(0, Rejected("echo"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Limits_per_address_count_the_clients_behind_the_proxy(string transport)
    {
        await StartAsync(transport, "--EchoHost:Limits:MaxConnectionsPerAddress=1");
        var framed = EndPointOf("framed");
        using var first = await FramedTestClient.ConnectAsync(framed, Local(1));
        await first.SendAsync(ProxyHeaders.V1(Client(1), Proxied));
        using var second = await FramedTestClient.ConnectAsync(framed, Local(1));
        await second.SendAsync(ProxyHeaders.V2(Client(2), Proxied));
        Assert.Equal(FrameKind.Response, (await first.CallAsync(1, MessageTypes.Echo, "one"u8.ToArray())).Kind);
        Assert.Equal(FrameKind.Response, (await second.CallAsync(2, MessageTypes.Echo, "two"u8.ToArray())).Kind);

        // The same client again, through the same proxy, is past its limit.
        using var again = await FramedTestClient.ConnectAsync(framed, Local(1));
        await again.SendAsync(ProxyHeaders.V1(Client(1, 40001), Proxied));
        var refused = Assert.Single(await again.ReadUntilClosedAsync());
        Assert.Equal(FrameKind.GoAway, refused.Kind);
        Assert.Equal("connection limit reached for this address", Encoding.UTF8.GetString(refused.Payload));

        // A proxy's health check (LOCAL) is a connection from the proxy itself, which has a place of its own.
        using var check = await FramedTestClient.ConnectAsync(framed, Local(1));
        await check.SendAsync(ProxyHeaders.V2(Client(3), Proxied, local: true));
        Assert.Equal(FrameKind.Pong, (await SendPingAsync(check)).Kind);

        Assert.Equal(FrameKind.Response, (await first.CallAsync(3, MessageTypes.Echo, "still"u8.ToArray())).Kind);
        Assert.Equal(0, Rejected("framed"));
    }

    private static async Task<ReceivedFrame> SendPingAsync(FramedTestClient client)
    {
        await client.SendAsync(FramedTestClient.Frame((byte)FrameKind.Ping, "hc"u8));
        return await client.ReadFrameAsync();
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Missing_forged_malformed_oversized_truncated_and_slow_headers_close_that_connection_alone(string transport)
    {
        await StartAsync(transport);
        using var bystander = await ConnectAsync("echo", ProxyHeaders.V1(Client(1), Proxied), "a"u8.ToArray());
        Assert.Equal("a"u8.ToArray(), await ReadExactlyAsync(bystander, 1));

        // Each is closed with nothing echoed.
        async Task AssertClosedAsync(Socket socket)
        {
            using (socket)
            {
                Assert.Empty(await ReadToCloseAsync(socket));
            }
        }

        await AssertClosedAsync(await ConnectAsync("echo", "hello\n"u8.ToArray()));
        await AssertClosedAsync(await ConnectAsync("echo", ProxyHeaders.V1(Client(2), Proxied), "forged\n"u8.ToArray(), from: Local(2)));
        await AssertClosedAsync(await ConnectAsync("echo", ProxyHeaders.V1("PROXY TCP4 203.0.113.2 127.0.0.1 4000\r\nhello\n")));
        await AssertClosedAsync(await ConnectAsync("echo", ProxyHeaders.V1("PROXY UNKNOWN " + new string('x', 120))));
        var truncated = await ConnectAsync("echo", ProxyHeaders.V2(Client(2), Proxied)[..20]);
        truncated.Shutdown(SocketShutdown.Send);
        await AssertClosedAsync(truncated);

        // Trickled: a byte at a time, then nothing, until the deadline passes on the clock the server reads.
        using (var trickled = await ConnectAsync("echo", "P"u8.ToArray()))
        {
            await Loopback.SendAllAsync(trickled, "ROXY TCP4 203.0.113"u8.ToArray());
            var closed = ReadToCloseAsync(trickled);
            while (!closed.IsCompleted)
            {
                _time.Advance(TimeSpan.FromSeconds(1));
                await Task.WhenAny(closed, Task.Delay(20));
            }

            Assert.Empty(await closed);
        }

        await Loopback.SendAllAsync(bystander, "b"u8.ToArray());
        Assert.Equal("b"u8.ToArray(), await ReadExactlyAsync(bystander, 1));
        Assert.Equal(6, Rejected("echo"));
        Assert.Equal(
            [
                "no PROXY protocol header",
                "not from a trusted proxy",
                "a malformed PROXY protocol header",
                "a version 1 PROXY protocol header longer than 107 bytes",
                "closed before its PROXY protocol header was complete",
                "no complete PROXY protocol header in time",
            ],
            Lines("EchoHost.Connections").Where(l => l.Contains(" refused: ", StringComparison.Ordinal)).Select(l => l[(l.IndexOf(" refused: ", StringComparison.Ordinal) + 10)..]));

        // Scraped as echohost_connections_rejected_total{endpoint="echo",reason="proxy_protocol"} 6.
        using var http = new HttpClient { BaseAddress = new Uri($"http://{EndPointOf("metrics")}") };
        var exposition = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains(
            exposition.Split('\n'),
            l => l.StartsWith("echohost_connections_rejected_total{", StringComparison.Ordinal) && l.Contains("endpoint=\"echo\"", StringComparison.Ordinal)
                && l.Contains("reason=\"proxy_protocol\"", StringComparison.Ordinal) && l.EndsWith("} 6", StringComparison.Ordinal));
    }

    private static async Task<byte[]> ReadToCloseAsync(Socket socket)
    {
        try
        {
            return await Loopback.ReadToEndAsync(socket);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return [];
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task On_a_tls_endpoint_the_header_comes_before_the_handshake(string transport)
    {
        await StartAsync(
            transport,
            "--EchoHost:Endpoints:secure:Url=tls://127.0.0.1:0",
            "--EchoHost:Endpoints:secure:Protocol=echo",
            $"--EchoHost:Endpoints:secure:Tls:CertificatePath={Certificates.ServerAndKeyPem}",
            "--EchoHost:Endpoints:secure:ProxyProtocol=true",
            "--EchoHost:Endpoints:secure:TrustedProxies:0=127.0.0.0/8");
        using var socket = await ConnectAsync("secure", ProxyHeaders.V2(Client(5, 5005), Proxied));
        await using var ssl = new SslStream(new NetworkStream(socket));
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(Certificates.Authorities());
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", CertificateChainPolicy = policy });
        await ssl.WriteAsync("over TLS"u8.ToArray());
        var echoed = new byte[8];
        await ssl.ReadExactlyAsync(echoed);

        Assert.Equal("over TLS"u8.ToArray(), echoed);
        Assert.Contains(Lines("EchoHost.Connections"), l => l.Contains("accepted on secure from 203.0.113.5:5005", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task On_a_unix_socket_endpoint_the_header_gives_the_client(string transport)
    {
        await StartAsync(
            transport,
            $"--EchoHost:Endpoints:local:Url=unix:{_unixPath}",
            "--EchoHost:Endpoints:local:Protocol=echo",
            "--EchoHost:Endpoints:local:ProxyProtocol=true");
        using (var socket = await Loopback.ConnectAsync(new UnixDomainSocketEndPoint(_unixPath)))
        {
            await Loopback.SendAllAsync(socket, (byte[])[.. ProxyHeaders.V1(Client(6, 6006), Proxied), .. "unix\n"u8]);
            socket.Shutdown(SocketShutdown.Send);
            Assert.Equal("unix\n"u8.ToArray(), await Loopback.ReadToEndAsync(socket));
        }

        Assert.Contains(Lines(AccessLog.Category), l => l.StartsWith("203.0.113.6 - - [", StringComparison.Ordinal));
        Assert.Contains(Lines("EchoHost.Connections"), l => l.Contains("accepted on local from 203.0.113.6:6006", StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _log.Dispose();
        File.Delete(_unixPath);
    }
}
