using System.Globalization;
using System.Xml.Linq;
using EchoHost.LoadGen.Compare;
using EchoHost.LoadGen.Engine;
using EchoHost.LoadGen.Output;

namespace EchoHost.LoadGen.Tests;

/// <summary>A tiny comparison of two in-test servers, and the report drawn from its JSON.</summary>
public sealed class CompareReportTests : IDisposable
{
    private static readonly XNamespace s_html = "http://www.w3.org/1999/xhtml";
    private static readonly XNamespace s_svg = "http://www.w3.org/2000/svg";
    private readonly string _directory = Directory.CreateTempSubdirectory("echohost-load-compare-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Compare_runs_servers_in_turns_and_the_report_charts_its_medians()
    {
        var launcher = new InTestLauncher();
        var scenarios = Scenario.All(burstClients: 50, heldConnections: 20).Where(s => s.Name is "pingpong-64" or "rtt" or "hold").ToList();
        var settings = new CompareSettings
        {
            Servers = [new ServerSpec("alpha", "in-test {port}"), new ServerSpec("beta", "in-test {port}")],
            Scenarios = scenarios,
            Rounds = 2,
            Warmup = TimeSpan.FromMilliseconds(100),
            Duration = TimeSpan.FromMilliseconds(300),
            Hold = TimeSpan.FromMilliseconds(100),
            Pause = TimeSpan.Zero,
            Baseline = "beta",
            SourceAddresses = 2,
            OutputDirectory = _directory,
        };
        using var log = new StringWriter();

        var results = new CompareRunner(settings, launcher, log).Run();

        // Two rounds, three scenarios, two servers, the order rotated in the second round: A B, B A.
        Assert.Equal(12, results.Runs.Count);
        Assert.All(results.Runs, r => Assert.Equal("ok", r.Status));
        Assert.Equal(["alpha", "beta", "beta", "alpha"], results.Runs.Where(r => r.Scenario == "rtt").Select(r => r.Participant));
        Assert.Equal(12, launcher.Started);
        var throughput = results.Summary.Single(r => r.Scenario == "pingpong-64" && r.Headline);
        Assert.Equal(1.0, throughput.Ratios["beta"]);
        Assert.Equal(2, throughput.Values["alpha"].Count);
        Assert.Equal(CompareRunner.Median(throughput.Values["alpha"]), throughput.Medians["alpha"]);

        // The report is drawn from the JSON, as `echohost-load report` does.
        var json = Path.Combine(_directory, "results.json");
        File.WriteAllText(json, JsonOutput.Serialize(results));
        var html = Path.Combine(_directory, "report.html");
        using var output = new StringWriter();
        Assert.Equal(0, Cli.Run(["report", json, "-o", html], output, output));

        var document = XDocument.Parse(File.ReadAllText(html));
        Assert.Equal(s_html + "html", document.Root!.Name);
        var charts = document.Descendants(s_svg + "svg").ToList();

        // A bar chart per scenario, and latency percentiles for the two that have them (not hold).
        Assert.Equal(5, charts.Count);
        var bars = document.Descendants(s_svg + "rect").Where(r => r.Attribute("data-value") is not null).ToList();
        foreach (var row in results.Summary.Where(r => r.Headline))
        {
            foreach (var (participant, median) in row.Medians)
            {
                Assert.Contains(bars, b => (string?)b.Attribute("data-participant") == participant &&
                    Math.Abs(double.Parse((string)b.Attribute("data-value")!, CultureInfo.InvariantCulture) - median) <= Math.Max(0.01, median * 1e-6));
                Assert.Contains(SummaryTable.Number(median), document.ToString(), StringComparison.Ordinal);
            }
        }

        Assert.Contains(document.Descendants(s_html + "h2"), h => h.Value == "ping-pong, 50 connections × 64 B");
        Assert.Contains(document.Descendants(s_html + "td"), td => td.Value == "RSS per connection (KiB)");

        // A real browser loads the page and builds the same charts: every bar, every heading.
        var dom = HeadlessChromium.DumpDom(html);
        Assert.Equal(charts.Count, CountOf(dom, "<svg"));
        Assert.Equal(bars.Count, CountOf(dom, "data-value=\""));
        Assert.Contains("ping-pong, 50 connections × 64 B", dom, StringComparison.Ordinal);
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    [Fact]
    public void Wrk_output_is_read_into_a_result()
    {
        const string text = """
            Running 8s test @ http://127.0.0.1:40000/healthz
              1 threads and 50 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency   612.34us  200.10us   9.87ms   90.00%
                Req/Sec    80.12k     2.01k   85.00k    70.00%
              Latency Distribution
                 50%  580.00us
                 75%  650.00us
                 90%  800.00us
                 99%    1.50ms
              641000 requests in 8.00s, 70.00MB read
              Non-2xx or 3xx responses: 3
            Requests/sec:  80125.50
            Transfer/sec:      8.75MB
            """;

        var result = WrkRunner.Parse(text, "http://127.0.0.1:40000/healthz", 50, 8, 95);

        Assert.Equal(80125.5, result.MessagesPerSecond);
        Assert.Equal(641000, result.Messages);
        Assert.Equal(580, result.Latency.P50);
        Assert.Equal(1500, result.Latency.P99);
        Assert.Equal(9870, result.Latency.Max);
        Assert.Equal(3, result.ErrorTotal);
    }

    /// <summary>Starts an in-test echo server per run; its process is this one (for CPU and memory).</summary>
    private sealed class InTestLauncher : IServerLauncher
    {
        public int Started { get; private set; }

        public RunningServer Start(ServerSpec server, string logPath)
        {
            Started++;
            var echo = new TestServer();
            return new InTestServer(echo) { Echo = IPv4Endpoint.Parse("127.0.0.1", echo.Port) };
        }
    }

    private sealed class InTestServer(TestServer server) : RunningServer
    {
        public override int Pid => Environment.ProcessId;

        public override bool IsAlive => true;

        public override void Dispose() => server.Dispose();
    }
}
