using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using EchoHost.Hosting;
using EchoHost.Limits;
using EchoHost.Metrics;
using EchoHost.Protocol;
using EchoHost.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EchoHost.Tests;

/// <summary>
/// TLS endpoints in this process, on both transports, with certificates made by openssl and openssl's own client
/// (plus .NET's SslStream and HttpClient) on the other end of real loopback sockets.
/// </summary>
public class TlsTests
{
    private static readonly TestCertificates Certificates = TestCertificates.Shared;

    public static TheoryData<string> Transports => new() { "Sockets", "Native" };

    /// <summary>Echo on PEM files, framed on PKCS#12, http on a PEM with its key inside; all with TLS.</summary>
    private static string[] Args(string transport, params string[] more) =>
    [
        $"--EchoHost:Transport={transport}",
        "--EchoHost:Endpoints:echo:Url=tls://127.0.0.1:0",
        $"--EchoHost:Endpoints:echo:Tls:CertificatePath={Certificates.ServerPem}",
        $"--EchoHost:Endpoints:echo:Tls:KeyPath={Certificates.ServerKey}",
        "--EchoHost:Endpoints:framed:Url=tls://127.0.0.1:0",
        $"--EchoHost:Endpoints:framed:Tls:CertificatePath={Certificates.ServerPfx}",
        $"--EchoHost:Endpoints:framed:Tls:Password={TestCertificates.Password}",
        "--EchoHost:Endpoints:http:Url=https://127.0.0.1:0",
        $"--EchoHost:Endpoints:http:Tls:CertificatePath={Certificates.ServerAndKeyPem}",
        "--Logging:LogLevel:EchoHost.Connections=Debug",
        .. more,
    ];

    private static long HandshakeFailures(WebApplication app, string name) =>
        app.Services.GetRequiredService<ServiceMetrics>().Endpoints.Single(e => e.Name == name).TlsHandshakeFailures;

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Openssl_s_client_gets_its_bytes_back_from_a_tls_echo_endpoint(string transport)
    {
        await using var app = await HostTests.StartAsync(Args(transport));
        var echo = HostTests.Endpoint(app, "echo");
        Assert.Equal($"tls://{echo.EndPoint}", echo.Address);
        Assert.Equal($"https://{HostTests.Endpoint(app, "http").EndPoint}", HostTests.Endpoint(app, "http").Address);

        await using var client = OpenSslClient.Start(echo.EndPoint, Certificates.CaPem);
        var payload = Loopback.Payload(200_000);
        Assert.Equal(payload, await client.RoundTripAsync(payload, payload.Length));
        var line = "hello over TLS\n"u8.ToArray();
        Assert.Equal(line, await client.RoundTripAsync(line, line.Length));

        var (exitCode, errors) = await client.FinishAsync();
        Assert.True(exitCode == 0, errors);
        Assert.Equal(0, HandshakeFailures(app, "echo"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_framed_echo_request_through_openssl_s_client(string transport)
    {
        await using var app = await HostTests.StartAsync(Args(transport));
        await using var client = OpenSslClient.Start(HostTests.Endpoint(app, "framed").EndPoint, Certificates.CaPem);

        var request = new ArrayBufferWriter<byte>();
        FrameWriter.WriteMessage(request, FrameKind.Request, 42, MessageTypes.Echo, "framed over TLS"u8, [new MetadataItem("k", "v"u8.ToArray())]);
        var header = await client.RoundTripAsync(request.WrittenSpan.ToArray(), Frame.HeaderSize);
        Assert.Equal((byte)FrameKind.Response, header[4]);
        var length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header);
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        var payload = await client.ReadExactlyAsync(length, timeout.Token);

        Assert.True(Message.TryParse(new ReadOnlySequence<byte>(payload), out var message));
        Assert.Equal(42UL, message.Id);
        Assert.Equal("framed over TLS"u8.ToArray(), message.Data.ToArray());
        Assert.True(message.Metadata.TryGetValue("k"u8, out var value));
        Assert.Equal("v"u8.ToArray(), value.ToArray());
        Assert.Equal(0, (await client.FinishAsync()).ExitCode);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Plain_text_and_aborted_handshakes_fail_their_own_connection_only(string transport)
    {
        var capture = new CapturingLoggerProvider();
        var app = await HostTests.StartAsync(Args(transport), capture);
        await using (app)
        {
            var endPoint = HostTests.Endpoint(app, "echo").EndPoint;
            await using var tls = OpenSslClient.Start(endPoint, Certificates.CaPem);
            Assert.Equal("before"u8.ToArray(), await tls.RoundTripAsync("before"u8.ToArray(), 6));

            // Plain text where a ClientHello should be: the server closes without echoing it.
            using (var plain = await Loopback.ConnectAsync(endPoint))
            {
                await Loopback.SendAllAsync(plain, "hello in plain text\n"u8.ToArray());
                plain.Shutdown(SocketShutdown.Send);
                var answer = await ReadUntilClosedAsync(plain);
                Assert.DoesNotContain("hello", System.Text.Encoding.ASCII.GetString(answer), StringComparison.Ordinal);
            }

            // A handshake given up half-way: the client resets after the first bytes of a ClientHello.
            using (var aborted = await Loopback.ConnectAsync(endPoint))
            {
                await Loopback.SendAllAsync(aborted, new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 });
                Loopback.Reset(aborted);
            }

            // The session that was open goes on, and a new one works.
            Assert.Equal("after"u8.ToArray(), await tls.RoundTripAsync("after"u8.ToArray(), 5));
            Assert.Equal(0, (await tls.FinishAsync()).ExitCode);
            await using var next = OpenSslClient.Start(endPoint, Certificates.CaPem);
            Assert.Equal("next"u8.ToArray(), await next.RoundTripAsync("next"u8.ToArray(), 4));
            Assert.Equal(0, (await next.FinishAsync()).ExitCode);

            // Stopping waits for every connection, so whatever they count and log is done.
            await app.StopAsync();
            Assert.Equal(2, HandshakeFailures(app, "echo"));
            var failures = capture.Entries.Where(e => e.Message.Contains("closed before its TLS handshake completed", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, failures.Count);
            Assert.All(failures, e => Assert.Equal(("EchoHost.Connections", LogLevel.Debug), (e.Category, e.Level)));
            Assert.Empty(capture.Problems);
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_client_refused_by_the_limits_gets_no_handshake_and_a_failed_handshake_frees_its_place(string transport)
    {
        await using var app = await HostTests.StartAsync(Args(transport, "--EchoHost:Endpoints:echo:Limits:MaxConnections=1"));
        var echo = HostTests.Endpoint(app, "echo");
        var limiter = app.Services.GetRequiredService<ConnectionLimits>().For(echo.Definition);

        await using (var first = OpenSslClient.Start(echo.EndPoint, Certificates.CaPem))
        {
            Assert.Equal("first"u8.ToArray(), await first.RoundTripAsync("first"u8.ToArray(), 5));

            // Past MaxConnections the server closes before reading a ClientHello: the handshake fails on the client,
            // the refusal is counted, and it is no handshake failure of the server's.
            await using (var second = OpenSslClient.Start(echo.EndPoint, Certificates.CaPem))
            {
                var (exitCode, errors) = await second.FinishAsync();
                Assert.True(exitCode != 0, errors);
            }

            Assert.Equal(1, limiter.Rejected[(int)RejectReason.EndpointMaxConnections]);
            Assert.Equal(0, HandshakeFailures(app, "echo"));
            Assert.Equal("still"u8.ToArray(), await first.RoundTripAsync("still"u8.ToArray(), 5));
            Assert.Equal(0, (await first.FinishAsync()).ExitCode);
        }

        // Plain text takes the one place, fails its handshake and gives the place back.
        await EventuallyAsync(async () =>
        {
            using var plain = await Loopback.ConnectAsync(echo.EndPoint);
            await Loopback.SendAllAsync(plain, "not a ClientHello\n"u8.ToArray());
            plain.Shutdown(SocketShutdown.Send);
            await ReadUntilClosedAsync(plain);
            return HandshakeFailures(app, "echo") == 1;
        });
        await EventuallyAsync(async () =>
        {
            await using var last = OpenSslClient.Start(echo.EndPoint, Certificates.CaPem);
            try
            {
                return (await last.RoundTripAsync("last"u8.ToArray(), 4)).AsSpan().SequenceEqual("last"u8);
            }
            catch (Exception ex) when (ex is EndOfStreamException or IOException)
            {
                return false;
            }
        });
    }

    /// <summary>
    /// A place freed by a connection is given back when the server has finished closing it, a moment after the client
    /// sees the close: an attempt made in that moment is refused, so it is tried again, a bounded number of times.
    /// </summary>
    private static async Task EventuallyAsync(Func<Task<bool>> attempt)
    {
        for (var i = 0; i < 50; i++)
        {
            if (await attempt())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("The connection's place was not given back after 50 attempts");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task SslProtocols_refuses_a_client_that_offers_only_another_version(string transport)
    {
        await using var app = await HostTests.StartAsync(Args(transport, "--EchoHost:Endpoints:echo:Tls:SslProtocols=Tls13"));
        var endPoint = HostTests.Endpoint(app, "echo").EndPoint;

        await using (var old = OpenSslClient.Start(endPoint, Certificates.CaPem, "-tls1_2"))
        {
            var (exitCode, errors) = await old.FinishAsync();
            Assert.True(exitCode != 0, errors);
        }

        await using var current = OpenSslClient.Start(endPoint, Certificates.CaPem, "-tls1_3");
        Assert.Equal("v1.3"u8.ToArray(), await current.RoundTripAsync("v1.3"u8.ToArray(), 4));
        Assert.Equal(0, (await current.FinishAsync()).ExitCode);
        Assert.Equal(1, HandshakeFailures(app, "echo"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Https_endpoint_answers_healthz_over_http2_and_http11(string transport)
    {
        await using var app = await HostTests.StartAsync(Args(transport));
        var address = new Uri(HostTests.Endpoint(app, "http").Address.Replace("127.0.0.1", "localhost", StringComparison.Ordinal) + "/healthz");
        using var handler = new SocketsHttpHandler { SslOptions = TrustingTestCa() };
        using var http = new HttpClient(handler) { Timeout = Loopback.Timeout };

        foreach (var version in new[] { HttpVersion.Version20, HttpVersion.Version11 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, address) { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            using var response = await http.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(version, response.Version);
            Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Echo_endpoints_negotiate_no_application_protocol(string transport)
    {
        await using var app = await HostTests.StartAsync(Args(transport));
        using var socket = await Loopback.ConnectAsync(HostTests.Endpoint(app, "echo").EndPoint);
        await using var ssl = new SslStream(new NetworkStream(socket));
        var options = TrustingTestCa();
        options.ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];
        await ssl.AuthenticateAsClientAsync(options);

        Assert.Equal(default, ssl.NegotiatedApplicationProtocol);
        await ssl.WriteAsync("h2?"u8.ToArray());
        var echoed = new byte[3];
        await ssl.ReadExactlyAsync(echoed);
        Assert.Equal("h2?"u8.ToArray(), echoed);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task RequireCertificate_takes_client_certificates_of_the_configured_ca_only(string transport)
    {
        await using var app = await HostTests.StartAsync(Args(
            transport,
            "--EchoHost:Endpoints:echo:Tls:ClientCertificateMode=RequireCertificate",
            $"--EchoHost:Endpoints:echo:Tls:ClientCertificateAuthorityPath={Certificates.CaPem}"));
        var endPoint = HostTests.Endpoint(app, "echo").EndPoint;

        var (certificate, key) = Certificates.Client;
        await using (var signed = OpenSslClient.Start(endPoint, Certificates.CaPem, "-cert", certificate, "-key", key))
        {
            Assert.Equal("mutual"u8.ToArray(), await signed.RoundTripAsync("mutual"u8.ToArray(), 6));
            Assert.Equal(0, (await signed.FinishAsync()).ExitCode);
        }

        (certificate, key) = Certificates.Stranger;
        string[][] refused = [[], ["-cert", certificate, "-key", key]];
        foreach (var more in refused)
        {
            await using var client = OpenSslClient.Start(endPoint, Certificates.CaPem, more);
            await client.Input.WriteAsync("refused?"u8.ToArray());
            await client.Input.FlushAsync();

            // The server ends the handshake: nothing comes back, and openssl exits once the connection is closed.
            using var received = new MemoryStream();
            using var timeout = new CancellationTokenSource(Loopback.Timeout);
            await client.Output.CopyToAsync(received, timeout.Token);
            Assert.Equal(0, received.Length);
        }

        await app.StopAsync();
        Assert.Equal(2, HandshakeFailures(app, "echo"));
    }

    private static SslClientAuthenticationOptions TrustingTestCa()
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(Certificates.Authorities());
        return new SslClientAuthenticationOptions { TargetHost = "localhost", CertificateChainPolicy = policy };
    }

    private static async Task<byte[]> ReadUntilClosedAsync(Socket socket)
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
}
