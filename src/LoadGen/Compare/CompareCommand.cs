using System.Globalization;
using System.Runtime.InteropServices;
using EchoHost.LoadGen.Output;

namespace EchoHost.LoadGen.Compare;

/// <summary><c>echohost-load compare</c>: runs the comparison, writes results.json and report.html, prints the table.</summary>
internal static class CompareCommand
{
    public static int Run(CommandLine line, TextWriter output, TextWriter error)
    {
        var root = line.String("root") ?? FindRoot(Directory.GetCurrentDirectory());
        var burstClients = line.Int("burst-clients", 10_000);
        var heldConnections = line.Int("hold-connections", 10_000);
        var scenarios = Scenario.All(burstClients, heldConnections);
        var servers = ServerSpec.Defaults(root).ToDictionary(s => s.Name);
        foreach (var extra in line.All("server"))
        {
            var equals = extra.IndexOf('=', StringComparison.Ordinal);
            if (equals < 1)
            {
                throw new UsageException("--server wants NAME=COMMAND.");
            }

            servers[extra[..equals]] = new ServerSpec(extra[..equals], extra[(equals + 1)..]);
        }

        var chosenServers = Select(line.String("servers"), servers, "server");
        var chosenScenarios = Select(line.String("scenarios"), scenarios.ToDictionary(s => s.Name), "scenario");
        var stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var cClient = Path.Combine(root, "bench/out/loadgen");
        var settings = new CompareSettings
        {
            Servers = chosenServers,
            Scenarios = chosenScenarios,
            Rounds = line.Int("rounds", 3),
            Warmup = line.Seconds("warmup", 2),
            Duration = line.Seconds("duration", 8),
            Hold = line.Seconds("hold", 2),
            Pause = line.Seconds("pause", 1),
            Baseline = line.String("baseline") ?? "sockets",
            ServerCpu = line.Int("server-cpu", 0),
            ClientCpu = line.Int("client-cpu", 1),
            SourceAddresses = line.Int("source-addresses", 4),
            CClient = File.Exists(cClient) ? cClient : null,
            PipelineScript = Path.Combine(root, "bench/wrk/pipeline.lua"),
            OutputDirectory = line.String("out") ?? Path.Combine(root, "bench/out", $"compare-{stamp}"),
            CommandLine = "echohost-load " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
        };
        line.RejectUnread();
        if (settings.Rounds < 1)
        {
            throw new UsageException("--rounds must be at least 1.");
        }

        var launcher = new ProcessLauncher(root, settings.ServerCpu);

        // Interrupted: the server of the run in progress is stopped rather than left behind.
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => launcher.StopAll());
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => launcher.StopAll());
        var results = new CompareRunner(settings, launcher, output).Run();
        var json = Path.Combine(settings.OutputDirectory, "results.json");
        var html = Path.Combine(settings.OutputDirectory, "report.html");
        File.WriteAllText(json, JsonOutput.Serialize(results) + Environment.NewLine);
        File.WriteAllText(html, HtmlReport.Render(results));
        output.WriteLine();
        output.Write(SummaryTable.Format(results));
        output.WriteLine();
        output.WriteLine($"results: {json}");
        output.WriteLine($"report:  {html}");
        var failed = results.Runs.Count(r => r.Status != "ok");
        if (failed > 0)
        {
            error.WriteLine($"echohost-load compare: {failed} run(s) had errors or failed; see the status of each run in {json}");
        }

        return failed == 0 ? 0 : 1;
    }

    private static List<T> Select<T>(string? names, IReadOnlyDictionary<string, T> known, string what)
    {
        if (names is null)
        {
            return [.. known.Values];
        }

        return names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => known.TryGetValue(n, out var item) ? item : throw new UsageException($"Unknown {what} '{n}' (known: {string.Join(", ", known.Keys)})."))
            .ToList();
    }

    /// <summary>The repository's root: the nearest directory upwards that holds EchoHost.sln.</summary>
    internal static string FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EchoHost.sln")))
            {
                return dir.FullName;
            }
        }

        throw new UsageException("Run echohost-load from the repository (or give --root DIR).");
    }
}
