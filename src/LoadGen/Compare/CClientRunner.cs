using System.Diagnostics;
using System.Globalization;
using EchoHost.LoadGen.Metrics;
using EchoHost.LoadGen.Output;

namespace EchoHost.LoadGen.Compare;

/// <summary>Runs the minimal C client (bench/out/loadgen) for ping-pong and reads its result line.</summary>
internal static class CClientRunner
{
    public static RunResult Run(string loadgen, RunningServer server, int connections, int size, TimeSpan warmup, TimeSpan duration, int clientCpu)
    {
        var info = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            "-c", clientCpu.ToString(CultureInfo.InvariantCulture), loadgen, "pingpong",
            "--port", server.Echo.Port.ToString(CultureInfo.InvariantCulture),
            "--connections", connections.ToString(CultureInfo.InvariantCulture),
            "--size", size.ToString(CultureInfo.InvariantCulture),
            "--warmup", warmup.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            "--duration", duration.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            "--pid", server.Pid.ToString(CultureInfo.InvariantCulture),
        })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{loadgen} could not be started.");
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("result ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{loadgen} gave no result ({process.ExitCode}): {errors.Result}");
        var fields = line.Split(' ').Select(f => f.Split('=', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);
        double Field(string name) => fields.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : 0;
        var errorCount = (long)Field("errors");
        return new RunResult
        {
            Workload = "pingpong",
            Target = server.Echo.ToString(),
            Connections = connections,
            Size = size,
            WireSize = size,
            Workers = 1,
            WarmupSeconds = warmup.TotalSeconds,
            Seconds = Field("seconds"),
            Messages = (long)Field("messages"),
            MessagesPerSecond = Field("msgs_per_sec"),
            Latency = new LatencySummary { Count = (long)Field("messages"), Mean = Field("avg_rtt_us") },
            Errors = new Dictionary<string, long> { ["all"] = errorCount },
            ErrorTotal = errorCount + (process.ExitCode == 0 ? 0 : 1),
            ClientCpuPercent = Field("client_cpu_pct"),
            ServerCpuPercent = Field("server_cpu_pct"),
            ServerCpuMicrosecondsPerMessage = CpuWindow.MicrosecondsPerMessage(Field("server_cpu_pct") / 100 * Field("seconds"), (long)Field("messages")),
        };
    }
}
