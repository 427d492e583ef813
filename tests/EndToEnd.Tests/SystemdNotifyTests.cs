using System.Net.Sockets;
using System.Text;
using EchoHost.EndToEnd.Tests.Support;

namespace EchoHost.EndToEnd.Tests;

/// <summary>
/// sd_notify as systemd hears it: the test binds the datagram socket that <c>NOTIFY_SOCKET</c> names (a path, or an
/// abstract name written <c>@name</c>) and reads what the service sends there.
/// </summary>
public sealed class SystemdNotifyTests
{
    /// <summary>A bound notification socket and the value of NOTIFY_SOCKET that names it.</summary>
    private sealed class NotifyListener : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        private readonly string? _path;

        public NotifyListener(bool abstractName)
        {
            var name = $"echohost-notify-{Guid.NewGuid():N}";
            if (abstractName)
            {
                _socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
                Value = "@" + name;
            }
            else
            {
                _path = Path.Combine(Path.GetTempPath(), name);
                _socket.Bind(new UnixDomainSocketEndPoint(_path));
                Value = _path;
            }
        }

        public string Value { get; }

        /// <summary>The next notification, as its lines.</summary>
        public async Task<string[]> ReceiveAsync()
        {
            var buffer = new byte[4096];
            using var timeout = new CancellationTokenSource(EchoHostProcess.StartTimeout);
            var length = await _socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return Encoding.UTF8.GetString(buffer, 0, length).Split('\n');
        }

        /// <summary>Reads notifications until one has <paramref name="line"/>; returns every line read on the way, that one's included.</summary>
        public async Task<List<string>> ReceiveUntilAsync(string line)
        {
            var seen = new List<string>();
            for (var i = 0; i < 10_000; i++)
            {
                var lines = await ReceiveAsync();
                seen.AddRange(lines);
                if (lines.Contains(line))
                {
                    return seen;
                }
            }

            throw new InvalidOperationException($"No {line} among {seen.Count} lines: {string.Join(" | ", seen.Distinct())}");
        }

        public void Dispose()
        {
            _socket.Dispose();
            if (_path is not null)
            {
                File.Delete(_path);
            }
        }
    }

    [Theory]
    [ForEachBuild(false)]
    [ForEachBuild(true)]
    public async Task Ready_then_watchdog_pings_then_stopping_on_sigterm(string build, bool abstractName)
    {
        using var systemd = new NotifyListener(abstractName);
        await using var process = EchoHostProcess.Start(build,
            EchoHostProcess.LoopbackArguments("Native"),
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = systemd.Value, ["WATCHDOG_USEC"] = "200000" });

        var ready = await systemd.ReceiveAsync();
        Assert.Equal(["READY=1", "STATUS=Serving 3 endpoints (echo, framed, http)"], ready);

        // Ready means listening: every endpoint is there to be used.
        var echo = await process.EndPointAsync("echo");
        Assert.Equal("ok"u8.ToArray(), await Loopback.EchoAsync(echo, "ok"u8.ToArray()));
        Assert.Contains("WATCHDOG=1", await systemd.ReceiveUntilAsync("WATCHDOG=1"));

        process.Terminate();
        var untilStopping = await systemd.ReceiveUntilAsync("STOPPING=1");
        Assert.All(untilStopping.Where(l => l != "STOPPING=1" && !l.StartsWith("STATUS=", StringComparison.Ordinal)), l => Assert.Equal("WATCHDOG=1", l));
        Assert.Contains("STATUS=Stopping: draining connections", untilStopping);
        Assert.Equal(0, await process.WaitForExitAsync());
        Assert.Contains("systemd watchdog: pinging every 100 ms", process.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [ForEachBuild]
    public async Task Without_a_watchdog_the_service_says_ready_then_stopping_and_nothing_else(string build)
    {
        using var systemd = new NotifyListener(abstractName: false);
        await using var process = EchoHostProcess.Start(build,
            EchoHostProcess.LoopbackArguments("Sockets"),
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = systemd.Value });

        Assert.Equal("READY=1", (await systemd.ReceiveAsync())[0]);
        await process.EndPointAsync("echo");
        process.Terminate();
        Assert.Equal(["STOPPING=1", "STATUS=Stopping: draining connections"], await systemd.ReceiveAsync());
        Assert.Equal(0, await process.WaitForExitAsync());
    }

    [Theory]
    [ForEachBuild]
    public async Task A_notify_socket_nobody_listens_on_is_logged_once_and_the_service_runs_on(string build)
    {
        var missing = Path.Combine(Path.GetTempPath(), $"echohost-notify-{Guid.NewGuid():N}");
        await using var process = EchoHostProcess.Start(build,
            EchoHostProcess.LoopbackArguments("Native"),
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = missing, ["WATCHDOG_USEC"] = "20000" });

        var echo = await process.EndPointAsync("echo");
        await process.WaitForLineAsync("Could not notify systemd");
        Assert.Equal("still"u8.ToArray(), await Loopback.EchoAsync(echo, "still"u8.ToArray()));

        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync());
        var warnings = process.StandardOutput.Split('\n').Where(l => l.Contains("Could not notify systemd", StringComparison.Ordinal)).ToList();
        Assert.Single(warnings);
        Assert.Contains($"WRN EchoHost.ServiceManagers.Systemd.SystemdNotifier: Could not notify systemd through {missing}: ", warnings[0], StringComparison.Ordinal);
    }
}
