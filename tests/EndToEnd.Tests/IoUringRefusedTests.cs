using EchoHost.EndToEnd.Tests.Support;

namespace EchoHost.EndToEnd.Tests;

/// <summary>
/// The service under a real seccomp filter that refuses io_uring with EPERM (<see cref="IoUringRefusal"/>), as a
/// container runtime's or a hardened unit's policy may: io_uring asked for by name is a one-line start-up error with exit
/// code 2; <c>Auto</c> runs epoll and its log says why. Never a crash, never a silent fallback. The reason is the one
/// a kernel with io_uring on (<c>kernel.io_uring_disabled = 0</c>, the default) leads to, where only the filter refuses.
/// </summary>
public class IoUringRefusedTests
{
    private const string Reason = "io_uring_setup is not permitted (Operation not permitted): a seccomp filter or policy blocks it";

    [Theory]
    [ForEachBuild]
    public async Task IoUring_asked_by_name_stops_start_up_in_one_line_with_2(string build)
    {
        await using var process = EchoHostProcess.Start(build,
            EchoHostProcess.LoopbackArguments("Native", "--EchoHost:Native:Engine=IoUring"), launcher: IoUringRefusal.Launcher);

        var exitCode = await process.WaitForExitAsync();

        Assert.True(exitCode == 2, $"exit code {exitCode}, not 2. Output:{Environment.NewLine}{process.Output}");
        var line = Assert.Single(process.StandardError.Trim().Split('\n'));
        Assert.Equal(
            $"EchoHost cannot start: EchoHost:Native:Engine is IoUring: The native transport's IoUring engine cannot run here: {Reason}.",
            line);
        Assert.Equal("", process.StandardOutput.Trim());
    }

    [Theory]
    [ForEachBuild]
    public async Task Auto_runs_epoll_says_why_and_echoes(string build)
    {
        await using var process = EchoHostProcess.Start(build,
            EchoHostProcess.LoopbackArguments("Native", "--EchoHost:Native:Engine=Auto"), launcher: IoUringRefusal.Launcher);
        var echo = await process.EndPointAsync("echo");

        var payload = Loopback.Payload(256 * 1024, 5);
        Assert.Equal(payload, await Loopback.EchoAsync(echo, payload));

        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync());
        var output = process.StandardOutput;
        Assert.Contains("Using the Native transport with the epoll engine (EchoHost:Transport is Native)", output, StringComparison.Ordinal);
        var warning = Assert.Single(output.Split('\n'), line => line.Contains("Native transport:", StringComparison.Ordinal));
        Assert.EndsWith($" WRN EchoHost.Transport.Native: Native transport: io_uring cannot run: {Reason}; running epoll instead.", warning.TrimEnd());
        Assert.DoesNotMatch(@"(?m) (ERR|FTL) ", output);
        Assert.Equal("", process.StandardError.Trim());
    }
}
