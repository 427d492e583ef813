using EchoHost.LoadGen.Compare;
using EchoHost.LoadGen.Engine;
using EchoHost.LoadGen.Output;
using EchoHost.LoadGen.Workloads;

namespace EchoHost.LoadGen;

/// <summary>The <c>echohost-load</c> commands: one workload against a server, <c>compare</c>, <c>report</c>.</summary>
internal static class Cli
{
    private const string Usage = """
        usage: echohost-load WORKLOAD --port P [options]
               echohost-load compare [options]          (see bench/compare.sh and docs/benchmarks-howto.md)
               echohost-load report RESULTS.json -o REPORT.html
               echohost-load soak [options]             (see bench/soak.sh and docs/soak.md)

        workloads:
          pingpong         N connections, each sends S bytes and waits for them back, over and over
          rate             open loop: R messages/s over N connections, latency from the intended send time
          burst            N clients connect at once, echo S bytes (100), close: wall time and latency
          hold             open N connections, verify each, hold them, verify again (with --server-pid: RSS per connection)
          rtt              one connection, one message at a time: round-trip statistics
          framed-pingpong  pingpong with Echo requests of the framed protocol (S bytes of Data)
          framed-rate      rate with Echo requests of the framed protocol

        options:
          --host A               server address (127.0.0.1)
          --port P               server port (required)
          --connections N        connections (50; burst and hold 10000; rtt 1)
          --size S               message bytes (64; burst 100)
          --warmup T             seconds before the measured window (2); burst and hold: ping-pong warm-up first
          --duration T           measured seconds (10)
          --rate R               rate, framed-rate: messages per second in all (10000)
          --workers W            worker threads (the CPUs available, at most 4)
          --source-addresses K   spread connections over 127.0.0.1 .. 127.0.0.K (1: the kernel chooses)
          --server-pid PID       the server's process: its CPU use, and for hold its RSS
          --hold T               hold: seconds the connections are held before the RSS is sampled (2)
          --timeout T            burst, hold: deadline of each stage (60)
          --window N             hold: connections opened or checked at once per worker (256)
          --json FILE            also write the result as JSON to FILE ('-' for stdout)
          --format table|json    what goes to stdout (table)
          --quiet                no progress display on stderr
        exit status: 0 when every byte came back as sent, 1 when any error or mismatch was counted, 2 on bad usage.
        """;

    private static readonly HashSet<string> s_flags = ["quiet", "help"];

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                output.WriteLine(Usage);
                return args.Length == 0 ? 2 : 0;
            }

            var line = CommandLine.Parse(args, s_flags);
            ResourceLimits.RaiseDescriptorLimit();
            return line.Command switch
            {
                "compare" => CompareCommand.Run(line, output, error),
                "report" => ReportCommand.Run(line, output),
                "soak" => Soak.SoakCommand.Run(line, output, error),
                _ when WorkloadKinds.ByName.TryGetValue(line.Command, out var kind) => RunWorkload(kind, line, output, error),
                _ => throw new UsageException($"Unknown command '{line.Command}'."),
            };
        }
        catch (UsageException e)
        {
            error.WriteLine($"echohost-load: {e.Message}");
            error.WriteLine("Run 'echohost-load --help' for the options.");
            return 2;
        }
    }

    /// <summary>The settings of a workload from its options (shared with compare's per-scenario options).</summary>
    public static LoadSettings ReadSettings(WorkloadKind kind, CommandLine line)
    {
        var port = line.Int("port", -1);
        if (port is < 1 or > 65535)
        {
            throw new UsageException("--port is required (1 to 65535).");
        }

        var defaults = new LoadSettings { Workload = kind, Target = default };
        var pid = line.Int("server-pid", 0);
        return defaults with
        {
            Target = IPv4Endpoint.Parse(line.String("host") ?? "127.0.0.1", port),
            Connections = line.Int("connections", kind switch
            {
                WorkloadKind.Burst or WorkloadKind.Hold => 10_000,
                WorkloadKind.Rtt => 1,
                _ => 50,
            }),
            Size = line.Int("size", kind == WorkloadKind.Burst ? 100 : 64),
            Warmup = line.Seconds("warmup", 2),
            Duration = line.Seconds("duration", 10),
            Rate = line.Double("rate", defaults.Rate),
            Workers = line.Int("workers", defaults.Workers),
            SourceAddresses = line.Int("source-addresses", 1),
            ServerPid = pid > 0 ? pid : null,
            Hold = line.Seconds("hold", 2),
            Timeout = line.Seconds("timeout", 60),
            Window = line.Int("window", defaults.Window),
        };
    }

    private static int RunWorkload(WorkloadKind kind, CommandLine line, TextWriter output, TextWriter error)
    {
        var settings = ReadSettings(kind, line);
        var quiet = line.Flag("quiet");
        var json = line.String("json");
        var format = line.String("format") ?? "table";
        if (format is not ("table" or "json"))
        {
            throw new UsageException("--format is table or json.");
        }

        line.RejectUnread();
        if (kind == WorkloadKind.Hold && settings.ServerPid is int pid && Metrics.ProcessStats.ResidentKib(pid) is null)
        {
            throw new UsageException($"Cannot read /proc/{pid}/status for --server-pid.");
        }

        var result = new LoadRunner(settings, quiet ? null : error).Run();
        var text = JsonOutput.Serialize(result);
        if (json == "-" || format == "json")
        {
            output.WriteLine(text);
        }

        if (json is not null and not "-")
        {
            File.WriteAllText(json, text + Environment.NewLine);
        }

        if (format == "table")
        {
            output.Write(ResultTable.Format(result));
        }

        return result.ErrorTotal + result.WarmupErrors == 0 ? 0 : 1;
    }
}
