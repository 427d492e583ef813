using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using EchoHost.Transport.Native;
using EchoHost.Transport.Native.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EchoHost.Transport.Native.Tests;

/// <summary>What only the native transport has: its support check, its native handle feature, its options from configuration.</summary>
public sealed class NativeTransportTests(ITestOutputHelper output) : TransportTestBase(TransportSelector.NativeDefaults, output)
{
    [Fact]
    public void Is_supported_on_Linux_with_the_io_uring_engine()
    {
        if (OperatingSystem.IsLinux())
        {
            Assert.True(NativeTransport.IsSupported);
            Assert.Equal("io_uring", NativeTransport.EngineName);
        }
        else
        {
            Assert.Equal(NativeTransport.IsSupported, NativeTransport.EngineName is not null);
        }
    }

    [Fact]
    public void Every_engine_is_listed_once_with_its_configuration_name()
    {
        Assert.Equal(Enum.GetValues<NativeEngine>(), NativeEngines.All.Select(d => d.Engine));
        Assert.Equal(["epoll", "io_uring", "kqueue", "kqueue", "iocp"], NativeEngines.All.Select(d => d.Name));
        Assert.Equal(
            [NativeTransportEngine.Epoll, NativeTransportEngine.IoUring, NativeTransportEngine.Kqueue, NativeTransportEngine.Kqueue, NativeTransportEngine.Iocp],
            NativeEngines.All.Select(d => d.Kind));
    }

    // The suite runs on Linux (the kqueue engines over an emulation of Linux's): these are Linux's answers.
    [Fact]
    public void Auto_runs_io_uring_and_each_engine_by_name_runs_or_says_why_not_in_one_line()
    {
        Assert.True(NativeTransport.TryGetEngineName(NativeTransportEngine.Auto, out string auto, out _));
        Assert.Equal("io_uring", auto);
        Assert.True(NativeTransport.TryGetEngineName(NativeTransportEngine.Epoll, out string epoll, out _));
        Assert.Equal("epoll", epoll);

        foreach (NativeTransportEngine other in new[] { NativeTransportEngine.Kqueue, NativeTransportEngine.Iocp })
        {
            Assert.False(NativeTransport.TryGetEngineName(other, out _, out string? error));
            Assert.NotNull(error);
            Assert.Contains($"{other} engine cannot run here", error);
            Assert.DoesNotContain('\n', error);
        }
    }

    [Fact]
    public void This_kernel_runs_io_uring()
    {
        // The machine this suite runs on has io_uring on (a kernel of 6.1 or later, not turned off): the default
        // engine and the io_uring test classes depend on it, and a probe that wrongly refused would fail them all
        // with its reason instead of letting Auto run epoll unnoticed.
        Assert.True(NativeTransport.TryGetEngineName(NativeTransportEngine.IoUring, out string name, out string? error), error);
        Assert.Equal("io_uring", name);
    }

    [Fact]
    public async Task Binding_with_an_engine_this_system_cannot_run_fails_with_its_reason()
    {
        await using var factory = new NativeTransportFactory(
            Options.Create(new NativeTransportOptions { Engine = NativeTransportEngine.Iocp }), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var error = await Assert.ThrowsAsync<PlatformNotSupportedException>(() => factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0)).AsTask());
        Assert.Contains("Iocp engine cannot run here", error.Message);
    }

    [Fact]
    public void The_engine_is_bound_from_configuration_by_name()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["EchoHost:Native:Engine"] = "IoUring" })
            .Build();
        var options = new NativeTransportOptions();
        configuration.GetSection("EchoHost:Native").Bind(options);
        Assert.Equal(NativeTransportEngine.IoUring, options.Engine);
    }

    [Fact]
    public void The_test_only_engine_override_is_not_bound_from_configuration()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["EchoHost:Native:EngineOverride"] = "KqueueMacOS" })
            .Build();
        var options = new NativeTransportOptions();
        configuration.GetSection("EchoHost:Native").Bind(options);
        Assert.Null(options.EngineOverride);
    }

    [Fact]
    public async Task Native_handle_feature_gives_the_connections_socket()
    {
        var server = await StartAsync(l => l.Echo());
        var client = await ConnectAsync(server.EndPoint);
        await client.AssertEchoesAsync("handle"u8.ToArray(), Deadline);
        var record = await server.Log.WaitForClientAsync(client.LocalEndPoint, Deadline);

        Assert.True(record.NativeHandle is not null, "The connection has no INativeHandleFeature.");
        nint handle = record.NativeHandle.Value;
        Assert.True(handle > 2, $"Handle {handle} is not a socket descriptor.");
        Assert.StartsWith("socket:[", new FileInfo($"/proc/self/fd/{handle}").LinkTarget, StringComparison.Ordinal);
        Assert.Equal(LibC.SOCK_STREAM, LibC.GetIntOption(handle, LibC.SOL_SOCKET, LibC.SO_TYPE));

        // It is this connection's socket: its two ends are the server's endpoint and this client's.
        Assert.Equal(server.EndPoint, LibC.GetEndPoint(handle, peer: false));
        Assert.Equal(client.LocalEndPoint, LibC.GetEndPoint(handle, peer: true));

        // TCP_NODELAY is on by default.
        Assert.NotEqual(0, LibC.GetIntOption(handle, LibC.IPPROTO_TCP, LibC.TCP_NODELAY));
    }

    [Fact]
    public async Task Options_bound_from_configuration_reach_the_transport()
    {
        const int ReadBuffer = 32 * 1024;
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["EchoHost:Native:Backlog"] = "77",
                ["EchoHost:Native:NoDelay"] = "false",
                ["EchoHost:Native:MaxReadBufferSize"] = ReadBuffer.ToString(CultureInfo.InvariantCulture),
                ["EchoHost:Native:MaxTotalReadBufferSize"] = "0",
                ["EchoHost:Native:ThreadCount"] = "1",
                ["EchoHost:Native:UnsafePreferInlineScheduling"] = "true",
            })
            .Build();

        // UseNativeTransport() without a delegate: every option comes from configuration.
        var server = await StartAsync(
            l => l.Echo().Tcp<HoldingConnectionHandler>(IPAddress.Loopback),
            services: s => s.Configure<NativeTransportOptions>(configuration.GetSection("EchoHost:Native")));
        var options = server.Services.GetRequiredService<IOptions<NativeTransportOptions>>().Value;
        Assert.Equal(77, options.Backlog);
        Assert.Equal(ReadBuffer, options.MaxReadBufferSize);
        Assert.Equal(0, options.MaxTotalReadBufferSize);

        // Backlog: the kernel reports a listening socket's backlog as its Send-Q.
        var echoEndPoint = (IPEndPoint)server.EndPoints[0];
        Assert.Equal(77, ListenBacklog(echoEndPoint.Port));

        // NoDelay = false: accepted sockets keep Nagle's algorithm.
        // ThreadCount = 1 and inline scheduling: every connection's reads resume on the same thread, the one loop's.
        var records = new List<ConnectionRecord>();
        for (int i = 0; i < 8; i++)
        {
            var client = await ConnectAsync(echoEndPoint);
            await client.AssertEchoesAsync("first"u8.ToArray(), Deadline);
            await client.AssertEchoesAsync("second"u8.ToArray(), Deadline);
            records.Add(await server.Log.WaitForClientAsync(client.LocalEndPoint, Deadline));
        }

        foreach (var record in records)
        {
            Assert.True(record.NativeHandle is not null, "The connection has no INativeHandleFeature.");
            Assert.Equal(0, LibC.GetIntOption(record.NativeHandle.Value, LibC.IPPROTO_TCP, LibC.TCP_NODELAY));
            Assert.False(record.FirstReadOnThreadPool, "With UnsafePreferInlineScheduling, a read resumed on the thread pool.");
        }

        Assert.Single(records.Select(r => r.FirstReadThreadId).Distinct());

        // MaxReadBufferSize = 32 KiB: a handler that reads nothing finds about 32 KiB buffered, not the default 1 MiB.
        var held = await ConnectAsync(server.EndPoints[1], s => s.SendBufferSize = 64 * 1024);
        var holder = await server.Log.WaitForClientAsync(held.LocalEndPoint, Deadline);
        var (sent, stalled) = await SendUntilStalledAsync(held, TestData.Create(16 * 1024 * 1024, seed: 32));
        Assert.True(stalled, $"The client sent all {sent:N0} bytes to a handler that reads nothing.");
        holder.Release();
        await WithinLimitAsync(holder.Finished, "The end of the holding handler");
        Output.WriteLine($"Client sent {sent:N0} bytes; the handler found {holder.MaxBuffered:N0} buffered.");
        Assert.InRange(holder.MaxBuffered, ReadBuffer, 4 * ReadBuffer);
    }

    /// <summary>The backlog of the TCP socket listening on <paramref name="port"/>, as <c>ss</c> reports it.</summary>
    private static int ListenBacklog(int port)
    {
        var start = new ProcessStartInfo("ss", ["-ltnH", $"sport = :{port}"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var ss = Process.Start(start) ?? throw new InvalidOperationException("Could not start ss.");
        string text = ss.StandardOutput.ReadToEnd();
        ss.WaitForExit();
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"ss listed {lines.Length} listeners on port {port}: {text}");

        // State, Recv-Q, Send-Q (the backlog of a listening socket), local address, peer address.
        return int.Parse(lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Back_pressure_pauses_in_both_directions_are_counted_on_the_transport_meter()
    {
        var server = await StartAsync(l => l.Echo());
        using var pauses = new MeterReader(server.Services, TransportMetrics.MeterName, "echohost.transport.backpressure.pauses");
        Assert.Equal(0, pauses.Read("direction", "read") + pauses.Read("direction", "write"));

        // A client that sends and never reads: the echo fills its socket (the transport waits to send), then the
        // handler's flushes wait and the input fills past MaxReadBufferSize (the transport stops reading).
        var client = await ConnectAsync(server.EndPoint);
        var (_, stalled) = await SendUntilStalledAsync(client, TestData.Create(32 * 1024 * 1024, seed: 7));
        Assert.True(stalled, "the client sent everything to a server whose echo it never read");

        Assert.True(pauses.Read("direction", "write") > 0, "no send waited for the peer");
        Assert.True(pauses.Read("direction", "read") > 0, "reading never stopped for the application");
    }

    [Fact]
    public void Accept_errors_are_counted_by_error_name()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new TransportMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        using var errors = new MeterReader(services, TransportMetrics.MeterName, "echohost.transport.accept.errors");

        metrics.AcceptFailed(Interop.Unix.Sys.EMFILE);
        metrics.AcceptFailed(Interop.Unix.Sys.EMFILE);
        metrics.AcceptFailed(0);

        Assert.Equal(2, errors.Read("error", "EMFILE"));
        Assert.Equal(1, errors.Read("error", TransportMetrics.DescriptorHeadroom));
        Assert.Equal(0, errors.Read("error", "ENFILE"));
    }
}
