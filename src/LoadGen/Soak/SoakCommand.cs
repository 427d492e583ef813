using System.CommandLine;
using EchoHost.LoadGen.Compare;

namespace EchoHost.LoadGen.Soak;

/// <summary><c>echohost-load soak</c>: the built service under mixed, churning and hostile load; see docs/soak.md.</summary>
internal sealed class SoakCommand
{
    private static readonly SoakSettings Defaults = new() { Root = "" };

    private readonly Option<string?> _root = new("--root") { Description = "The repository, whose built service is started [default: the nearest directory upwards with EchoHost.sln]", HelpName = "DIR" };
    private readonly Option<string> _server = new Option<string>("--server") { Description = "The service's transport: native (the engine Auto picks: io_uring on Linux), native-epoll (the epoll engine) or sockets", DefaultValueFactory = _ => Defaults.Server }.AcceptOnlyFromAmong("native", "native-epoll", "sockets");
    private readonly Option<double> _duration = CliOptions.Seconds("--duration", "Seconds of load after the warm-up", Defaults.Duration.TotalSeconds, least: 0.001);
    private readonly Option<double> _warmup = CliOptions.Seconds("--warmup", "Seconds of load before the start figures are taken", Defaults.Warmup.TotalSeconds);
    private readonly Option<int> _rawConnections = CliOptions.Int("--raw-connections", "Raw echo connection slots", Defaults.RawConnections);
    private readonly Option<int> _framedConnections = CliOptions.Int("--framed-connections", "Framed connection slots", Defaults.FramedConnections);
    private readonly Option<int> _hostileInterval = CliOptions.Int("--hostile-interval", "Milliseconds between hostile connections", (int)Defaults.HostileInterval.TotalMilliseconds);
    private readonly Option<int> _descriptorMargin = CliOptions.Int("--fd-margin", "Descriptors the server may hold at the end above the start", Defaults.DescriptorMargin, 0);
    private readonly Option<int> _rssMarginMib = CliOptions.Int("--rss-margin-mib", "MiB of RSS the server may have at the end above the start", Defaults.RssMarginMib, 0);
    private readonly Option<int> _rssMarginPercent = CliOptions.Int("--rss-margin-percent", "Percent of RSS the server may have at the end above the start", Defaults.RssMarginPercent, 0);
    private readonly Option<int> _serverCpu = CliOptions.Int("--server-cpu", "The CPU the server is pinned to", Defaults.ServerCpu, 0);
    private readonly Option<int> _seed = CliOptions.Int("--seed", "Seed of the random choices", Defaults.Seed, int.MinValue);
    private readonly Option<bool> _quiet = new("--quiet") { Description = "No progress display on stderr" };

    public static Command Create() => new SoakCommand().Build();

    private Command Build()
    {
        var command = new Command("soak", "The built service under mixed, churning and hostile load (see bench/soak.sh and docs/soak.md)")
        {
            _root, _server, _duration, _warmup, _rawConnections, _framedConnections, _hostileInterval, _descriptorMargin, _rssMarginMib, _rssMarginPercent, _serverCpu, _seed, _quiet,
        };
        command.Validators.Add(result =>
        {
            if (CompareCommand.ResolveRoot(result.GetValue(_root)) is null)
            {
                result.AddError("Run echohost-load from the repository (or give --root DIR).");
            }
        });
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult line)
    {
        var (output, error) = (line.InvocationConfiguration.Output, line.InvocationConfiguration.Error);
        var settings = Defaults with
        {
            Root = CompareCommand.ResolveRoot(line.GetValue(_root))!,
            Server = line.GetValue(_server)!,
            Duration = TimeSpan.FromSeconds(line.GetValue(_duration)),
            Warmup = TimeSpan.FromSeconds(line.GetValue(_warmup)),
            RawConnections = line.GetValue(_rawConnections),
            FramedConnections = line.GetValue(_framedConnections),
            HostileInterval = TimeSpan.FromMilliseconds(line.GetValue(_hostileInterval)),
            DescriptorMargin = line.GetValue(_descriptorMargin),
            RssMarginMib = line.GetValue(_rssMarginMib),
            RssMarginPercent = line.GetValue(_rssMarginPercent),
            ServerCpu = line.GetValue(_serverCpu),
            Seed = line.GetValue(_seed),
        };

        var runner = new SoakRunner(settings, line.GetValue(_quiet) ? null : error);
        var report = runner.Run();
        output.Write(report.Format());
        return report.Failures.Count == 0 ? 0 : 1;
    }
}
