using System.Net;
using System.Net.Sockets;

namespace EchoHost.Transport.Native.Tests;

/// <summary>
/// The descriptor-count tests count every descriptor of this process, so they run alone: xunit runs a collection
/// with parallelization disabled after all the others, one test at a time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DescriptorCountingDefinition
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Descriptor counting (runs alone)";
}

/// <summary>Connect/close cycles against an in-process server leave no descriptor open. Written once, run per transport.</summary>
public abstract class DescriptorLeakTests(TransportSelector transport, ITestOutputHelper output) : TransportTestBase(transport, output)
{
    private const int WarmUpCycles = 60;
    private const int Cycles = 3000;
    private const int Margin = 10;

    [Fact]
    public async Task Connect_close_cycles_leave_no_descriptor_open()
    {
        var server = await StartAsync(l => l.Echo());

        // Warm up first, so that whatever the runtime and the transport create once (thread-pool I/O, event loops) exists before the baseline.
        await RunCyclesAsync(server, 0, WarmUpCycles);
        Assert.True(await AllHandlersFinishedAsync(server, WarmUpCycles), "The warm-up connections did not all end on the server.");
        int baseline = CountDescriptors();
        Output.WriteLine($"{Transport}: baseline {baseline} descriptors: {DescribeDescriptors()}");

        await RunCyclesAsync(server, WarmUpCycles, Cycles);

        // Every connection reached a handler and ended; then the server side's sockets close (bounded wait, not a timing check).
        Assert.True(await AllHandlersFinishedAsync(server, WarmUpCycles + Cycles), $"{server.Log.Records.Count} handlers started, {server.Log.Records.Count(r => r.Finished.IsCompleted)} finished, of {WarmUpCycles + Cycles} connections.");
        bool settled = await EventuallyAsync(() => CountDescriptors() <= baseline + Margin);
        int after = CountDescriptors();
        Output.WriteLine($"{Transport}: after {Cycles} cycles {after} descriptors: {DescribeDescriptors()}");
        Assert.True(settled, $"{after} descriptors open after {Cycles} connect/close cycles; {baseline} before (margin {Margin}). Now: {DescribeDescriptors()}");
    }

    [Fact]
    public async Task Starting_and_stopping_servers_leaves_no_descriptor_open()
    {
        const int Restarts = 10;

        // Once first, so that what the runtime creates once per process exists before the baseline.
        await RunServerOnceAsync(0);
        int baseline = CountDescriptors();

        for (int i = 1; i <= Restarts; i++)
        {
            await RunServerOnceAsync(i);
        }

        bool settled = await EventuallyAsync(() => CountDescriptors() <= baseline + Margin);
        int after = CountDescriptors();
        Output.WriteLine($"{Transport}: {baseline} descriptors before {Restarts} server restarts, {after} after: {DescribeDescriptors()}");
        Assert.True(settled, $"{after} descriptors open after {Restarts} server starts and stops; {baseline} before (margin {Margin}). Now: {DescribeDescriptors()}");
    }

    /// <summary>Starts a server with two listeners, echoes on each, leaves a client connected, and stops the server.</summary>
    private async Task RunServerOnceAsync(int round)
    {
        await using var server = await TestServer.StartAsync(Transport, Output, l => l.Echo().Tcp<EchoConnectionHandler>(IPAddress.IPv6Any), cancellationToken: Deadline);
        using var first = await Client.ConnectAsync(server.EndPoints[0], Deadline);
        using var second = await Client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)server.EndPoints[1]).Port), Deadline);
        await first.AssertEchoesAsync(TestData.Create(1000, seed: round), Deadline);
        await second.AssertEchoesAsync(TestData.Create(1000, seed: round + 100), Deadline);
        await server.StopAsync(TimeSpan.FromSeconds(5));
        Assert.True(await second.ReadEndAsync(Deadline), "A connection left open did not end with a FIN when the server stopped.");
    }

    /// <summary>
    /// Runs connect/close cycles on a few concurrent workers, mixing the ways a client can leave: a close without data,
    /// a graceful close after an echo, and a reset after an echo.
    /// </summary>
    private async Task RunCyclesAsync(TestServer server, int first, int count)
    {
        const int Workers = 8;
        int next = first - 1;
        int end = first + count;
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < end)
            {
                using var client = await Client.ConnectAsync(server.EndPoint, Deadline);
                switch (i % 3)
                {
                    case 0:
                        client.Close();
                        break;
                    case 1:
                        await client.AssertEchoesAsync(new[] { (byte)i }, Deadline);
                        client.Shutdown(SocketShutdown.Both);
                        client.Close();
                        break;
                    default:
                        await client.AssertEchoesAsync(new[] { (byte)i, (byte)(i >> 8) }, Deadline);
                        client.Reset();
                        break;
                }
            }
        })));
    }

    private Task<bool> AllHandlersFinishedAsync(TestServer server, int expected) =>
        EventuallyAsync(() =>
        {
            var records = server.Log.Records;
            return records.Count == expected && records.All(r => r.Finished.IsCompleted);
        });

    private static int CountDescriptors() => Directory.GetFileSystemEntries("/proc/self/fd").Length;

    private static string DescribeDescriptors()
    {
        var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (string entry in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            string kind;
            try
            {
                string target = new FileInfo(entry).LinkTarget ?? "?";
                int cut = target.IndexOfAny([':', '[']);
                kind = target.StartsWith('/') ? "file" : cut > 0 ? target[..cut] : target;
            }
            catch (IOException)
            {
                kind = "gone";
            }

            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }

        return string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}"));
    }
}

/// <summary>Descriptor counting on Kestrel's Sockets transport.</summary>
[Collection(DescriptorCountingDefinition.Name)]
public sealed class SocketsDescriptorLeakTests(ITestOutputHelper output)
    : DescriptorLeakTests(TransportSelector.Sockets, output);

/// <summary>Descriptor counting on the native transport with its default options (io_uring on Linux).</summary>
[Collection(DescriptorCountingDefinition.Name)]
public sealed class NativeDescriptorLeakTests(ITestOutputHelper output)
    : DescriptorLeakTests(TransportSelector.NativeDefaults, output);

/// <summary>Descriptor counting on the epoll engine with one event loop.</summary>
[Collection(DescriptorCountingDefinition.Name)]
public sealed class NativeEpollSingleLoopDescriptorLeakTests(ITestOutputHelper output)
    : DescriptorLeakTests(TransportSelector.NativeEpollSingleLoop, output);

/// <summary>Descriptor counting on the native transport with a listening socket per loop and inline scheduling.</summary>
[Collection(DescriptorCountingDefinition.Name)]
public sealed class NativeReusePortInlineDescriptorLeakTests(ITestOutputHelper output)
    : DescriptorLeakTests(TransportSelector.NativeReusePortInline, output);

/// <summary>Descriptor counting on the kqueue engine with macOS's struct kevent, over the kqueue emulation.</summary>
[Collection(DescriptorCountingDefinition.Name)]
public sealed class NativeKqueueMacOSDescriptorLeakTests(ITestOutputHelper output)
    : DescriptorLeakTests(TransportSelector.NativeKqueueMacOS, output);

/// <summary>Descriptor counting on the kqueue engine with FreeBSD's struct kevent, over the kqueue emulation.</summary>
[Collection(DescriptorCountingDefinition.Name)]
public sealed class NativeKqueueFreeBsdDescriptorLeakTests(ITestOutputHelper output)
    : DescriptorLeakTests(TransportSelector.NativeKqueueFreeBsd, output);

/// <summary>Descriptor counting on the epoll engine.</summary>
[Collection(DescriptorCountingDefinition.Name)]
public sealed class NativeEpollDescriptorLeakTests(ITestOutputHelper output)
    : DescriptorLeakTests(TransportSelector.NativeEpoll, output);
