using System.Diagnostics;
using EchoHost.LoadGen.Engine;
using EchoHost.LoadGen.Metrics;
using EchoHost.LoadGen.Output;

namespace EchoHost.LoadGen.Workloads;

/// <summary>Runs one workload: builds the connections and workers, steps the run through its stages, gathers the result.</summary>
internal sealed class LoadRunner
{
    /// <summary>How long the answers in flight are waited for after the measured window.</summary>
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(5);

    private readonly LoadSettings _settings;
    private readonly TextWriter? _progressOutput;
    private readonly RunControl _control = new();
    private readonly List<Worker> _workers = [];

    /// <param name="progressOutput">Where the progress display goes (stderr), or null for none.</param>
    public LoadRunner(LoadSettings settings, TextWriter? progressOutput)
    {
        Validate(settings);
        _settings = settings;
        _progressOutput = progressOutput;
    }

    public RunResult Run()
    {
        var warmupErrors = WarmUpIfSeparate();
        try
        {
            return _settings.Workload switch
            {
                WorkloadKind.Burst => RunBurst(warmupErrors),
                WorkloadKind.Hold => RunHold(warmupErrors),
                _ => RunTraffic(),
            };
        }
        finally
        {
            foreach (var worker in _workers)
            {
                worker.Dispose();
            }
        }
    }

    // The command line checks the same before a run: these are the engine's own preconditions.
    private static void Validate(LoadSettings settings)
    {
        if (settings.Connections < 1 || settings.Size < 1 || settings.Workers < 1 || settings.Window < 1)
        {
            throw new ArgumentException("--connections, --size, --workers and --window must be at least 1.", nameof(settings));
        }

        if (settings.SourceAddresses is < 1 or > 254)
        {
            throw new ArgumentException("--source-addresses must be 1 to 254.", nameof(settings));
        }

        if (settings.SourceAddresses > 1 && !settings.Target.IsLoopback)
        {
            throw new ArgumentException("--source-addresses spreads over 127.0.0.0/8: the target must be a loopback address.", nameof(settings));
        }

        if (WorkloadKinds.IsOpenLoop(settings.Workload) && !(settings.Rate > 0))
        {
            throw new ArgumentException("--rate must be above 0.", nameof(settings));
        }
    }

    /// <summary>Burst and hold warm the server up with ping-pong first (JIT, pools), then let it settle.</summary>
    private long WarmUpIfSeparate()
    {
        if (_settings.Workload is not (WorkloadKind.Burst or WorkloadKind.Hold) || _settings.Warmup <= TimeSpan.Zero)
        {
            return 0;
        }

        var warm = new LoadRunner(
            _settings with
            {
                Workload = WorkloadKind.PingPong,
                Connections = 50,
                Size = 64,
                Warmup = TimeSpan.Zero,
                Duration = _settings.Warmup,
                SourceAddresses = 1,
            },
            null).Run();
        Thread.Sleep(TimeSpan.FromSeconds(1));
        return warm.ErrorTotal;
    }

    private RunResult RunTraffic()
    {
        var framed = WorkloadKinds.IsFramed(_settings.Workload);
        MessageFormat format = framed ? new FramedEchoFormat(_settings.Size) : new RawEchoFormat(_settings.Size);
        var connections = _settings.Workload == WorkloadKind.Rtt ? 1 : _settings.Connections;
        CreateWorkers(connections, format, () => WorkloadKinds.IsOpenLoop(_settings.Workload)
            ? new OpenLoopDriver(_control, connections, _settings.Rate)
            : new ClosedLoopDriver(_control));

        using var progress = StartProgress();
        var threads = StartThreads();
        WaitUntil(() => _workers.Sum(w => Volatile.Read(ref w.OpenedTotal) + Volatile.Read(ref w.FailedTotal)) >= connections, _settings.Timeout);

        _control.StartTraffic(_settings.Warmup, _settings.Duration);
        SleepUntil(_control.MeasureStart);
        var cpu = CpuWindow.Start(_settings.ServerPid);
        SleepUntil(_control.MeasureEnd);
        cpu.Stop();
        Finish(threads, s_drainTimeout);

        var seconds = (double)(_control.MeasureEnd - _control.MeasureStart) / Stopwatch.Frequency;
        return Result(format, connections, seconds, cpu);
    }

    private RunResult RunBurst(long warmupErrors)
    {
        var format = new RawEchoFormat(_settings.Size);
        var drivers = new List<BurstDriver>();
        using var ready = new Barrier(0);
        CreateWorkers(_settings.Connections, format, () =>
        {
            ready.AddParticipant();
            var driver = new BurstDriver(_control, ready);
            drivers.Add(driver);
            return driver;
        });
        _control.Stage = RunStage.Running;
        using var progress = StartProgress();
        var kernel = TcpCounters.Read();
        var cpu = CpuWindow.Start(_settings.ServerPid);
        Finish(StartThreads(), _settings.Timeout);
        cpu.Stop();
        var kernelGrowth = kernel is null ? null : TcpCounters.Read()?.Since(kernel);
        var first = drivers.Min(d => d.FirstConnect);
        var wall = (double)(drivers.Max(d => d.LastCompletion) - first) / Stopwatch.Frequency;
        return Result(format, _settings.Connections, wall, cpu) with
        {
            WarmupErrors = warmupErrors,
            WallMilliseconds = wall * 1000,
            ConnectsIssuedMilliseconds = (double)(drivers.Max(d => d.LastConnect) - first) * 1000 / Stopwatch.Frequency,
            Kernel = kernelGrowth,
        };
    }

    private RunResult RunHold(long warmupErrors)
    {
        var format = new RawEchoFormat(_settings.Size);
        var drivers = new List<HoldDriver>();
        var pid = _settings.ServerPid;
        var idle = pid is int p ? ProcessStats.ResidentKib(p) : null;
        CreateWorkers(_settings.Connections, format, () =>
        {
            var driver = new HoldDriver(_control, _settings.Window);
            drivers.Add(driver);
            return driver;
        });
        _control.Stage = RunStage.Opening;
        using var progress = StartProgress();
        var threads = StartThreads();
        var started = Stopwatch.GetTimestamp();
        WaitUntil(() => drivers.TrueForAll(d => d.OpeningDone), _settings.Timeout);
        var openSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        _control.Stage = RunStage.Holding;
        Thread.Sleep(_settings.Hold);
        var held = pid is int q ? ProcessStats.MedianResidentKib(q) : null;

        _control.Stage = RunStage.Checking;
        WaitUntil(() => drivers.TrueForAll(d => d.CheckDone), _settings.Timeout);
        _control.Stage = RunStage.Stopped;
        Finish(threads, s_drainTimeout);

        // Every connection that is not alive at the end failed somewhere, and that failure is counted in the errors.
        var heldCount = drivers.Sum(d => d.Held);
        return Result(format, _settings.Connections, openSeconds, CpuWindow.None) with
        {
            WarmupErrors = warmupErrors,
            Messages = heldCount,
            MessagesPerSecond = 0,
            IdleRssKib = idle,
            HeldRssKib = held,
            KibPerConnection = idle is long i0 && held is long h && heldCount > 0 ? (double)(h - i0) / heldCount : null,
            AliveAfterHold = drivers.Sum(d => d.Alive),
        };
    }

    private void CreateWorkers(int connections, MessageFormat format, Func<Driver> createDriver)
    {
        var count = Math.Min(_settings.Workers, connections);
        var first = 0;
        for (var w = 0; w < count; w++)
        {
            var share = (connections / count) + (w < connections % count ? 1 : 0);
            var list = new List<Connection>(share);
            for (var n = first; n < first + share; n++)
            {
                list.Add(new Connection(n, Pattern.Create(n, _settings.Size), SourceAddresses.For(n, _settings.SourceAddresses)));
            }

            first += share;
            _workers.Add(new Worker(w, _settings.Target, format, createDriver(), list));
        }
    }

    private List<Thread> StartThreads()
    {
        var threads = _workers.Select(worker => new Thread(worker.Run) { IsBackground = true, Name = $"load worker {worker.Index}" }).ToList();
        threads.ForEach(t => t.Start());
        return threads;
    }

    /// <summary>Waits for the workers to finish on their own, then stops them.</summary>
    private void Finish(List<Thread> threads, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + Ticks.FromSeconds(timeout.TotalSeconds);
        foreach (var thread in threads)
        {
            var left = Math.Max(0, (deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency);
            if (!thread.Join(TimeSpan.FromMilliseconds(left)))
            {
                break;
            }
        }

        _control.Stage = RunStage.Stopped;
        threads.ForEach(t => t.Join());
    }

    private ProgressDisplay? StartProgress() => _progressOutput is null
        ? null
        : new ProgressDisplay(_progressOutput, WorkloadKinds.Name(_settings.Workload), _control, _workers);

    private RunResult Result(MessageFormat format, int connections, double seconds, CpuWindow cpu)
    {
        var histogram = new LatencyHistogram();
        var errors = new long[ErrorKinds.Count];
        long measured = 0;
        var firstErrors = new List<string>();
        foreach (var worker in _workers)
        {
            histogram.Add(worker.Histogram);
            measured += worker.Measured;
            for (var k = 0; k < errors.Length; k++)
            {
                errors[k] += worker.Errors[k];
            }

            firstErrors.AddRange(worker.FirstErrors.Take(5 - Math.Min(5, firstErrors.Count)));
        }

        return new RunResult
        {
            Workload = WorkloadKinds.Name(_settings.Workload),
            Target = _settings.Target.ToString(),
            Connections = connections,
            Size = _settings.Size,
            WireSize = format.WireSize,
            Workers = _workers.Count,
            SourceAddresses = _settings.SourceAddresses,
            WarmupSeconds = _settings.Warmup.TotalSeconds,
            Seconds = seconds,
            Rate = WorkloadKinds.IsOpenLoop(_settings.Workload) ? _settings.Rate : null,
            Messages = measured,
            MessagesPerSecond = seconds > 0 ? measured / seconds : 0,
            Latency = LatencySummary.From(histogram),
            Errors = Enumerable.Range(0, errors.Length).ToDictionary(k => ErrorKinds.Name((ErrorKind)k), k => errors[k]),
            ErrorTotal = errors.Sum(),
            Mismatches = errors[(int)ErrorKind.Mismatch],
            FirstErrors = firstErrors,
            ClientCpuPercent = cpu.ClientPercent,
            ServerCpuPercent = cpu.ServerPercent,
            ServerCpuMicrosecondsPerMessage = CpuWindow.MicrosecondsPerMessage(cpu.ServerSeconds, measured),
        };
    }

    private void WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + Ticks.FromSeconds(timeout.TotalSeconds);
        while (!condition() && Stopwatch.GetTimestamp() < deadline && _workers.Count > 0)
        {
            Thread.Sleep(5);
        }
    }

    private static void SleepUntil(long ticks)
    {
        var left = ticks - Stopwatch.GetTimestamp();
        if (left > 0)
        {
            Thread.Sleep(TimeSpan.FromSeconds((double)left / Stopwatch.Frequency));
        }
    }
}
