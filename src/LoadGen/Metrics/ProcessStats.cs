using System.Globalization;
using EchoHost.Metrics;

namespace EchoHost.LoadGen.Metrics;

/// <summary>Another process's memory, descriptors and CPU time, read from /proc by the service's <see cref="ProcFs"/>.</summary>
internal static class ProcessStats
{
    /// <summary>The resident size of <paramref name="pid"/> in KiB (VmRSS), or null when it cannot be read.</summary>
    public static long? ResidentKib(int pid) =>
        ProcFs.TryReadMemory(out _, out var resident, Process(pid)) ? resident / 1024 : null;

    /// <summary>The median of five samples of <see cref="ResidentKib"/> 200 ms apart, or null when none could be read.</summary>
    public static long? MedianResidentKib(int pid)
    {
        var samples = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            if (ResidentKib(pid) is long kib)
            {
                samples.Add(kib);
            }

            Thread.Sleep(200);
        }

        samples.Sort();
        return samples.Count > 0 ? samples[samples.Count / 2] : null;
    }

    /// <summary>Open file descriptors of <paramref name="pid"/> (entries of /proc/PID/fd), or null when they cannot be listed.</summary>
    public static int? OpenDescriptors(int pid) => ProcFs.CountOpenDescriptors(Process(pid)) is >= 0 and var open ? (int)open : null;

    /// <summary>User plus system CPU seconds of <paramref name="pid"/> (utime + stime), or null.</summary>
    public static double? CpuSeconds(int pid) => ProcFs.TryReadCpuSeconds(out var seconds, Process(pid)) ? seconds : null;

    private static string Process(int pid) => pid.ToString(CultureInfo.InvariantCulture);
}
