using System.Buffers;
using System.Text.RegularExpressions;
using EchoHost.EndToEnd.Tests.Support;
using EchoHost.Protocol;

namespace EchoHost.EndToEnd.Tests;

/// <summary>Serilog as the built service configures it: sinks and levels from the Serilog section, the journal, the access log.</summary>
public partial class LoggingTests
{
    /// <summary>
    /// Runs its arguments the way systemd runs a service whose output goes to the journal: standard output is a
    /// stream socket and JOURNAL_STREAM names its device and inode. What arrives on the socket is copied to this
    /// launcher's own output for the test to read; SIGTERM is passed on.
    /// </summary>
    private const string JournalLauncher = """
        import os, signal, socket, subprocess, sys
        ours, theirs = socket.socketpair()
        st = os.fstat(theirs.fileno())
        os.environ["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
        child = subprocess.Popen(sys.argv[1:], stdout=theirs.fileno())
        theirs.close()
        signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM))
        while data := ours.recv(65536):
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        sys.exit(child.wait())
        """;

    [Theory]
    [ForEachBuild]
    public async Task Under_the_journal_every_line_starts_with_its_syslog_priority(string build)
    {
        await using var process = EchoHostProcess.Start(build,
            LoopbackArguments("--Serilog:MinimumLevel:Override:EchoHost.Connections=Debug"),
            launcher: ["python3", "-c", JournalLauncher]);
        var endPoint = await process.EndPointAsync("echo");
        Assert.Equal("hi"u8.ToArray(), await Loopback.EchoAsync(endPoint, "hi"u8.ToArray()));

        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync());
        var lines = process.StandardOutput.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, line => line.StartsWith("<6>", StringComparison.Ordinal) && line.Contains("listening on", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("<7>", StringComparison.Ordinal) && line.Contains("accepted on echo", StringComparison.Ordinal));
        Assert.All(lines, line => Assert.Matches(@"^<[2-7]>", line));
    }

    [Theory]
    [ForEachBuild]
    public async Task A_journal_stream_of_another_file_leaves_lines_unprefixed(string build)
    {
        // What a child of a systemd service inherits when its output was redirected: the variable, not the stream.
        await using var process = EchoHostProcess.Start(build, LoopbackArguments(), new Dictionary<string, string> { ["JOURNAL_STREAM"] = "8:1" });
        await process.EndPointAsync("echo");
        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync());
        Assert.DoesNotContain("<6>", process.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(" INF EchoHost.Hosting.StartupReporter: Endpoint echo (echo) listening on", process.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [ForEachBuild]
    public async Task Connection_events_at_debug_name_the_endpoint_the_remote_address_and_the_bytes(string build)
    {
        await using var process = EchoHostProcess.Start(build, LoopbackArguments("--Serilog:MinimumLevel:Override:EchoHost.Connections=Debug"));
        var endPoint = await process.EndPointAsync("echo");
        Assert.Equal(5, (await Loopback.EchoAsync(endPoint, "12345"u8.ToArray())).Length);

        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync());
        Assert.Matches(@"DBG EchoHost\.Connections: Connection \S+ accepted on echo from 127\.0\.0\.1:\d+", process.StandardOutput);
        Assert.Matches(@"Connection \S+ on echo from 127\.0\.0\.1:\d+ closed: 5 bytes received, 5 bytes sent", process.StandardOutput);
    }

    [Theory]
    [ForEachBuild]
    public async Task The_access_log_writes_a_common_log_format_line_per_message_when_switched_on(string build)
    {
        await using var process = EchoHostProcess.Start(build, LoopbackArguments("--EchoHost:AccessLog=true"));
        var echo = await process.EndPointAsync("echo");
        var framed = await process.EndPointAsync("framed");
        Assert.Equal(7, (await Loopback.EchoAsync(echo, "abcdefg"u8.ToArray())).Length);
        using (var socket = await Loopback.ConnectAsync(framed))
        {
            var request = new ArrayBufferWriter<byte>();
            FrameWriter.WriteMessage(request, FrameKind.Request, 1, MessageTypes.Reverse, "xyz"u8, []);
            await Loopback.SendAllAsync(socket, request.WrittenMemory);
            socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            Assert.NotEmpty(await Loopback.ReadToEndAsync(socket));
        }

        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync());
        Assert.Matches(CommonLogLine("ECHO", 7), process.StandardOutput);

        // A framed request is named by its Type; the bytes are its payload's: Id 8, Type 1, Data length 4, Data 3, metadata count 2.
        Assert.Matches(CommonLogLine("REVERSE", 18), process.StandardOutput);
    }

    [Theory]
    [ForEachBuild]
    public async Task The_access_log_is_off_by_default(string build)
    {
        await using var process = EchoHostProcess.Start(build, LoopbackArguments());
        var echo = await process.EndPointAsync("echo");
        await Loopback.EchoAsync(echo, "abcdefg"u8.ToArray());
        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync());
        Assert.DoesNotContain("\"ECHO\"", process.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [ForEachBuild(true)]
    [ForEachBuild(false)]
    public async Task Request_logging_writes_one_line_per_http_request_to_the_configured_sinks_only_when_switched_on(string build, bool on)
    {
        var file = Path.Combine(Path.GetTempPath(), $"echohost-requests-{Guid.NewGuid():N}.txt");
        await using var process = EchoHostProcess.Start(build, LoopbackArguments(
            ["--Serilog:WriteTo:1:Name=File", $"--Serilog:WriteTo:1:Args:path={file}", $"--EchoHost:RequestLog={on}"]));
        var http = await process.EndPointAsync("http");
        using (var client = new HttpClient { Timeout = Loopback.Timeout })
        {
            for (var i = 0; i < 2; i++)
            {
                Assert.Equal("Healthy", await client.GetStringAsync(new Uri($"http://{http}/healthz")));
            }

            await client.GetAsync(new Uri($"http://{http}/no-such-page"));
        }

        await Loopback.EchoAsync(await process.EndPointAsync("echo"), "abc"u8.ToArray());
        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync());
        var lines = process.StandardOutput.Split('\n').Where(l => l.Contains("Serilog.AspNetCore.RequestLoggingMiddleware", StringComparison.Ordinal)).ToList();
        var written = File.ReadAllText(file);
        File.Delete(file);
        Assert.Equal(on, written.Contains("HTTP GET /healthz responded 200", StringComparison.Ordinal));
        if (on)
        {
            Assert.Equal(3, lines.Count);
            Assert.Equal(2, lines.Count(l => Regex.IsMatch(l, @" INF Serilog\.AspNetCore\.RequestLoggingMiddleware: HTTP GET /healthz responded 200 in [0-9.]+ ms$")));
            Assert.Contains(lines, l => l.Contains("HTTP GET /no-such-page responded 404", StringComparison.Ordinal));
        }
        else
        {
            Assert.Empty(lines);
        }
    }

    [Theory]
    [ForEachBuild]
    public async Task A_request_log_switch_that_is_not_a_boolean_stops_start_up_naming_the_key(string build)
    {
        await using var process = EchoHostProcess.Start(build, LoopbackArguments("--EchoHost:RequestLog=sometimes"));
        Assert.Equal(2, await process.WaitForExitAsync());
        Assert.Equal("EchoHost cannot start: EchoHost:RequestLog is 'sometimes'; expected true or false", process.StandardError.Trim());
    }

    [Theory]
    [ForEachBuild]
    public async Task Sinks_come_from_the_serilog_section_and_are_flushed_on_exit(string build)
    {
        var file = Path.Combine(Path.GetTempPath(), $"echohost-log-{Guid.NewGuid():N}.txt");
        try
        {
            await using var process = EchoHostProcess.Start(build, LoopbackArguments(
                "--Serilog:WriteTo:1:Name=File",
                $"--Serilog:WriteTo:1:Args:path={file}",
                "--Serilog:WriteTo:1:Args:buffered=true"));
            await process.EndPointAsync("echo");
            process.Terminate();
            Assert.Equal(0, await process.WaitForExitAsync());

            // Buffered: only the flush when the service exits writes the lines.
            var text = await File.ReadAllTextAsync(file);
            Assert.Contains("Endpoint echo (echo) listening on", text, StringComparison.Ordinal);
            Assert.Contains("Stopped", text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [ForEachBuild]
    public async Task A_serilog_section_that_cannot_be_used_stops_start_up_with_exit_code_2(string build)
    {
        await using var process = EchoHostProcess.Start(build, LoopbackArguments("--Serilog:WriteTo:0:Name=NoSuchSink", "--Serilog:MinimumLevel:Default=Loud"));
        Assert.Equal(2, await process.WaitForExitAsync());
        Assert.StartsWith("EchoHost cannot start: The Serilog section cannot be used:", process.StandardError, StringComparison.Ordinal);
    }

    private static string[] LoopbackArguments(params string[] more) =>
    [
        "--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:0",
        "--EchoHost:Endpoints:http:Url=http://127.0.0.1:0",
        "--EchoHost:Endpoints:framed:Url=tcp://127.0.0.1:0",
        .. more,
    ];

    private static Regex CommonLogLine(string request, int bytes) =>
        new($@"127\.0\.0\.1 - - \[\d{{2}}/[A-Z][a-z]{{2}}/\d{{4}}:\d{{2}}:\d{{2}}:\d{{2}} \+0000\] ""{request}"" {bytes}\b");
}
