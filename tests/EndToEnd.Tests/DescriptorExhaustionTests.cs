using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using EchoHost.EndToEnd.Tests.Support;

namespace EchoHost.EndToEnd.Tests;

/// <summary>
/// A server out of file descriptors (EMFILE) must wait for one to be freed, not retry accept in a busy loop.
/// Native only: Kestrel's Sockets transport is known to spin here, and it is the reason to test ours.
/// </summary>
public class DescriptorExhaustionTests
{
    /// <summary>Descriptors the server may open beyond those it holds once warmed up.</summary>
    private const int Headroom = 64;

    /// <summary>Descriptors the native transport leaves to the rest of the process: it stops accepting this far below the limit.</summary>
    private const int TransportHeadroom = 32;

    /// <summary>Clients: far more than the headroom, so that many wait in the listen queue.</summary>
    private const int FloodSize = 100;

    [Theory]
    [ForEachBuild("Native")]
    [ForEachBuild(Support.Transports.NativeEpoll)]
    public async Task Native_transport_does_not_spin_when_out_of_descriptors_and_recovers(string build, string transport)
    {
        await using var process = EchoHostProcess.Start(build,
            [.. Support.Transports.Arguments(transport), "--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:0", "--EchoHost:Endpoints:http:Enabled=false", "--EchoHost:Endpoints:framed:Enabled=false"]);
        var endPoint = await process.EndPointAsync("echo");

        // The runtime keeps every loaded assembly open (about 200 descriptors), so the limit cannot be set at launch
        // (prlimit --nofile=64 dotnet … fails to load the host). Once one connection has been served, the path a
        // connection takes is loaded; then the limit goes just above what the process holds.
        var payload = Loopback.Payload(1000);
        Assert.Equal(payload, await Loopback.EchoAsync(endPoint, payload));
        var limit = OpenDescriptors(process.Id) + Headroom;
        SetDescriptorLimit(process.Id, limit);
        Assert.Matches($@"Max open files\s+{limit}\s+{limit}\s", await File.ReadAllTextAsync($"/proc/{process.Id}/limits"));

        var flood = new List<Socket>();
        try
        {
            // The kernel completes every handshake; the server accepts until it is within its headroom of the limit (the
            // runtime needs descriptors of its own: a thread pool thread that cannot start takes the process down),
            // and the rest wait in the queue.
            for (var i = 0; i < FloodSize; i++)
            {
                flood.Add(await Loopback.ConnectAsync(endPoint));
            }

            await WaitForDescriptorsAsync(process, limit - TransportHeadroom - 4);
            var before = CpuTime(process.Id);
            await Task.Delay(TimeSpan.FromSeconds(3));
            var used = CpuTime(process.Id) - before;

            Assert.False(process.HasExited, $"EchoHost exited. Output:{Environment.NewLine}{process.Output}");
            Assert.True(used < TimeSpan.FromSeconds(1), $"EchoHost used {used.TotalSeconds:F2} s of CPU in 3 s while out of descriptors: its accept loop spins.");
        }
        finally
        {
            foreach (var socket in flood)
            {
                socket.Dispose();
            }
        }

        // With the flood gone, descriptors free up and a new client is served.
        Assert.Equal(payload, await Loopback.EchoAsync(endPoint, payload));
    }

    [Theory]
    [ForEachBuild("echo")]
    [ForEachBuild("framed")]
    public async Task Clients_connected_before_a_descriptor_flood_are_served_through_it_and_the_service_recovers(string build, string protocol)
    {
        string[] endpoints = ["echo", "framed", "http"];
        await using var process = EchoHostProcess.Start(build,
            ["--EchoHost:Transport=Native", $"--EchoHost:Endpoints:{protocol}:Url=tcp://127.0.0.1:0",
             .. endpoints.Where(e => e != protocol).Select(e => $"--EchoHost:Endpoints:{e}:Enabled=false")]);
        var endPoint = await process.EndPointAsync(protocol);

        // Clients connected first, asking and checking every 20 ms through all that follows.
        var existing = new List<PacedClient>();
        for (var i = 0; i < 4; i++)
        {
            existing.Add(await PacedClient.StartAsync(endPoint, protocol, TimeSpan.FromMilliseconds(20)));
        }

        await using var stopExisting = new AsyncDisposables(existing);
        await WaitForRoundsAsync(existing, 1);
        var limit = OpenDescriptors(process.Id) + Headroom;
        SetDescriptorLimit(process.Id, limit);

        var flood = new List<Socket>();
        try
        {
            for (var i = 0; i < 2 * FloodSize; i++)
            {
                flood.Add(await Loopback.ConnectAsync(endPoint));
            }

            await WaitForDescriptorsAsync(process, limit - TransportHeadroom - 4);

            // Out of descriptors, with connections waiting that cannot be accepted: the existing clients still get
            // every answer, and the process does not spin (its CPU time stays far below the wall time).
            var rounds = existing.Select(c => c.Rounds).ToList();
            var before = CpuTime(process.Id);
            var wall = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(3));
            var used = CpuTime(process.Id) - before;
            var elapsed = wall.Elapsed;

            Assert.False(process.HasExited, $"EchoHost exited. Output:{Environment.NewLine}{process.Output}");
            Assert.True(used < elapsed / 2, $"EchoHost used {used.TotalSeconds:F2} s of CPU in {elapsed.TotalSeconds:F2} s while out of descriptors.");
            for (var i = 0; i < existing.Count; i++)
            {
                Assert.False(existing[i].HasFailed, $"Client {i} connected before the flood failed during it.");
                Assert.True(existing[i].Rounds > rounds[i], $"Client {i} connected before the flood got no answer during it.");
            }
        }
        finally
        {
            foreach (var socket in flood)
            {
                socket.Dispose();
            }
        }

        // With the flood gone, a new client is served, and the existing ones still are.
        await using (var newcomer = await PacedClient.StartAsync(endPoint, protocol, TimeSpan.FromMilliseconds(1)))
        {
            await WaitForRoundsAsync([newcomer], 3);
            Assert.True(await newcomer.StopAsync() >= 3);
        }

        var afterFlood = existing.Select(c => c.Rounds).ToList();
        await WaitForRoundsAsync(existing, afterFlood.Max() + 1);
        foreach (var client in existing)
        {
            Assert.True(await client.StopAsync() > 0);
        }
    }

    /// <summary>Waits until every client has answered at least <paramref name="rounds"/> rounds (or one failed).</summary>
    private static async Task WaitForRoundsAsync(List<PacedClient> clients, long rounds)
    {
        var deadline = DateTime.UtcNow + Loopback.Timeout;
        while (!clients.All(c => c.Rounds >= rounds))
        {
            for (var i = 0; i < clients.Count; i++)
            {
                Assert.False(clients[i].HasFailed, $"Client {i} failed.");
            }

            Assert.True(DateTime.UtcNow < deadline, $"The clients answered {string.Join(", ", clients.Select(c => c.Rounds))} rounds, not {rounds} each.");
            await Task.Delay(20);
        }
    }

    /// <summary>Disposes the clients when the test ends, however it ends.</summary>
    private sealed class AsyncDisposables(IEnumerable<IAsyncDisposable> items) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var item in items)
            {
                await item.DisposeAsync();
            }
        }
    }

    private static int OpenDescriptors(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    /// <summary>Waits until the server holds at least <paramref name="count"/> descriptors: it has accepted as far as it will.</summary>
    private static async Task WaitForDescriptorsAsync(EchoHostProcess process, int count)
    {
        var deadline = DateTime.UtcNow + EchoHostProcess.StartTimeout;
        int open;
        while ((open = OpenDescriptors(process.Id)) < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"EchoHost holds {open} descriptors, not the {count} that accepting the flood takes. Output:{Environment.NewLine}{process.Output}");
            await Task.Delay(100);
        }
    }

    private static void SetDescriptorLimit(int pid, int limit)
    {
        using var prlimit = Process.Start(new ProcessStartInfo("prlimit",
            ["--pid", pid.ToString(CultureInfo.InvariantCulture), $"--nofile={limit}:{limit}"]) { UseShellExecute = false })!;
        prlimit.WaitForExit();
        Assert.Equal(0, prlimit.ExitCode);
    }

    /// <summary>User plus system CPU time of a process, from /proc/PID/stat (fields 14 and 15, in clock ticks).</summary>
    private static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");

        // The command name (field 2) is in parentheses and may contain spaces: count fields after its closing one.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);

        // USER_HZ is 100 on every Linux architecture .NET runs on.
        return TimeSpan.FromSeconds(ticks / 100.0);
    }
}
