using System.CommandLine;
using System.CommandLine.Parsing;
using EchoHost.LoadGen.Engine;
using EchoHost.LoadGen.Output;
using EchoHost.LoadGen.Workloads;

namespace EchoHost.LoadGen;

/// <summary>One workload's command (<c>echohost-load pingpong …</c>): its options, checked before anything connects, and the run.</summary>
internal sealed class WorkloadCommand
{
    private static readonly Dictionary<WorkloadKind, string> Descriptions = new()
    {
        [WorkloadKind.PingPong] = "N connections, each sends S bytes and waits for them back, over and over",
        [WorkloadKind.Rate] = "Open loop: R messages/s over N connections, latency from the intended send time",
        [WorkloadKind.Burst] = "N clients connect at once, echo S bytes, close: wall time and latency",
        [WorkloadKind.Hold] = "Open N connections, verify each, hold them, verify again (with --server-pid: RSS per connection)",
        [WorkloadKind.Rtt] = "One connection, one message at a time: round-trip statistics",
        [WorkloadKind.FramedPingPong] = "pingpong with Echo requests of the framed protocol (S bytes of Data)",
        [WorkloadKind.FramedRate] = "rate with Echo requests of the framed protocol",
    };

    private readonly WorkloadKind _kind;
    private readonly Argument<IPv4Endpoint?> _server = new("server")
    {
        Description = "The server as ADDRESS:PORT (IPv4), instead of --host and --port",
        Arity = ArgumentArity.ZeroOrOne,
        CustomParser = CliOptions.ParseTarget,
    };

    private readonly Option<IPv4Endpoint?> _host = new("--host") { Description = "Server address, or ADDRESS:PORT [default: 127.0.0.1]", CustomParser = CliOptions.ParseTarget };
    private readonly Option<int?> _port = new("--port") { Description = "Server port (required, unless the server is given as ADDRESS:PORT)", CustomParser = result => CliOptions.ParsePort(result) };
    private readonly Option<int> _connections;
    private readonly Option<int> _size;
    private readonly Option<double> _warmup = CliOptions.Seconds("--warmup", "Seconds before the measured window; burst and hold: ping-pong warm-up first", 2);
    private readonly Option<double> _duration = CliOptions.Seconds("--duration", "Measured seconds", 10);
    private readonly Option<double> _rate = CliOptions.Positive("--rate", "rate, framed-rate: messages per second in all", new LoadSettings { Workload = default, Target = default }.Rate);
    private readonly Option<int> _workers = CliOptions.Int("--workers", "Worker threads (the CPUs available, at most 4)", new LoadSettings { Workload = default, Target = default }.Workers);
    private readonly Option<int> _sourceAddresses = CliOptions.Int("--source-addresses", "Spread connections over 127.0.0.1 .. 127.0.0.K (1: the kernel chooses)", 1, 1, 254);
    private readonly Option<int> _serverPid = CliOptions.Int("--server-pid", "The server's process: its CPU use, and for hold its RSS (0: none)", 0, 0);
    private readonly Option<double> _hold = CliOptions.Seconds("--hold", "hold: seconds the connections are held before the RSS is sampled", 2);
    private readonly Option<double> _timeout = CliOptions.Seconds("--timeout", "burst, hold: deadline of each stage", 60);
    private readonly Option<int> _window = CliOptions.Int("--window", "hold: connections opened or checked at once per worker", new LoadSettings { Workload = default, Target = default }.Window);
    private readonly Option<string?> _json = new("--json") { Description = "Also write the result as JSON to FILE ('-' for stdout)", HelpName = "FILE" };
    private readonly Option<string> _format = new Option<string>("--format") { Description = "What goes to stdout", DefaultValueFactory = _ => "table" }.AcceptOnlyFromAmong("table", "json");
    private readonly Option<bool> _quiet = new("--quiet") { Description = "No progress display on stderr" };

    private WorkloadCommand(WorkloadKind kind)
    {
        _kind = kind;
        _connections = CliOptions.Int("--connections", "Connections", kind switch
        {
            WorkloadKind.Burst or WorkloadKind.Hold => 10_000,
            WorkloadKind.Rtt => 1,
            _ => 50,
        });
        _size = CliOptions.Int("--size", "Message bytes", kind == WorkloadKind.Burst ? 100 : 64);
    }

    /// <summary>The commands of every workload.</summary>
    public static IEnumerable<Command> CreateAll() =>
        WorkloadKinds.ByName.Select(pair => new WorkloadCommand(pair.Value).Create(pair.Key));

    private Command Create(string name)
    {
        var command = new Command(name, Descriptions[_kind])
        {
            _server, _host, _port, _connections, _size, _warmup, _duration, _rate, _workers, _sourceAddresses, _serverPid, _hold, _timeout, _window, _json, _format, _quiet,
        };
        command.Validators.Add(Validate);
        command.SetAction(Run);
        return command;
    }

    private void Validate(CommandResult command)
    {
        IPv4Endpoint? server, host;
        try
        {
            server = command.GetValue(_server);
            host = command.GetValue(_host);
        }
        catch (InvalidOperationException)
        {
            // A server or host that did not parse has its own error already.
            return;
        }

        var givenPort = command.GetResult(_port) is not null;
        if (server is not null && command.GetResult(_host) is { Implicit: false })
        {
            command.AddError("Give the server once: as an argument or with --host.");
        }
        else if ((server ?? host)?.Port is > 0 && givenPort)
        {
            command.AddError("Give the port once: in ADDRESS:PORT or with --port.");
        }
        else if ((server ?? host)?.Port is not > 0 && !givenPort)
        {
            command.AddError("--port is required (1 to 65535), or give the server as ADDRESS:PORT.");
        }
        else if (command.GetValue(_sourceAddresses) > 1 && !Target(command.GetValue(_port), server ?? host).IsLoopback)
        {
            command.AddError("--source-addresses spreads over 127.0.0.0/8: the target must be a loopback address.");
        }

        if (_kind == WorkloadKind.Hold && command.GetValue(_serverPid) is > 0 and var pid && Metrics.ProcessStats.ResidentKib(pid) is null)
        {
            command.AddError($"Cannot read /proc/{pid}/status for --server-pid.");
        }
    }

    private static IPv4Endpoint Target(int? port, IPv4Endpoint? given)
    {
        var target = given ?? new IPv4Endpoint(0x7F00_0001, 0);
        return target.Port > 0 ? target : target with { Port = (ushort)(port ?? 0) };
    }

    private int Run(ParseResult parse)
    {
        var (output, error) = (parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
        var pid = parse.GetValue(_serverPid);
        var settings = new LoadSettings
        {
            Workload = _kind,
            Target = Target(parse.GetValue(_port), parse.GetValue(_server) ?? parse.GetValue(_host)),
            Connections = parse.GetValue(_connections),
            Size = parse.GetValue(_size),
            Warmup = TimeSpan.FromSeconds(parse.GetValue(_warmup)),
            Duration = TimeSpan.FromSeconds(parse.GetValue(_duration)),
            Rate = parse.GetValue(_rate),
            Workers = parse.GetValue(_workers),
            SourceAddresses = parse.GetValue(_sourceAddresses),
            ServerPid = pid > 0 ? pid : null,
            Hold = TimeSpan.FromSeconds(parse.GetValue(_hold)),
            Timeout = TimeSpan.FromSeconds(parse.GetValue(_timeout)),
            Window = parse.GetValue(_window),
        };
        var json = parse.GetValue(_json);
        var format = parse.GetValue(_format);

        var result = new LoadRunner(settings, parse.GetValue(_quiet) ? null : error).Run();
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
