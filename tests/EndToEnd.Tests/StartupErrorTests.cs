using System.Net;
using System.Net.Sockets;
using EchoHost.EndToEnd.Tests.Support;

namespace EchoHost.EndToEnd.Tests;

/// <summary>What an operator sees when EchoHost cannot start: one line naming the endpoint, and an exit code.</summary>
public class StartupErrorTests
{
    public static TheoryData<string, string> Transports => Support.Transports.All;

    private static async Task<(int ExitCode, string Error, string Output)> RunToExitAsync(EchoHostProcess process)
    {
        await using (process)
        {
            var exitCode = await process.WaitForExitAsync();
            return (exitCode, process.StandardError, process.StandardOutput);
        }
    }

    private static void AssertNoStackTrace(string text) =>
        Assert.DoesNotMatch(@"(?m)^\s+at \S+\(", text);

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Port_in_use_names_the_endpoint_and_exits_with_3(string build, string transport)
    {
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        var port = ((IPEndPoint)occupier.LocalEndpoint).Port;

        var (exitCode, error, output) = await RunToExitAsync(
            EchoHostProcess.StartOnLoopback(build, transport, $"--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:{port}"));

        Assert.Equal(3, exitCode);
        Assert.Equal($"EchoHost cannot start: Endpoint 'echo' (tcp://127.0.0.1:{port}): address already in use", error.Trim());
        AssertNoStackTrace(output);
        Assert.DoesNotContain("fail:", output, StringComparison.Ordinal);
    }

    [Theory]
    [ForEachBuild("--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1", "Endpoint 'echo' (tcp://127.0.0.1): the URL has no port; write HOST:PORT (port 0 picks a free port)")]
    [ForEachBuild("--EchoHost:Endpoints:echo:Url=tcp://[::1:0", "Endpoint 'echo' (tcp://[::1:0): the IPv6 address has no closing ']'")]
    [ForEachBuild("--EchoHost:Endpoints:echo:Url=ftp://127.0.0.1:0", "Endpoint 'echo' (ftp://127.0.0.1:0): not a valid URL; expected tcp://HOST:PORT, tls://HOST:PORT, http://HOST:PORT, https://HOST:PORT or unix:/path")]
    [ForEachBuild("--EchoHost:Endpoints:echo:Protocol=chargen", "Endpoint 'echo' (tcp://127.0.0.1:0): unknown protocol 'chargen'; expected echo, framed or http")]
    [ForEachBuild("--EchoHost:Endpoints:extra:Protocol=echo", "Endpoint 'extra': no Url; set EchoHost:Endpoints:extra:Url to tcp://HOST:PORT, tls://HOST:PORT, http://HOST:PORT, https://HOST:PORT or unix:/path")]
    [ForEachBuild("--EchoHost:Framed:MaxFrameBytes=10", "EchoHost:Framed:MaxFrameBytes is 10; it must be from 15 to 1073741824")]
    [ForEachBuild("--EchoHost:Framed:HandlerTimeout=00:00:00", "EchoHost:Framed:HandlerTimeout is 00:00:00; it must be more than 00:00:00 and less than 24 days")]
    [ForEachBuild("--EchoHost:Transport=Fastest", "EchoHost:Transport is 'Fastest'; expected Native, Sockets or Auto")]
    [ForEachBuild("--EchoHost:Endpoints:framed:ProxyProtocol=true", "Endpoint 'framed' (tcp://127.0.0.1:0): EchoHost:Endpoints:framed:ProxyProtocol is true but no proxy is trusted; set EchoHost:Endpoints:framed:TrustedProxies:0 to the proxy's address or range, e.g. 10.0.0.0/8")]
    public async Task Invalid_configuration_says_what_is_wrong_and_exits_with_2(string build, string arg, string expected)
    {
        var (exitCode, error, output) = await RunToExitAsync(EchoHostProcess.StartOnLoopback(build, "Sockets", arg));

        Assert.Equal(2, exitCode);
        Assert.Equal($"EchoHost cannot start: {expected}", error.Trim());
        Assert.Equal("", output.Trim());
    }

    [Theory]
    [ForEachBuild]
    public async Task An_unknown_engine_says_which_there_are_and_exits_with_2(string build)
    {
        var (exitCode, error, output) = await RunToExitAsync(EchoHostProcess.StartOnLoopback(build, "Native", "--EchoHost:Native:Engine=Fastest"));

        Assert.Equal(2, exitCode);
        Assert.Equal("EchoHost cannot start: EchoHost:Native:Engine is 'Fastest'; expected Auto, Epoll, IoUring, Kqueue, Iocp", error.Trim());
        Assert.Equal("", output.Trim());
    }

    [Theory]
    [ForEachBuild("Kqueue", "it runs on macOS and FreeBSD only")]
    [ForEachBuild("Iocp", "it runs on Windows only")]
    public async Task An_engine_this_system_cannot_run_stops_start_up_in_one_line_with_2(string build, string engine, string reason)
    {
        var (exitCode, error, output) = await RunToExitAsync(EchoHostProcess.StartOnLoopback(build, "Native", $"--EchoHost:Native:Engine={engine}"));

        Assert.Equal(2, exitCode);
        var line = Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith($"EchoHost cannot start: EchoHost:Native:Engine is {engine}: The native transport's {engine} engine cannot run here: {reason}, not ", line);
        Assert.Equal("", output.Trim());
    }
}
