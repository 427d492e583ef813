using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EchoHost.EndToEnd.Tests.Support;
using EchoHost.Protocol;

namespace EchoHost.EndToEnd.Tests;

/// <summary>
/// systemd's socket activation, played by systemd's own <c>systemd-socket-activate</c>: it binds the sockets, waits for
/// the first client, then execs the service with <c>LISTEN_FDS</c>, <c>LISTEN_PID</c> and <c>LISTEN_FDNAMES</c>, as
/// a .socket unit would. The client that woke it is served by the service through the socket it inherited.
/// </summary>
public class SystemdSocketActivationTests
{
    public static TheoryData<string, string> Transports => Support.Transports.All;

    /// <summary>A loopback port that was free a moment ago, for systemd-socket-activate to bind.</summary>
    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>
    /// Starts the service behind systemd-socket-activate with one socket per entry of <paramref name="sockets"/>
    /// (<c>-l</c>, plus <paramref name="options"/> such as <c>--datagram</c>), named by <c>--fdname</c>; returns once
    /// they listen (the service itself starts on the first client).
    /// </summary>
    private static async Task<EchoHostProcess> ActivateAsync(string build, string transport, (string Name, int Port)[] sockets, string[] options, params string[] args)
    {
        string[] launcher =
        [
            "systemd-socket-activate",
            .. options,
            .. sockets.SelectMany(s => new[] { "-l", $"127.0.0.1:{s.Port}" }),
            $"--fdname={string.Join(':', sockets.Select(s => s.Name))}",
        ];
        var process = EchoHostProcess.Start(build, EchoHostProcess.LoopbackArguments(transport, args), launcher: launcher);
        foreach (var (_, port) in sockets)
        {
            await process.WaitForLineAsync($"Listening on 127.0.0.1:{port} as ");
        }

        return process;
    }

    /// <summary>The service's own last word on standard error, after what systemd-socket-activate printed there.</summary>
    private static string LastLine(string text) => text.Trim().Split('\n')[^1];

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Sockets_passed_by_name_serve_the_echo_and_framed_endpoints(string build, string transport)
    {
        var echoPort = FreePort();
        var framedPort = FreePort();
        // The echo endpoint's Url (localhost, which the log would name) is replaced by the socket.
        await using var process = await ActivateAsync(
            build, transport, [("echo", echoPort), ("framed", framedPort)], [], "--EchoHost:Endpoints:echo:Url=tcp://localhost:1512");

        // The first client wakes the service; its connection waits in the inherited socket's queue meanwhile.
        var echo = new IPEndPoint(IPAddress.Loopback, echoPort);
        Assert.Equal("woken"u8.ToArray(), await Loopback.EchoAsync(echo, "woken"u8.ToArray()));

        using (var framed = await Loopback.ConnectAsync(new IPEndPoint(IPAddress.Loopback, framedPort)))
        {
            await Loopback.SendAllAsync(framed, FramedTests.Request(7, MessageTypes.Echo, Encoding.UTF8.GetBytes("through systemd")));
            var (kind, payload) = await FramedTests.ReadFrameAsync(framed);
            Assert.Equal(FrameKind.Response, kind);
            Assert.True(Message.TryParse(new ReadOnlySequence<byte>(payload), out var response));
            Assert.Equal(7UL, response.Id);
            Assert.Equal("through systemd", Encoding.UTF8.GetString(response.Data.ToArray()));
        }

        // The log gives the inherited sockets' real addresses; the endpoint without one bound its own Url.
        var addresses = await process.WaitForEndpointsAsync("echo", "framed", "http");
        Assert.Equal($"tcp://127.0.0.1:{echoPort}", addresses["echo"]);
        Assert.Equal($"tcp://127.0.0.1:{framedPort}", addresses["framed"]);
        Assert.Matches(@"^http://127\.0\.0\.1:\d+$", addresses["http"]);

        // The service holds them close-on-exec (O_CLOEXEC, 02000000 in /proc's octal flags).
        foreach (var descriptor in new[] { 3, 4 })
        {
            var flags = File.ReadLines($"/proc/{process.Id}/fdinfo/{descriptor}").Single(l => l.StartsWith("flags:", StringComparison.Ordinal));
            Assert.NotEqual(0, Convert.ToInt32(flags["flags:".Length..].Trim(), 8) & 0x80000);
        }

        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync());
    }

    /// <summary>
    /// Plays systemd's part past what systemd-socket-activate does: it keeps its own copy of the listening socket while
    /// the service runs and after it exits, as systemd keeps a .socket unit's socket for the next start. SIGTERM is
    /// passed on; the service's exit is reported, then the launcher waits to be killed.
    /// </summary>
    private const string HoldingLauncher = """
        import os, signal, socket, subprocess, sys, time
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        os.dup2(listener.fileno(), 3)
        print(f"Holding 127.0.0.1:{listener.getsockname()[1]}", flush=True)
        env = dict(os.environ, LISTEN_FDS="1", LISTEN_FDNAMES="echo")
        child = subprocess.Popen(["sh", "-c", 'export LISTEN_PID=$$; exec "$@"', "sh", *sys.argv[1:]], pass_fds=[3], env=env)
        signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM))
        print(f"Service exited with {child.wait()}", flush=True)
        time.sleep(600)
        """;

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task The_socket_systemd_holds_still_listens_after_the_service_stops(string build, string transport)
    {
        await using var process = EchoHostProcess.Start(build, EchoHostProcess.LoopbackArguments(transport), launcher: ["python3", "-c", HoldingLauncher]);
        var echo = await process.EndPointAsync("echo");
        Assert.Equal("once"u8.ToArray(), await Loopback.EchoAsync(echo, "once"u8.ToArray()));

        process.Terminate();
        await process.WaitForLineAsync("Service exited with 0");

        // Closing its descriptor must not have shut the shared socket down: the next client is queued for the next start.
        using var next = await Loopback.ConnectAsync(echo);
        Assert.True(next.Connected);
    }

    [Theory]
    [ForEachBuild]
    public async Task An_inherited_socket_keeps_the_protocol_of_its_endpoint(string build)
    {
        // Named http, the socket speaks HTTP, whatever the Url it stands in for.
        var port = FreePort();
        await using var process = await ActivateAsync(build, "Native", [("http", port)], []);
        using var client = new HttpClient { Timeout = Loopback.Timeout };
        Assert.Equal("Healthy", await client.GetStringAsync(new Uri($"http://127.0.0.1:{port}/healthz")));
        Assert.Equal($"http://127.0.0.1:{port}", (await process.WaitForEndpointsAsync("http"))["http"]);
        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync());
    }

    [Theory]
    [ForEachBuild("Native", "gopher", false, "The socket 'gopher' from systemd (fd 3) matches no endpoint; name it after one of echo, framed, http (FileDescriptorName= in the .socket unit) or configure an endpoint of that name")]
    [ForEachBuild("Sockets", "gopher", false, "The socket 'gopher' from systemd (fd 3) matches no endpoint; name it after one of echo, framed, http (FileDescriptorName= in the .socket unit) or configure an endpoint of that name")]
    [ForEachBuild("Native", "echo", true, "The socket 'echo' from systemd (fd 3) is not a listening stream socket; endpoints take ListenStream= sockets (SockType stream under launchd)")]
    public async Task A_socket_the_service_cannot_serve_stops_start_up_with_2(string build, string transport, string name, bool datagram, string expected)
    {
        var port = FreePort();
        await using var process = await ActivateAsync(build, transport, [(name, port)], datagram ? ["--datagram"] : []);
        using (var client = datagram ? new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) : new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            // The first datagram or connection wakes the service.
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            await client.SendAsync("wake"u8.ToArray());
            Assert.Equal(2, await process.WaitForExitAsync());
        }

        Assert.Equal($"EchoHost cannot start: {expected}", LastLine(process.StandardError));
    }

    [Theory]
    [ForEachBuild]
    public async Task Malformed_listen_fds_for_this_process_stops_start_up_with_2(string build)
    {
        // A shell sets the variables for its own pid, then becomes the service.
        const string Script = "export LISTEN_PID=$$ LISTEN_FDS=two; exec \"$@\"";
        await using var process = EchoHostProcess.Start(build, EchoHostProcess.LoopbackArguments("Sockets"), launcher: ["sh", "-c", Script, "sh"]);
        Assert.Equal(2, await process.WaitForExitAsync());
        Assert.Equal("EchoHost cannot start: LISTEN_FDS is 'two', not a number of descriptors (systemd socket activation)", process.StandardError.Trim());
    }

    [Theory]
    [ForEachBuild]
    public async Task Listen_fds_meant_for_another_process_are_ignored(string build)
    {
        // What a service's child would inherit: variables for its parent (pid 1 here, which the service never is).
        await using var process = EchoHostProcess.Start(build,
            EchoHostProcess.LoopbackArguments("Native"),
            new Dictionary<string, string> { ["LISTEN_PID"] = "1", ["LISTEN_FDS"] = "1", ["LISTEN_FDNAMES"] = "gopher" });
        var echo = await process.EndPointAsync("echo");
        Assert.Equal("x"u8.ToArray(), await Loopback.EchoAsync(echo, "x"u8.ToArray()));
        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync());
    }
}
