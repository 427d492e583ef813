using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using EchoHost.LoadGen.Output;

namespace EchoHost.LoadGen.Compare;

/// <summary><c>echohost-load compare</c>: runs the comparison, writes results.json and report.html, prints the table.</summary>
internal sealed class CompareCommand
{
    private readonly Option<string?> Root = new("--root") { Description = "The repository [default: the nearest directory upwards with EchoHost.sln]", HelpName = "DIR" };
    private readonly Option<int> BurstClients = CliOptions.Int("--burst-clients", "Clients of the burst scenario", 10_000);
    private readonly Option<int> HoldConnections = CliOptions.Int("--hold-connections", "Connections of the hold scenario", 10_000);
    private readonly Option<string[]> Server = new("--server") { Description = "An extra server, NAME=COMMAND (repeatable)", HelpName = "NAME=COMMAND" };
    private readonly Option<string?> Servers = new("--servers") { Description = "The servers to run, comma-separated [default: all]" };
    private readonly Option<string?> Scenarios = new("--scenarios") { Description = "The scenarios to run, comma-separated [default: all]" };
    private readonly Option<int> Rounds = CliOptions.Int("--rounds", "Rounds (servers take turns in each)", 3);
    private readonly Option<double> Warmup = CliOptions.Seconds("--warmup", "Seconds of warm-up per run", 2);
    private readonly Option<double> Duration = CliOptions.Seconds("--duration", "Measured seconds per run", 8);
    private readonly Option<double> Hold = CliOptions.Seconds("--hold", "hold: seconds the connections are held", 2);
    private readonly Option<double> Pause = CliOptions.Seconds("--pause", "Seconds between runs", 1);
    private readonly Option<string> Baseline = new("--baseline") { Description = "The server the others are compared with", DefaultValueFactory = _ => "sockets" };
    private readonly Option<int> ServerCpu = CliOptions.Int("--server-cpu", "The CPU the servers are pinned to", 0, 0);
    private readonly Option<int> ClientCpu = CliOptions.Int("--client-cpu", "The CPU the client is pinned to", 1, 0);
    private readonly Option<int> SourceAddresses = CliOptions.Int("--source-addresses", "Source addresses for burst and hold", 4, 1, 254);
    private readonly Option<string?> Out = new("--out") { Description = "Where results.json and report.html go [default: bench/out/compare-STAMP]", HelpName = "DIR" };

    public static Command Create() => new CompareCommand().Build();

    private Command Build()
    {
        var command = new Command("compare", "Servers take turns under the same load; writes results.json and report.html (see bench/compare.sh)")
        {
            Root, BurstClients, HoldConnections, Server, Servers, Scenarios, Rounds, Warmup, Duration, Hold, Pause, Baseline, ServerCpu, ClientCpu, SourceAddresses, Out,
        };
        command.Validators.Add(result =>
        {
            if (ResolveRoot(result.GetValue(Root)) is not { } root)
            {
                result.AddError("Run echohost-load from the repository (or give --root DIR).");
                return;
            }

            if (Choose(root, result.GetValue(BurstClients), result.GetValue(HoldConnections), result.GetValue(Server) ?? [], result.GetValue(Servers), result.GetValue(Scenarios), out _, out _) is { } problem)
            {
                result.AddError(problem);
            }
        });
        command.SetAction(parse => Run(parse, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    private int Run(ParseResult line, TextWriter output, TextWriter error)
    {
        var root = ResolveRoot(line.GetValue(Root))!;
        Choose(root, line.GetValue(BurstClients), line.GetValue(HoldConnections), line.GetValue(Server) ?? [], line.GetValue(Servers), line.GetValue(Scenarios), out var chosenServers, out var chosenScenarios);
        var stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var cClient = Path.Combine(root, "bench/out/loadgen");
        var settings = new CompareSettings
        {
            Servers = chosenServers,
            Scenarios = chosenScenarios,
            Rounds = line.GetValue(Rounds),
            Warmup = TimeSpan.FromSeconds(line.GetValue(Warmup)),
            Duration = TimeSpan.FromSeconds(line.GetValue(Duration)),
            Hold = TimeSpan.FromSeconds(line.GetValue(Hold)),
            Pause = TimeSpan.FromSeconds(line.GetValue(Pause)),
            Baseline = line.GetValue(Baseline)!,
            ServerCpu = line.GetValue(ServerCpu),
            ClientCpu = line.GetValue(ClientCpu),
            SourceAddresses = line.GetValue(SourceAddresses),
            CClient = File.Exists(cClient) ? cClient : null,
            PipelineScript = Path.Combine(root, "bench/wrk/pipeline.lua"),
            OutputDirectory = line.GetValue(Out) ?? Path.Combine(root, "bench/out", $"compare-{stamp}"),
            CommandLine = "echohost-load " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
        };
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

    /// <summary>
    /// The servers (the defaults and each --server NAME=COMMAND) and scenarios chosen by name; what is wrong with the
    /// choice (an unknown name, a --server without '='), or null.
    /// </summary>
    private static string? Choose(
        string root, int burstClients, int heldConnections, string[] extraServers, string? serverNames, string? scenarioNames,
        out List<ServerSpec> chosenServers, out List<Scenario> chosenScenarios)
    {
        chosenServers = [];
        chosenScenarios = [];
        var servers = ServerSpec.Defaults(root).ToDictionary(s => s.Name);
        foreach (var extra in extraServers)
        {
            var equals = extra.IndexOf('=', StringComparison.Ordinal);
            if (equals < 1)
            {
                return $"--server wants NAME=COMMAND, not '{extra}'.";
            }

            servers[extra[..equals]] = new ServerSpec(extra[..equals], extra[(equals + 1)..]);
        }

        var scenarios = Scenario.All(burstClients, heldConnections).ToDictionary(s => s.Name);
        return Select(serverNames, servers, "server", out chosenServers) ?? Select(scenarioNames, scenarios, "scenario", out chosenScenarios);
    }

    private static string? Select<T>(string? names, Dictionary<string, T> known, string what, out List<T> chosen)
    {
        chosen = [];
        foreach (var name in names?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [.. known.Keys])
        {
            if (!known.TryGetValue(name, out var item))
            {
                return $"Unknown {what} '{name}' (known: {string.Join(", ", known.Keys)}).";
            }

            chosen.Add(item);
        }

        return null;
    }

    /// <summary>--root, or the repository above the working directory; null when there is none.</summary>
    internal static string? ResolveRoot(string? given) => given ?? Search(Directory.GetCurrentDirectory());

    /// <summary>The repository's root: the nearest directory upwards from <paramref name="start"/> that holds EchoHost.sln.</summary>
    internal static string FindRoot(string start) => Search(start) ?? throw new InvalidOperationException($"No EchoHost.sln in {start} or above it.");

    private static string? Search(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EchoHost.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
