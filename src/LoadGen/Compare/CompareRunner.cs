using System.Globalization;
using EchoHost.LoadGen.Output;
using EchoHost.LoadGen.Workloads;

namespace EchoHost.LoadGen.Compare;

/// <summary>
/// Servers take turns under the same client: for each round, for each scenario, each server (in an order that
/// rotates per round) is started fresh, measured and stopped. The summary holds the medians over the rounds and the
/// ratios to the baseline.
/// </summary>
internal sealed class CompareRunner(CompareSettings settings, IServerLauncher launcher, TextWriter log)
{
    /// <summary>The two clients of the client check.</summary>
    public const string ThisClient = "echohost-load";
    public const string CClient = "loadgen.c";

    public ComparisonResults Run()
    {
        Directory.CreateDirectory(settings.OutputDirectory);
        var results = new ComparisonResults
        {
            Started = DateTimeOffset.Now.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture),
            Machine = Machine.Describe(settings),
            Baseline = settings.Baseline,
            Rounds = settings.Rounds,
            Servers = settings.Servers.Select(s => new ServerEntry { Name = s.Name, Command = s.Command }).ToList(),
        };
        for (var round = 1; round <= settings.Rounds; round++)
        {
            foreach (var scenario in settings.Scenarios)
            {
                var participants = Participants(scenario);
                for (var k = 0; k < participants.Count; k++)
                {
                    // Rotate the order each round (A B C, B C A, ...) so that no one always goes first.
                    var participant = participants[(k + round - 1) % participants.Count];
                    var run = RunOne(round, scenario, participant);
                    results.Runs.Add(run);
                    log.WriteLine(Describe(run));
                    Thread.Sleep(settings.Pause);
                }
            }
        }

        results.Summary.AddRange(Summarize(results));
        return results;
    }

    /// <summary>The servers a scenario runs on, or for the client check, the two clients.</summary>
    private List<string> Participants(Scenario scenario) => scenario.Kind switch
    {
        ScenarioKind.ClientCheck => settings.CClient is not null && settings.Servers.Any(s => s.Name == "c") ? [ThisClient, CClient] : [],
        _ => settings.Servers.Where(s => s.Has(scenario.Endpoint)).Select(s => s.Name).ToList(),
    };

    /// <summary>
    /// The participant a scenario's ratios are taken to: the C client in the client check; in the plaintext
    /// application's scenarios, the baseline's plaintext twin (plaintext-sockets for sockets).
    /// </summary>
    private string BaselineOf(Scenario scenario) => scenario.Kind == ScenarioKind.ClientCheck ? CClient
        : scenario.Endpoint == ServerEndpoint.Plaintext ? ServerSpec.PlaintextPrefix + settings.Baseline
        : settings.Baseline;

    private ComparisonRun RunOne(int round, Scenario scenario, string participant)
    {
        var serverName = scenario.Kind == ScenarioKind.ClientCheck ? "c" : participant;
        var server = settings.Servers.First(s => s.Name == serverName);
        var logPath = Path.Combine(settings.OutputDirectory, $"r{round}-{scenario.Name}-{participant}.log");
        RunningServer running;
        try
        {
            running = launcher.Start(server, logPath);
        }
        catch (InvalidOperationException e)
        {
            return new ComparisonRun { Round = round, Scenario = scenario.Name, Participant = participant, Status = "failed", Detail = e.Message };
        }

        using (running)
        {
            RunResult result;
            try
            {
                result = Measure(scenario, participant, running, Path.ChangeExtension(logPath, ".wrk.txt"));
            }
            catch (InvalidOperationException e)
            {
                return new ComparisonRun { Round = round, Scenario = scenario.Name, Participant = participant, Status = "failed", Detail = e.Message };
            }

            var status = !running.IsAlive ? "server_died" : result.ErrorTotal + result.WarmupErrors > 0 ? "errors" : "ok";
            return new ComparisonRun { Round = round, Scenario = scenario.Name, Participant = participant, Status = status, Result = result, Detail = result.FirstErrors.Count > 0 ? result.FirstErrors[0] : null };
        }
    }

    private RunResult Measure(Scenario scenario, string participant, RunningServer server, string wrkReportPath)
    {
        switch (scenario.Kind)
        {
            case ScenarioKind.Http:
                var http = scenario.Http!;
                var port = http.Endpoint == ServerEndpoint.Plaintext ? server.PlaintextPort : server.HttpPort;
                var url = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}{http.Path}");
                var wrk = new WrkRunner(settings.PipelineScript, settings.ClientCpu);
                return wrk.Run(url, scenario.Connections, http.PipelineDepth, settings.Warmup, settings.Duration, server.Pid, wrkReportPath);
            case ScenarioKind.ClientCheck when participant == CClient:
                return CClientRunner.Run(settings.CClient!, server, scenario.Connections, scenario.Size, settings.Warmup, settings.Duration, settings.ClientCpu);
            default:
                var target = scenario.Endpoint == ServerEndpoint.Framed ? server.Echo with { Port = (ushort)server.FramedPort!.Value } : server.Echo;
                var spread = scenario.Workload is WorkloadKind.Burst or WorkloadKind.Hold ? settings.SourceAddresses : 1;
                return new LoadRunner(
                    new LoadSettings
                    {
                        Workload = scenario.Workload,
                        Target = target,
                        Connections = scenario.Connections,
                        Size = scenario.Size,
                        Warmup = settings.Warmup,
                        Duration = settings.Duration,
                        Hold = settings.Hold,
                        Workers = settings.Workers,
                        SourceAddresses = spread,
                        ServerPid = server.Pid,
                    },
                    null).Run();
        }
    }

    private static string Describe(ComparisonRun run)
    {
        var head = string.Create(CultureInfo.InvariantCulture, $"[round {run.Round}] {run.Scenario,-22} {run.Participant,-17}");
        if (run.Result is not { } r)
        {
            return $"{head} {run.Status}: {run.Detail}";
        }

        var figure = r.Workload switch
        {
            "burst" => string.Create(CultureInfo.InvariantCulture, $"{r.WallMilliseconds:N0} ms wall (connects issued in {r.ConnectsIssuedMilliseconds:N0} ms), {r.Messages:N0} ok, mean {r.Latency.Mean / 1000:N1} ms, {r.Kernel?.ListenOverflows} listen overflows, {r.Kernel?.SynRetransmits} SYN retransmits"),
            "hold" => string.Create(CultureInfo.InvariantCulture, $"{r.KibPerConnection:F2} KiB/connection ({r.IdleRssKib:N0} -> {r.HeldRssKib:N0} KiB), {r.AliveAfterHold:N0} alive"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{r.MessagesPerSecond:N0}/s, p50 {r.Latency.P50:N1} µs, p99 {r.Latency.P99:N1} µs, server CPU {r.ServerCpuPercent:N0} % ({r.ServerCpuMicrosecondsPerMessage:N1} µs per message)"),
        };
        return string.Create(CultureInfo.InvariantCulture, $"{head} {figure}, {r.ErrorTotal + r.WarmupErrors} errors{(run.Status == "ok" ? "" : $" [{run.Status}]")}");
    }

    private IEnumerable<SummaryRow> Summarize(ComparisonResults results)
    {
        foreach (var scenario in settings.Scenarios)
        {
            var participants = Participants(scenario);
            var baseline = BaselineOf(scenario);
            var first = true;
            foreach (var metric in scenario.Metrics)
            {
                var row = new SummaryRow
                {
                    Scenario = scenario.Name,
                    Title = scenario.Title,
                    Metric = metric.Name,
                    Unit = metric.Unit,
                    HigherIsBetter = metric.HigherIsBetter,
                    Headline = first,
                    Baseline = baseline,
                };
                first = false;
                foreach (var participant in participants)
                {
                    var runs = results.Runs.Where(r => r.Scenario == scenario.Name && r.Participant == participant && r.Result is not null).OrderBy(r => r.Round).ToList();
                    var values = runs.Select(r => metric.Read(r.Result!)).OfType<double>().ToList();
                    row.Errors[participant] = runs.Sum(r => r.Result!.ErrorTotal + r.Result.WarmupErrors) + results.Runs.Count(r => r.Scenario == scenario.Name && r.Participant == participant && r.Result is null);
                    if (values.Count > 0)
                    {
                        row.Values[participant] = values;
                        row.Medians[participant] = Median(values);
                    }
                }

                if (row.Medians.TryGetValue(baseline, out var b) && b != 0)
                {
                    foreach (var (participant, median) in row.Medians)
                    {
                        row.Ratios[participant] = median / b;
                    }
                }

                yield return row;
            }
        }
    }

    internal static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        var n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }
}
