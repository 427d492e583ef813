using System.Diagnostics;
using System.Globalization;
using System.Net;
using EchoHost.LoadGen.Compare;
using EchoHost.LoadGen.Engine;
using EchoHost.LoadGen.Metrics;

namespace EchoHost.LoadGen.Soak;

/// <summary>
/// Runs the soak: starts the built service, loads it for the warm-up, lets it settle and takes the start figures
/// (descriptors, RSS), loads it for the duration, lets it settle and takes the end figures, stops it.
/// </summary>
internal sealed class SoakRunner(SoakSettings settings, TextWriter? progress)
{
    private const int RawSize = 100;
    private const int FramedSize = 64;
    private const int SourceAddresses = 8;

    /// <summary>How long a phase's last answers and a worker's end are waited for past its duration.</summary>
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The longest the server is given to settle after the load stops.</summary>
    private static readonly TimeSpan s_settleTimeout = TimeSpan.FromSeconds(20);

    public SoakReport Run()
    {
        var spec = ServerSpec.Defaults(settings.Root).FirstOrDefault(s => s.Name == settings.Server)
            ?? throw new InvalidOperationException($"No server named {settings.Server}: native, native-epoll or sockets.");
        var launcher = new ProcessLauncher(settings.Root, settings.ServerCpu);
        var log = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"echohost-soak-{Environment.ProcessId}.log"));
        using var server = launcher.Start(spec, log);
        var echo = new IPEndPoint(IPAddress.Loopback, server.Echo.Port);
        var framed = new IPEndPoint(IPAddress.Loopback, server.FramedPort ?? throw new InvalidOperationException("The service has no framed endpoint."));

        var warmup = RunLoad(echo, framed, settings.Warmup, settings.Seed, "warm-up");
        var start = Settle(server.Pid);
        var load = RunLoad(echo, framed, settings.Duration, settings.Seed + 1000, "soak");
        var end = Settle(server.Pid);
        return new SoakReport(settings, warmup, load, start, end, server.IsAlive, log);
    }

    private LoadFigures RunLoad(IPEndPoint echo, IPEndPoint framed, TimeSpan duration, int seed, string name)
    {
        var control = new RunControl();
        control.StartTraffic(TimeSpan.Zero, duration);
        var drivers = new List<ChurnDriver>();
        var workers = new List<Worker>
        {
            CreateWorker(0, echo, new RawEchoFormat(RawSize), first: 0, settings.RawConnections, new ChurnDriver(control, seed, settings.MaxMessages, maxBatch: 1, settings.ResetShare), drivers),
            CreateWorker(1, framed, new FramedEchoFormat(FramedSize, mixed: true), first: settings.RawConnections, settings.FramedConnections, new ChurnDriver(control, seed + 1, settings.MaxMessages, settings.MaxPipeline, settings.ResetShare), drivers),
        };
        try
        {
            var threads = workers.Select(w => new Thread(w.Run) { IsBackground = true, Name = $"soak worker {w.Index}" }).ToList();
            threads.ForEach(t => t.Start());
            var hostile = new HostileClients(echo, framed, settings.HostileInterval, seed + 2);
            var hostileRun = Task.Run(() => hostile.RunAsync(control.MeasureEnd));
            ReportProgress(name, control, workers);

            var deadline = Stopwatch.GetTimestamp() + Ticks.FromSeconds(s_drainTimeout.TotalSeconds);
            foreach (var thread in threads)
            {
                thread.Join(TimeSpan.FromSeconds(Math.Max(0, (double)(deadline - Stopwatch.GetTimestamp()) / Stopwatch.Frequency)));
            }

            control.Stage = RunStage.Stopped;
            threads.ForEach(t => t.Join());
            hostileRun.Wait(s_drainTimeout);
            return LoadFigures.From(duration, workers, drivers, hostile);
        }
        finally
        {
            workers.ForEach(w => w.Dispose());
        }
    }

    private static Worker CreateWorker(int index, IPEndPoint target, MessageFormat format, int first, int count, ChurnDriver driver, List<ChurnDriver> drivers)
    {
        var connections = Enumerable.Range(first, count)
            .Select(n => new Connection(n, Pattern.Create(n, format.Size), Engine.SourceAddresses.For(n, SourceAddresses)))
            .ToList();
        drivers.Add(driver);
        var address = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(target.Address.GetAddressBytes());
        return new Worker(index, new IPv4Endpoint(address, (ushort)target.Port), format, driver, connections);
    }

    private void ReportProgress(string name, RunControl control, List<Worker> workers)
    {
        var next = Stopwatch.GetTimestamp();
        while (Stopwatch.GetTimestamp() < control.MeasureEnd && workers.Exists(w => w.Active > 0 || Volatile.Read(ref w.OpenedTotal) == 0))
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= next)
            {
                var elapsed = (double)(now - control.TrafficStart) / Stopwatch.Frequency;
                progress?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"soak: {name} {elapsed:F0} s: {workers.Sum(w => Volatile.Read(ref w.CompletedTotal)):N0} messages, {workers.Sum(w => Volatile.Read(ref w.OpenedTotal)):N0} connections, {workers.Sum(w => Volatile.Read(ref w.FailedTotal)):N0} failed"));
                next = now + Ticks.FromSeconds(10);
            }

            Thread.Sleep(200);
        }
    }

    /// <summary>
    /// Waits until the server's descriptor count has not changed for a second (connections that the load closed are
    /// gone), then two more seconds, and samples its RSS five times (the median).
    /// </summary>
    private static ServerFigures Settle(int pid)
    {
        var watch = Stopwatch.StartNew();
        int? last = null;
        var stableSince = TimeSpan.Zero;
        while (watch.Elapsed < s_settleTimeout)
        {
            var fds = ProcessStats.OpenDescriptors(pid);
            if (fds != last)
            {
                last = fds;
                stableSince = watch.Elapsed;
            }
            else if (watch.Elapsed - stableSince >= TimeSpan.FromSeconds(1))
            {
                break;
            }

            Thread.Sleep(100);
        }

        Thread.Sleep(TimeSpan.FromSeconds(2));
        var rss = ProcessStats.MedianResidentKib(pid);
        return new ServerFigures(ProcessStats.OpenDescriptors(pid), rss);
    }
}

/// <summary>The server's open descriptors and RSS (KiB) at one moment; null where /proc could not be read.</summary>
internal sealed record ServerFigures(int? Descriptors, long? RssKib);
