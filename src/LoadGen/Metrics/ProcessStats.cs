using System.Globalization;

namespace EchoHost.LoadGen.Metrics;

/// <summary>A process's memory and CPU time, read from /proc.</summary>
internal static class ProcessStats
{
    /// <summary>Clock ticks per second of /proc/PID/stat's times (USER_HZ, 100 on every Linux build in use).</summary>
    private const double ClockTicksPerSecond = 100;

    /// <summary>VmRSS of <paramref name="pid"/> in KiB, or null when it cannot be read.</summary>
    public static long? ResidentKib(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

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
    public static int? OpenDescriptors(int pid)
    {
        try
        {
            return Directory.GetFiles($"/proc/{pid}/fd").Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>User plus system CPU seconds of <paramref name="pid"/> (utime + stime), or null.</summary>
    public static double? CpuSeconds(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }

        // The command name may hold spaces and parentheses: the fields start after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');

        // fields[0] is state (field 3); utime and stime are fields 14 and 15.
        return fields.Length > 12 &&
            long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user) &&
            long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system)
            ? (user + system) / ClockTicksPerSecond
            : null;
    }
}
