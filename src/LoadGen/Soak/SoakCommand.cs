using System.Runtime.InteropServices;
using EchoHost.LoadGen.Compare;

namespace EchoHost.LoadGen.Soak;

/// <summary><c>echohost-load soak</c>: the built service under mixed, churning and hostile load; see docs/soak.md.</summary>
internal static class SoakCommand
{
    public static int Run(CommandLine line, TextWriter output, TextWriter error)
    {
        var defaults = new SoakSettings { Root = "" };
        var settings = defaults with
        {
            Root = line.String("root") ?? CompareCommand.FindRoot(Directory.GetCurrentDirectory()),
            Server = line.String("server") ?? defaults.Server,
            Duration = line.Seconds("duration", defaults.Duration.TotalSeconds),
            Warmup = line.Seconds("warmup", defaults.Warmup.TotalSeconds),
            RawConnections = line.Int("raw-connections", defaults.RawConnections),
            FramedConnections = line.Int("framed-connections", defaults.FramedConnections),
            HostileInterval = TimeSpan.FromMilliseconds(line.Int("hostile-interval", (int)defaults.HostileInterval.TotalMilliseconds)),
            DescriptorMargin = line.Int("fd-margin", defaults.DescriptorMargin),
            RssMarginMib = line.Int("rss-margin-mib", defaults.RssMarginMib),
            RssMarginPercent = line.Int("rss-margin-percent", defaults.RssMarginPercent),
            ServerCpu = line.Int("server-cpu", defaults.ServerCpu),
            Seed = line.Int("seed", defaults.Seed),
        };
        var quiet = line.Flag("quiet");
        line.RejectUnread();
        if (settings.Duration <= TimeSpan.Zero || settings.Warmup < TimeSpan.Zero || settings.RawConnections < 1 || settings.FramedConnections < 1 || settings.HostileInterval <= TimeSpan.Zero)
        {
            throw new UsageException("--duration, --raw-connections, --framed-connections and --hostile-interval must be above 0.");
        }

        var runner = new SoakRunner(settings, quiet ? null : error);
        var report = runner.Run();
        output.Write(report.Format());
        return report.Failures.Count == 0 ? 0 : 1;
    }
}
