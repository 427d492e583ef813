using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using EchoHost.LoadGen.Metrics;
using EchoHost.LoadGen.Output;

namespace EchoHost.LoadGen.Compare;

/// <summary>
/// Runs <c>wrk</c> (one thread, pinned to the client CPU) on a URL and reads its summary into a <see cref="RunResult"/>;
/// with a pipeline depth above 1, through <paramref name="pipelineScript"/> (bench/wrk/pipeline.lua), which writes that
/// many requests at once.
/// </summary>
internal sealed partial class WrkRunner(string pipelineScript, int clientCpu)
{
    /// <param name="reportPath">Where wrk's own report of the measured run is kept, or null.</param>
    public RunResult Run(string url, int connections, int pipelineDepth, TimeSpan warmup, TimeSpan duration, int? serverPid, string? reportPath = null)
    {
        if (pipelineDepth > 1 && !File.Exists(pipelineScript))
        {
            throw new InvalidOperationException($"The pipelining script {pipelineScript} is missing.");
        }

        if (warmup > TimeSpan.Zero)
        {
            Execute(Arguments(url, connections, pipelineDepth, warmup));
        }

        var cpu = CpuWindow.Start(serverPid);
        var arguments = Arguments(url, connections, pipelineDepth, duration);
        var text = Execute(arguments);
        cpu.Stop();
        if (reportPath is not null)
        {
            File.WriteAllText(reportPath, $"$ taskset {string.Join(' ', arguments)}{Environment.NewLine}{text}");
        }

        var result = Parse(text, url, connections, duration.TotalSeconds, cpu.ServerPercent);
        return result with { ServerCpuMicrosecondsPerMessage = CpuWindow.MicrosecondsPerMessage(cpu.ServerSeconds, result.Messages) };
    }

    /// <summary>taskset's arguments: wrk pinned to the client CPU, one thread, with the pipelining script when asked.</summary>
    internal IReadOnlyList<string> Arguments(string url, int connections, int pipelineDepth, TimeSpan duration)
    {
        List<string> arguments =
        [
            "-c", clientCpu.ToString(CultureInfo.InvariantCulture), "wrk", "-t1",
            string.Create(CultureInfo.InvariantCulture, $"-c{connections}"),
            string.Create(CultureInfo.InvariantCulture, $"-d{Math.Max(1, (int)duration.TotalSeconds)}s"),
            "--latency",
        ];
        if (pipelineDepth > 1)
        {
            arguments.AddRange(["-s", pipelineScript, url, "--", pipelineDepth.ToString(CultureInfo.InvariantCulture)]);
        }
        else
        {
            arguments.Add(url);
        }

        return arguments;
    }

    /// <summary>Reads wrk's report (with <c>--latency</c>).</summary>
    internal static RunResult Parse(string text, string url, int connections, double seconds, double? serverCpu)
    {
        var requestsPerSecond = Number(RequestsPerSecond(), text);
        var requests = (long)Number(RequestsDone(), text);
        long errors = 0;
        foreach (Match m in SocketErrors().Matches(text))
        {
            for (var g = 1; g <= 4; g++)
            {
                errors += long.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
            }
        }

        var non2xx = (long)Number(Non2xx(), text);
        double Percentile(string p) => Percentiles().Matches(text).Where(m => m.Groups[1].Value == p).Select(m => Microseconds(m.Groups[2].Value, m.Groups[3].Value)).FirstOrDefault();
        var latency = LatencyLine().Match(text);
        var mean = latency.Success ? Microseconds(latency.Groups[1].Value, latency.Groups[2].Value) : 0;
        var max = latency.Success ? Microseconds(latency.Groups[3].Value, latency.Groups[4].Value) : 0;
        return new RunResult
        {
            Workload = "http",
            Target = url,
            Connections = connections,
            Workers = 1,
            Seconds = seconds,
            Messages = requests,
            MessagesPerSecond = requestsPerSecond,
            Latency = new LatencySummary { Count = requests, Mean = mean, P50 = Percentile("50"), P90 = Percentile("90"), P99 = Percentile("99"), Max = max },
            Errors = new Dictionary<string, long> { ["socket"] = errors, ["non2xx"] = non2xx },
            ErrorTotal = errors + non2xx,
            ServerCpuPercent = serverCpu,
            FirstErrors = requests == 0 ? [text.Trim()] : [],
        };
    }

    private static string Execute(IReadOnlyList<string> arguments)
    {
        var info = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in arguments)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("wrk could not be started.");
        var errorText = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"wrk failed ({process.ExitCode}): {errorText.Result}{output}");
    }

    private static double Number(Regex regex, string text) =>
        regex.Match(text) is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

    private static double Microseconds(string value, string unit)
    {
        var number = double.Parse(value, CultureInfo.InvariantCulture);
        return unit switch
        {
            "us" => number,
            "ms" => number * 1000,
            "s" => number * 1_000_000,
            _ => number * 60_000_000,
        };
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"([0-9]+) requests in")]
    private static partial Regex RequestsDone();

    [GeneratedRegex(@"Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)")]
    private static partial Regex SocketErrors();

    [GeneratedRegex(@"Non-2xx or 3xx responses: ([0-9]+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"^\s+(50|75|90|99)%\s+([0-9.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline)]
    private static partial Regex Percentiles();

    [GeneratedRegex(@"Latency\s+([0-9.]+)(us|ms|s|m)\s+[0-9.]+(?:us|ms|s|m)\s+([0-9.]+)(us|ms|s|m)")]
    private static partial Regex LatencyLine();
}
