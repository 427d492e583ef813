using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using EchoHost.Client.Tests.Support;
using EchoHost.Protocol;

namespace EchoHost.Client.Tests;

/// <summary>Two real servers, one per transport, each with a framed endpoint on tls:// (a PKCS#12 certificate signed by the test CA).</summary>
public sealed class TlsServersFixture : IAsyncLifetime
{
    private readonly Dictionary<string, EchoHostProcess> _servers = [];

    public Dictionary<string, IPEndPoint> EndPoints { get; } = [];

    public async Task InitializeAsync()
    {
        var certificates = TestCertificates.Shared;
        foreach (var transport in (string[])["Sockets", "Native"])
        {
            var process = EchoHostProcess.StartOnLoopback(
                ServiceBuilds.Jit,
                transport,
                "--EchoHost:Endpoints:framed:Url=tls://127.0.0.1:0",
                $"--EchoHost:Endpoints:framed:Tls:CertificatePath={certificates.ServerPfx}",
                $"--EchoHost:Endpoints:framed:Tls:Password={TestCertificates.Password}");
            _servers[transport] = process;
            EndPoints[transport] = (IPEndPoint)await process.EndPointAsync("framed");
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var server in _servers.Values)
        {
            await server.DisposeAsync();
        }
    }
}

/// <summary>The client library and echohost-client over TLS, against the real server on both transports.</summary>
public class TlsClientTests(TlsServersFixture servers) : IClassFixture<TlsServersFixture>
{
    public static TheoryData<string> Transports => new() { "Sockets", "Native" };

    private static FramedClientOptions Trusting(string? targetHost = null) => new()
    {
        Tls = new FramedTlsOptions { TrustedCertificateAuthorities = TestCertificates.Shared.Authorities(), TargetHost = targetHost },
    };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Echo_and_stats_over_tls(string transport)
    {
        await using var client = await FramedClient.ConnectAsync(servers.EndPoints[transport], Trusting());

        var response = await client.SendAsync(MessageTypes.Echo, "over TLS"u8.ToArray(), [new MetadataItem("k", "v"u8.ToArray())]);
        Assert.Equal("over TLS", Encoding.UTF8.GetString(response.Data.Span));
        Assert.Equal("v"u8.ToArray(), response.Metadata["k"]);

        var stats = await client.SendAsync(MessageTypes.Stats, ReadOnlyMemory<byte>.Empty);
        using var json = JsonDocument.Parse(stats.Data);
        Assert.True(json.RootElement.GetProperty("activeConnections").GetInt64() >= 1);
        Assert.True(json.RootElement.GetProperty("messagesHandled").GetInt64() >= 1);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Many_concurrent_requests_over_a_pool_of_tls_connections(string transport)
    {
        var options = Trusting("localhost");
        options.PoolSize = 4;
        await using var client = new FramedClient(new DnsEndPoint("localhost", servers.EndPoints[transport].Port), options);

        var requests = Enumerable.Range(0, 1000).Select(async i =>
        {
            var data = Encoding.UTF8.GetBytes($"request {i} " + new string('x', i % 300));
            var response = await client.SendAsync(MessageTypes.Echo, data);
            Assert.Equal(data, response.Data.ToArray());
        });
        await Task.WhenAll(requests);
        Assert.InRange(client.OpenConnections, 1, 4);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_certificate_the_client_does_not_trust_fails_clearly(string transport)
    {
        var endPoint = servers.EndPoints[transport];

        // The system's roots do not include the test CA.
        var untrusted = await Assert.ThrowsAsync<FramedUnavailableException>(() =>
            FramedClient.ConnectAsync(endPoint, new FramedClientOptions { Tls = new FramedTlsOptions() }));
        Assert.StartsWith($"The TLS handshake with {endPoint} failed: the server's certificate CN=localhost is not trusted: its chain does not lead to a trusted root (", untrusted.Message, StringComparison.Ordinal);

        // Another CA is no better.
        var other = new X509Certificate2Collection();
        other.ImportFromPemFile(TestCertificates.Shared.OtherCaPem);
        var wrongCa = await Assert.ThrowsAsync<FramedUnavailableException>(() =>
            FramedClient.ConnectAsync(endPoint, new FramedClientOptions { Tls = new FramedTlsOptions { TrustedCertificateAuthorities = other } }));
        Assert.Contains("is not trusted: its chain does not lead to a trusted root", wrongCa.Message, StringComparison.Ordinal);

        // The right CA, but a name the certificate does not have.
        var wrongName = await Assert.ThrowsAsync<FramedUnavailableException>(() => FramedClient.ConnectAsync(endPoint, Trusting("echohost.example")));
        Assert.Contains("is not trusted: it is not for 'echohost.example'", wrongName.Message, StringComparison.Ordinal);

        // A callback of the application's own has the last word, and its refusal is said as such.
        var refused = await Assert.ThrowsAsync<FramedUnavailableException>(() => FramedClient.ConnectAsync(endPoint, new FramedClientOptions
        {
            Tls = new FramedTlsOptions { RemoteCertificateValidation = (_, certificate, _, _) => certificate?.Subject == "CN=someone else" },
        }));
        Assert.Contains("the validation callback refused it", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Tls_client_on_a_plain_endpoint_fails_without_hanging(string transport)
    {
        await using var plain = EchoHostProcess.StartOnLoopback(ServiceBuilds.Jit, transport);
        var endPoint = await plain.EndPointAsync("framed");
        var options = Trusting();
        options.ConnectTimeout = TimeSpan.FromSeconds(30);

        var failure = await Assert.ThrowsAsync<FramedUnavailableException>(() => FramedClient.ConnectAsync(endPoint, options));
        Assert.StartsWith($"The TLS handshake with {endPoint} failed", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_never_answers_the_handshake_fails_within_ConnectTimeout()
    {
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var endPoint = (IPEndPoint)silent.LocalEndpoint;
        var options = Trusting();
        options.ConnectTimeout = TimeSpan.FromSeconds(1);

        // The kernel completes the TCP connection (the listener's backlog); nothing ever answers the ClientHello.
        var failure = await Assert.ThrowsAsync<FramedUnavailableException>(() => FramedClient.ConnectAsync(endPoint, options));
        Assert.Equal($"The TLS handshake with {endPoint} did not complete within 00:00:01.", failure.Message);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_client_certificate_for_a_server_that_requires_one(string transport)
    {
        var certificates = TestCertificates.Shared;
        await using var server = EchoHostProcess.StartOnLoopback(
            ServiceBuilds.Jit,
            transport,
            "--EchoHost:Endpoints:framed:Url=tls://127.0.0.1:0",
            $"--EchoHost:Endpoints:framed:Tls:CertificatePath={certificates.ServerPfx}",
            $"--EchoHost:Endpoints:framed:Tls:Password={TestCertificates.Password}",
            "--EchoHost:Endpoints:framed:Tls:ClientCertificateMode=RequireCertificate",
            $"--EchoHost:Endpoints:framed:Tls:ClientCertificateAuthorityPath={certificates.CaPem}");
        var endPoint = await server.EndPointAsync("framed");

        var options = Trusting();
        using var certificate = X509Certificate2.CreateFromPemFile(certificates.Client.Certificate, certificates.Client.Key);
        options.Tls!.ClientCertificate = certificate;
        await using (var client = await FramedClient.ConnectAsync(endPoint, options))
        {
            var response = await client.SendAsync(MessageTypes.Echo, "with a certificate"u8.ToArray());
            Assert.Equal("with a certificate", Encoding.UTF8.GetString(response.Data.Span));
        }

        // Without one, TLS 1.3 lets the client finish its handshake before the server refuses: the request fails.
        await using var anonymous = new FramedClient(endPoint, Trusting());
        // Refused during the handshake (not sent) or right after it (the request lost): either way a connection failure.
        await ClientAssert.ConnectionFailureAsync(() => anonymous.SendAsync(MessageTypes.Echo, "without"u8.ToArray()));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Cli_with_tls_and_ca_or_insecure(string transport)
    {
        var port = servers.EndPoints[transport].Port.ToString(CultureInfo.InvariantCulture);

        var (exit, output, error) = await CliProcess.RunAsync("send", "--type", "echo", "--data", "hi", "--host", "localhost", "--port", port, "--ca", TestCertificates.Shared.CaPem);
        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Equal("hi", output.TrimEnd('\r', '\n'));

        (exit, output, error) = await CliProcess.RunAsync("stats", "--host", "127.0.0.1", "--port", port, "--insecure");
        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Contains("\"activeConnections\"", output, StringComparison.Ordinal);
        Assert.Contains("warning: --insecure: the server's certificate is not checked", error, StringComparison.Ordinal);

        (exit, _, error) = await CliProcess.RunAsync("ping", "--count", "1", "--host", "127.0.0.1", "--port", port, "--tls");
        Assert.Equal(3, exit);
        Assert.Contains("is not trusted", error, StringComparison.Ordinal);
    }
}
