using System.Net;
using System.Net.Sockets;
using EchoHost.EndToEnd.Tests.Support;
using EchoHost.Tests.Support;

namespace EchoHost.EndToEnd.Tests;

/// <summary>EchoHost:Limits in the built service: a limit set wrong stops start-up, a limit reached shows in /metrics.</summary>
public class LimitsTests
{
    public static TheoryData<string, string> Transports => Support.Transports.All;

    [Theory]
    [ForEachBuild]
    public async Task A_limit_set_wrong_stops_start_up_with_exit_code_2_and_names_the_key(string build)
    {
        await using var process = EchoHostProcess.StartOnLoopback(build, "Sockets", "--EchoHost:Endpoints:framed:Limits:IdleTimeout=-00:00:05");

        Assert.Equal(2, await process.WaitForExitAsync());
        Assert.Equal(
            "EchoHost cannot start: EchoHost:Endpoints:framed:Limits:IdleTimeout is -00:00:05; it must be 00:00:00 (off) or a positive time below 24 days",
            process.StandardError.Trim());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task An_address_past_its_limit_is_refused_another_is_served_and_metrics_say_why(string build, string transport)
    {
        await using var process = EchoHostProcess.StartOnLoopback(build, transport, "--EchoHost:Endpoints:echo:Limits:MaxConnectionsPerAddress=1");
        var echo = await process.EndPointAsync("echo");
        var first = new IPAddress([127, 0, 0, 2]);

        using var held = await Loopback.ConnectAsync(echo, first);
        await Loopback.SendAllAsync(held, "a"u8.ToArray());
        var buffer = new byte[1];
        await Loopback.ReadExactlyAsync(held, buffer);
        using (var refused = await Loopback.ConnectAsync(echo, first))
        {
            Assert.True(await Loopback.WaitForCloseAsync(refused));
        }

        var payload = Loopback.Payload(10_000);
        using (var other = await Loopback.ConnectAsync(echo, new IPAddress([127, 0, 0, 3])))
        {
            await Loopback.SendAllAsync(other, payload);
            other.Shutdown(SocketShutdown.Send);
            Assert.Equal(payload, await Loopback.ReadToEndAsync(other));
        }

        var http = (await process.WaitForEndpointsAsync("http"))["http"];
        using var client = new HttpClient { Timeout = Loopback.Timeout };
        var text = await client.GetStringAsync(new Uri(http + "/metrics"));
        var line = Assert.Single(text.Split('\n'), l => l.StartsWith("echohost_connections_rejected_total{", StringComparison.Ordinal));
        Assert.Contains("endpoint=\"echo\"", line, StringComparison.Ordinal);
        Assert.Contains("reason=\"address_max_connections\"", line, StringComparison.Ordinal);
        Assert.EndsWith(" 1", line, StringComparison.Ordinal);
        var (exitCode, output) = await PrometheusTools.CheckMetricsAsync(text);
        Assert.True(exitCode == 0 && output.Length == 0, $"promtool exited with {exitCode}:\n{output}\non:\n{text}");
    }
}
