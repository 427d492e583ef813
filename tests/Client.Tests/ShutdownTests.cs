using System.Text;
using EchoHost.Protocol;

namespace EchoHost.Client.Tests;

/// <summary>The client while the real server shuts down gracefully (SIGTERM: GoAway, answer what was read, close).</summary>
public class ShutdownTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("tcp")]
    [InlineData("tls")] // after the GoAway the client ends its side with close_notify
    public async Task Requests_during_a_graceful_shutdown_are_answered_or_fail_with_FramedConnectionException_never_hang(string scheme)
    {
        var certificates = TestCertificates.Shared;
        string[] tls = scheme == "tls"
            ? [$"--EchoHost:Endpoints:framed:Tls:CertificatePath={certificates.ServerPfx}", $"--EchoHost:Endpoints:framed:Tls:Password={TestCertificates.Password}"]
            : [];
        await using var process = EchoHostProcess.StartOnLoopback(ServiceBuilds.Jit, "Auto", [$"--EchoHost:Endpoints:framed:Url={scheme}://127.0.0.1:0", .. tls]);
        var endPoint = await process.EndPointAsync("framed");
        var options = new FramedClientOptions { PoolSize = 2 };
        if (scheme == "tls")
        {
            options.Tls = new FramedTlsOptions { TrustedCertificateAuthorities = certificates.Authorities() };
        }

        await using var client = await FramedClient.ConnectAsync(endPoint, options);
        var before = await client.SendAsync(MessageTypes.Echo, "before"u8.ToArray());
        Assert.Equal("before", Encoding.UTF8.GetString(before.Data.Span));

        process.Terminate();

        // Keep sending until the server is gone: each request is answered correctly or fails as a lost connection.
        var deadline = DateTime.UtcNow + Hang;
        var failed = false;
        for (var i = 0; !failed; i++)
        {
            Assert.True(DateTime.UtcNow < deadline, "the server still answered a minute after SIGTERM");
            var batch = Enumerable.Range(0, 20).Select(j => client.SendAsync(MessageTypes.Echo, BitConverter.GetBytes((i * 20) + j))).ToArray();
            for (var j = 0; j < batch.Length; j++)
            {
                try
                {
                    var response = await batch[j].WaitAsync(Hang);
                    Assert.Equal((i * 20) + j, BitConverter.ToInt32(response.Data.Span));
                }
                catch (FramedConnectionException)
                {
                    failed = true;
                }
            }
        }

        Assert.Equal(0, await process.WaitForExitAsync());
    }
}
