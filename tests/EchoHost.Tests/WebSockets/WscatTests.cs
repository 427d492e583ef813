using System.Diagnostics;
using EchoHost.Tests.Support;
using static EchoHost.Tests.WebSockets.WebSocketClient;

namespace EchoHost.Tests.WebSockets;

/// <summary>
/// <c>wscat</c>, the command-line WebSocket client that users test echo servers with (from npm, installed by test.sh),
/// sends text and gets it back over ws:// and wss://.
/// </summary>
public class WscatTests
{
    public static TheoryData<string> Transports => new() { "Sockets", "Native" };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Wscat_gets_its_text_back_over_ws(string transport)
    {
        await using var server = await StartServerAsync(transport);

        var output = await RunWscatAsync(EchoUri(server), "hello from wscat");

        Assert.Equal(["hello from wscat", "second line"], output);
        await WaitForOpenAsync(server, 0);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Wscat_gets_its_text_back_over_wss(string transport)
    {
        var certificates = TestCertificates.Shared;
        await using var server = await StartServerAsync(
            transport,
            "--EchoHost:Endpoints:http:Url=https://127.0.0.1:0",
            $"--EchoHost:Endpoints:http:Tls:CertificatePath={certificates.ServerAndKeyPem}");

        var output = await RunWscatAsync(EchoUri(server, "wss"), "hello over TLS", "--ca", certificates.CaPem);

        Assert.Equal(["hello over TLS", "second line"], output);
    }

    /// <summary>
    /// Runs <c>wscat -c uri -x text -x "second line"</c>: it sends both once connected, prints each message that comes
    /// back on a line of its own, and closes a second later. Its standard input stays open meanwhile (wscat quits at
    /// the end of its input).
    /// </summary>
    private static async Task<string[]> RunWscatAsync(Uri uri, string text, params string[] more)
    {
        var start = new ProcessStartInfo("wscat")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["--connect", uri.AbsoluteUri, "--execute", text, "--execute", "second line", "--wait", "1", .. more])
        {
            start.ArgumentList.Add(argument);
        }

        using var wscat = Process.Start(start) ?? throw new InvalidOperationException("wscat did not start");
        var output = wscat.StandardOutput.ReadToEndAsync();
        var errors = wscat.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        try
        {
            await wscat.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!wscat.HasExited)
            {
                wscat.Kill(entireProcessTree: true);
            }
        }

        Assert.True(wscat.ExitCode == 0, $"wscat exited with {wscat.ExitCode}: {await errors}");
        return (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
