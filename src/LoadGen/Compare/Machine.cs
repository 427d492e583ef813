using System.Globalization;
using System.Runtime.InteropServices;

namespace EchoHost.LoadGen.Compare;

/// <summary>What the comparison ran on, for the report.</summary>
internal static class Machine
{
    public static MachineInfo Describe(CompareSettings settings) => new()
    {
        Cpu = ReadCpuModel(),
        Cpus = CountCpus(),
        Kernel = $"{RuntimeInformation.OSDescription}, Linux {ReadFirst("/proc/sys/kernel/osrelease", 1).Trim()}",
        Runtime = RuntimeInformation.FrameworkDescription,
        LoadAverage = ReadFirst("/proc/loadavg", 3),
        Pinning = string.Create(CultureInfo.InvariantCulture, $"server on CPU {settings.ServerCpu}, client on CPU {settings.ClientCpu} (taskset)"),
        Command = settings.CommandLine,
    };

    private static string ReadCpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>The machine's CPUs (the process's own count is that of its affinity mask).</summary>
    private static int CountCpus()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").Count(l => l.StartsWith("processor", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return Environment.ProcessorCount;
        }
    }

    private static string ReadFirst(string path, int fields)
    {
        try
        {
            return string.Join(' ', File.ReadAllText(path).Split(' ').Take(fields));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
