using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using EchoHost.Client.Tests.Support;

namespace EchoHost.Client.Tests;

/// <summary>The <c>echohost-client</c> command against the real server.</summary>
[Collection(RealServerGroup.Name)]
public partial class CliTests(ServerFixture server)
{
    private string Port => server.EndPoint.Port.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Send_prints_the_response_data()
    {
        var (exit, output, error) = await CliProcess.RunAsync("send", "--type", "16", "--data", "hello", "--meta", "k=v", "--host", "127.0.0.1", "--port", Port);

        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Equal("hello", output.TrimEnd('\r', '\n'));
        Assert.Contains("k=v", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_over_a_unix_socket()
    {
        var (exit, output, error) = await CliProcess.RunAsync("send", "--type", "uppercase", "--data", "abc", "--unix", server.UnixSocketPath);

        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Equal("ABC", output.TrimEnd('\r', '\n'));
    }

    [Fact]
    public async Task Ping_prints_each_round_trip_and_a_summary()
    {
        var (exit, output, error) = await CliProcess.RunAsync("ping", "--count", "3", "--interval", "0", "--size", "32", "--host", "127.0.0.1", "--port", Port);

        Assert.True(exit == 0, $"exit {exit}: {error}");
        for (var seq = 1; seq <= 3; seq++)
        {
            Assert.Matches($@"32 bytes from 127\.0\.0\.1: seq={seq} time=\d+\.\d{{3}} ms", output);
        }

        Assert.Contains("3 sent, 3 received, 0% loss", output, StringComparison.Ordinal);
        Assert.Matches(SummaryLine(), output);
    }

    [Fact]
    public async Task Stats_prints_json()
    {
        var (exit, output, error) = await CliProcess.RunAsync("stats", "--host", "127.0.0.1", "--port", Port);

        Assert.True(exit == 0, $"exit {exit}: {error}");
        using var json = JsonDocument.Parse(output);
        Assert.True(json.RootElement.TryGetProperty("uptimeSeconds", out _), output);
    }

    [Fact]
    public async Task Stats_with_client_prints_the_servers_and_the_clients_statistics()
    {
        var (exit, output, error) = await CliProcess.RunAsync("stats", "--client", "--host", "127.0.0.1", "--port", Port);

        Assert.True(exit == 0, $"exit {exit}: {error}");
        using var json = JsonDocument.Parse(output);
        Assert.True(json.RootElement.GetProperty("server").TryGetProperty("uptimeSeconds", out _), output);
        var client = json.RootElement.GetProperty("client");
        Assert.Equal(1, client.GetProperty("requestsSent").GetInt64());
        Assert.Equal(1, client.GetProperty("requestsSucceeded").GetInt64());
        Assert.Equal(1, client.GetProperty("connectionsOpened").GetInt64());
        Assert.Equal(0, client.GetProperty("errorRate").GetDouble());
        Assert.Equal("Closed", client.GetProperty("circuitState").GetString());
        // The request's header and the answer's header and JSON.
        Assert.True(client.GetProperty("bytesSent").GetInt64() > 0, output);
        Assert.True(client.GetProperty("bytesReceived").GetInt64() > client.GetProperty("bytesSent").GetInt64(), output);
    }

    [Fact]
    public async Task A_server_error_prints_its_code_and_exits_1()
    {
        var (exit, _, error) = await CliProcess.RunAsync("send", "--type", "0xF5", "--data", "x", "--host", "127.0.0.1", "--port", Port);

        Assert.Equal(1, exit);
        Assert.Contains("unknown_type", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_command_line_exits_2_with_usage()
    {
        var (exit, _, error) = await CliProcess.RunAsync("send", "--bogus", "1");

        Assert.Equal(2, exit);
        Assert.Contains("Usage:", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_server_may_be_given_as_host_colon_port_as_an_argument_or_to_host()
    {
        var (exit, output, error) = await CliProcess.RunAsync("send", $"127.0.0.1:{Port}", "--type", "reverse", "--data", "abc");
        var (hostExit, hostOutput, hostError) = await CliProcess.RunAsync("send", "--host", $"127.0.0.1:{Port}", "--type", "echo", "--data", "xyz");

        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Equal("cba", output.TrimEnd('\r', '\n'));
        Assert.True(hostExit == 0, $"exit {hostExit}: {hostError}");
        Assert.Equal("xyz", hostOutput.TrimEnd('\r', '\n'));
    }

    [Theory]
    [InlineData("send")]
    [InlineData("ping")]
    [InlineData("stats")]
    [InlineData(null)]
    public async Task Help_is_on_every_command_and_exits_0(string? command)
    {
        var (exit, output, _) = await CliProcess.RunAsync(command is null ? ["--help"] : [command, "--help"]);

        Assert.Equal(0, exit);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.Contains(command is null ? "send" : "--timeout", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wrong port", "ping", "127.0.0.1:1513", "--port", "1514")]
    [InlineData("no such port", "ping", "127.0.0.1:70000")]
    [InlineData("unix and host", "stats", "--unix", "/tmp/x", "--host", "localhost")]
    [InlineData("ca and insecure", "stats", "--ca", "/etc/hostname", "--insecure")]
    [InlineData("bad type", "send", "--type", "0x1FF")]
    [InlineData("bad metadata", "send", "--type", "echo", "--meta", "novalue")]
    [InlineData("no command")]
    [InlineData("unknown command", "sned")]
    [InlineData("count below 1", "ping", "--count", "0")]
    public async Task A_wrong_command_line_exits_2_before_connecting(string why, params string[] args)
    {
        var (exit, output, error) = await CliProcess.RunAsync(args);

        Assert.True(exit == 2, $"{why}: exit {exit}: {error}");
        Assert.Equal("", output);
        Assert.Contains("Usage:", error, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"rtt min/avg/max = \d+\.\d{3}/\d+\.\d{3}/\d+\.\d{3} ms")]
    private static partial Regex SummaryLine();
}
