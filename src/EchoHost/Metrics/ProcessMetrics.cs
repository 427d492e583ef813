using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EchoHost.Metrics;

/// <summary>
/// The process's and the .NET runtime's own numbers as observable instruments of the meter
/// <c>EchoHost.Process</c>, named so that the exporter's naming rule gives Prometheus's standard process_* names and
/// dotnet_* names in the runtime meter's style. On Linux memory, descriptors and threads come from /proc/self;
/// elsewhere from <see cref="Environment"/> and <see cref="Process"/>, and what neither knows (descriptors) is left out.
/// </summary>
internal sealed class ProcessMetrics : IDisposable
{
    public const string MeterName = "EchoHost.Process";

    private static readonly KeyValuePair<string, object?>[][] GenerationTags =
        [.. Enumerable.Range(0, GC.MaxGeneration + 1).Select(g => new[] { new KeyValuePair<string, object?>("generation", "gen" + g) })];

    private long _exceptions;

    public ProcessMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        AddProcessInstruments(Meter);
        AddRuntimeInstruments(Meter);
        AppDomain.CurrentDomain.FirstChanceException += CountException;
    }

    public Meter Meter { get; }

    public void Dispose() => AppDomain.CurrentDomain.FirstChanceException -= CountException;

    private static void AddProcessInstruments(Meter meter)
    {
        meter.CreateObservableCounter("process.cpu", static () => Environment.CpuUsage.TotalTime.TotalSeconds, "s",
            "Total user and system CPU time spent in seconds.");
        var startTime = StartTimeSeconds();
        meter.CreateObservableGauge("process.start_time", () => startTime, "s",
            "Start time of the process since unix epoch in seconds.");

        if (OperatingSystem.IsLinux())
        {
            meter.CreateObservableGauge("process.resident_memory", static () => ProcFs.TryReadMemory(out _, out var resident) ? One(resident) : [], "By",
                "Resident memory size in bytes.");
            meter.CreateObservableGauge("process.virtual_memory", static () => ProcFs.TryReadMemory(out var size, out _) ? One(size) : [], "By",
                "Virtual memory size in bytes.");
            meter.CreateObservableGauge("process.open_fds", static () => ProcFs.CountOpenDescriptors() is >= 0 and var open ? One(open) : [], "{descriptor}",
                "Number of open file descriptors.");
            meter.CreateObservableGauge("process.max_fds", static () => ProcFs.TryReadMaxOpenFiles(out var limit) ? One(limit) : [], "{descriptor}",
                "Maximum number of open file descriptors.");
            meter.CreateObservableGauge("dotnet.threads", static () => ProcFs.TryReadThreadCount(out var threads) ? One(threads) : [], "{thread}",
                "Number of operating system threads in the process.");
        }
        else
        {
            meter.CreateObservableGauge("process.resident_memory", static () => Environment.WorkingSet, "By",
                "Resident memory size in bytes.");
            meter.CreateObservableGauge("process.virtual_memory", static () => CurrentProcess(p => p.VirtualMemorySize64), "By",
                "Virtual memory size in bytes.");
            meter.CreateObservableGauge("dotnet.threads", static () => CurrentProcess(p => (long)p.Threads.Count), "{thread}",
                "Number of operating system threads in the process.");
        }
    }

    private void AddRuntimeInstruments(Meter meter)
    {
        meter.CreateObservableGauge("dotnet.processors", static () => Environment.ProcessorCount, "{cpu}",
            "Number of processors available to the process.");
        meter.CreateObservableCounter("dotnet.gc.collections", static () => GenerationTags.Select((tags, g) => new Measurement<long>(GC.CollectionCount(g), tags)), "{collection}",
            "Garbage collections since the process started, by generation; a collection of a generation also counts in the younger ones.");
        meter.CreateObservableGauge("dotnet.gc.heap.size", static () => GC.GetTotalMemory(forceFullCollection: false), "By",
            "Bytes currently thought to be allocated on the managed heap.");
        meter.CreateObservableGauge("dotnet.gc.committed", static () => GC.GetGCMemoryInfo().TotalCommittedBytes, "By",
            "Bytes of memory the garbage collector has committed, as of the last collection.");
        meter.CreateObservableCounter("dotnet.gc.allocated", static () => GC.GetTotalAllocatedBytes(precise: false), "By",
            "Bytes allocated on the managed heap since the process started.");
        meter.CreateObservableCounter("dotnet.gc.pause.time", static () => GC.GetTotalPauseDuration().TotalSeconds, "s",
            "Time the garbage collector has paused the process, in seconds.");
        meter.CreateObservableGauge("dotnet.thread_pool.threads", static () => (long)ThreadPool.ThreadCount, "{thread}",
            "Number of thread pool threads.");
        meter.CreateObservableGauge("dotnet.thread_pool.queue.length", static () => ThreadPool.PendingWorkItemCount, "{work_item}",
            "Work items queued to the thread pool and not yet started.");
        meter.CreateObservableCounter("dotnet.thread_pool.work_items", static () => ThreadPool.CompletedWorkItemCount, "{work_item}",
            "Work items the thread pool has completed.");
        meter.CreateObservableCounter("dotnet.monitor.lock_contentions", static () => Monitor.LockContentionCount, "{contention}",
            "Times a thread waited for a lock (Monitor) held by another.");
        meter.CreateObservableGauge("dotnet.timers", static () => Timer.ActiveCount, "{timer}",
            "Number of active timers.");
        meter.CreateObservableCounter("dotnet.exceptions", () => Volatile.Read(ref _exceptions), "{exception}",
            "Exceptions thrown since the exporter started, handled or not.");
    }

    private void CountException(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e) =>
        Interlocked.Increment(ref _exceptions);

    private static Measurement<long>[] One(long value) => [new(value)];

    private static double StartTimeSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return (process.StartTime.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds;
    }

    private static long CurrentProcess(Func<Process, long> read)
    {
        using var process = Process.GetCurrentProcess();
        return read(process);
    }
}
