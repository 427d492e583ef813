using System.Globalization;
using System.Text.RegularExpressions;
using EchoHost.LoadGen.Engine;
using EchoHost.LoadGen.Soak;

namespace EchoHost.LoadGen.Tests;

/// <summary><c>echohost-load soak</c>: against the built service for a few seconds, and its checks against a server that answers wrongly.</summary>
public class SoakTests
{
    [Fact]
    public void A_short_soak_of_the_built_service_reports_its_figures_with_no_wrong_echo()
    {
        var root = Compare.CompareCommand.FindRoot(AppContext.BaseDirectory);
        Assert.True(File.Exists(Path.Combine(root, "src/EchoHost/bin/Release/net10.0/EchoHost.dll")), "the service is not built in Release");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var status = Cli.Run(["soak", "--root", root, "--duration", "4", "--warmup", "1", "--quiet"], output, error);

        var table = output.ToString();
        Assert.True(status == 0, $"soak exited {status}:\n{table}\n{error}");
        var rows = table.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => Regex.Match(l, @"^(\S.*?)\s{2,}(.*)$"))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());
        Assert.Equal("0", rows["wrong echoes"]);
        Assert.Equal("pass", rows["verdict"]);
        Assert.Equal("none", rows["errors"]);
        Assert.True(long.Parse(rows["messages"].Split(' ')[0], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) > 0, table);
        Assert.Matches(@"^[\d,]+ well-behaved \([\d,]+ closed with FIN, [1-9][\d,]* with reset\) \+ [1-9][\d,]* hostile$", rows["connections opened"]);
        Assert.Matches(@"^\d+ / \d+ \(margin 10\)$", rows["descriptors start/end"]);
        Assert.Matches(@"^[\d.]+ / [\d.]+ MiB", rows["RSS start/end"]);
    }

    [Fact]
    public void Mixed_framed_answers_are_checked_against_each_handler()
    {
        // A server that answers every request with its own Data: right for Echo, wrong for Reverse.
        using var server = new TestServer(ServerBehavior.FramedEcho);
        var control = new RunControl();
        control.StartTraffic(TimeSpan.Zero, TimeSpan.FromSeconds(2));
        var driver = new ChurnDriver(control, seed: 1, maxMessages: 10, maxBatch: 1, resetShare: 0);
        using var worker = new Worker(0, IPv4Endpoint.Parse("127.0.0.1", server.Port), new FramedEchoFormat(16, mixed: true), driver, [new Connection(0, Pattern.Create(0, 16), IPv4Endpoint.Any)]);

        worker.Run();

        Assert.True(worker.CompletedTotal > 0, "no Echo came back verified");
        Assert.True(worker.Errors[(int)ErrorKind.Mismatch] > 0, "a Reverse answered with its own Data was taken as right");
    }
}
