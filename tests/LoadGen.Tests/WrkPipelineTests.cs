using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EchoHost.LoadGen.Compare;

namespace EchoHost.LoadGen.Tests;

/// <summary>The HTTP scenarios' wrk runs, pipelined through bench/wrk/pipeline.lua or not, against an in-test server.</summary>
public class WrkPipelineTests
{
    private static readonly string s_script = Path.Combine(CompareCommand.FindRoot(AppContext.BaseDirectory), "bench/wrk/pipeline.lua");

    [Fact]
    public void Pipelined_runs_go_through_the_script_with_their_depth()
    {
        var wrk = new WrkRunner(s_script, clientCpu: 1);

        Assert.Equal(
            ["-c", "1", "wrk", "-t1", "-c256", "-d8s", "--latency", "-s", s_script, "http://127.0.0.1:9/plaintext", "--", "16"],
            wrk.Arguments("http://127.0.0.1:9/plaintext", 256, Scenario.PipelineDepth, TimeSpan.FromSeconds(8)));
        Assert.Equal(
            ["-c", "1", "wrk", "-t1", "-c50", "-d8s", "--latency", "http://127.0.0.1:9/healthz"],
            wrk.Arguments("http://127.0.0.1:9/healthz", 50, 1, TimeSpan.FromSeconds(8)));
    }

    [Fact]
    public void The_comparison_has_each_http_scenario_with_its_path_and_depth()
    {
        var http = Scenario.All(10_000, 10_000).Where(s => s.Kind == ScenarioKind.Http).ToDictionary(s => s.Name, s => (s.Connections, s.Http!));

        Assert.Equal(
            new Dictionary<string, (int, HttpRequest)>
            {
                ["http-plaintext-50"] = (50, new HttpRequest(ServerEndpoint.Plaintext, "/plaintext", 1)),
                ["http-plaintext-256"] = (256, new HttpRequest(ServerEndpoint.Plaintext, "/plaintext", 1)),
                ["http-plaintext-50-p16"] = (50, new HttpRequest(ServerEndpoint.Plaintext, "/plaintext", 16)),
                ["http-plaintext-256-p16"] = (256, new HttpRequest(ServerEndpoint.Plaintext, "/plaintext", 16)),
                ["http-healthz"] = (50, new HttpRequest(ServerEndpoint.Http, "/healthz", 1)),
                ["http-metrics"] = (50, new HttpRequest(ServerEndpoint.Http, "/metrics", 1)),
            },
            http);

        // The plaintext scenarios run on the plaintext application alone, EchoHost's paths on EchoHost alone.
        var servers = ServerSpec.Defaults("/repo");
        Assert.Equal(["plaintext-native", "plaintext-native-epoll", "plaintext-sockets"], servers.Where(s => s.Has(ServerEndpoint.Plaintext)).Select(s => s.Name));
        Assert.Equal(["native", "native-epoll", "sockets"], servers.Where(s => s.Has(ServerEndpoint.Http)).Select(s => s.Name));
        Assert.DoesNotContain(servers, s => s.Has(ServerEndpoint.Plaintext) && s.Has(ServerEndpoint.Echo));
    }

    [Fact]
    public void Wrk_writes_sixteen_requests_at_a_time_through_the_script()
    {
        using var server = new BatchCountingHttpServer();
        var wrk = new WrkRunner(s_script, clientCpu: 0);

        var result = wrk.Run($"http://127.0.0.1:{server.Port}/plaintext", 2, Scenario.PipelineDepth, TimeSpan.Zero, TimeSpan.FromSeconds(1), serverPid: null);

        Assert.Equal(0, result.ErrorTotal);
        Assert.True(result.Messages >= 16, $"wrk counted {result.Messages} responses");
        Assert.NotEmpty(server.Batches);
        Assert.All(server.Batches, count => Assert.Equal(16, count));
        Assert.Equal(["/plaintext"], server.Paths.Distinct());
    }

    [Fact]
    public void Wrk_without_pipelining_writes_one_request_at_a_time()
    {
        using var server = new BatchCountingHttpServer();
        var wrk = new WrkRunner(s_script, clientCpu: 0);

        var result = wrk.Run($"http://127.0.0.1:{server.Port}/healthz", 2, 1, TimeSpan.Zero, TimeSpan.FromSeconds(1), serverPid: null);

        Assert.Equal(0, result.ErrorTotal);
        Assert.True(result.Messages > 0);
        Assert.All(server.Batches, count => Assert.Equal(1, count));
    }

    [Fact]
    public void A_missing_script_fails_the_run_with_its_name()
    {
        var wrk = new WrkRunner("/nonexistent/pipeline.lua", clientCpu: 0);
        var e = Assert.Throws<InvalidOperationException>(() => wrk.Run("http://127.0.0.1:9/plaintext", 1, 16, TimeSpan.Zero, TimeSpan.FromSeconds(1), null));
        Assert.Contains("/nonexistent/pipeline.lua", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plaintext_scenario_runs_on_the_plaintext_servers_alone_with_ratios_to_the_baselines_twin()
    {
        var directory = Directory.CreateTempSubdirectory("echohost-load-http-").FullName;
        try
        {
            var settings = new CompareSettings
            {
                Servers =
                [
                    new ServerSpec("sockets", "in-test {port} {http_port}"),
                    new ServerSpec("plaintext-native", "in-test {plaintext_port}"),
                    new ServerSpec("plaintext-sockets", "in-test {plaintext_port}"),
                ],
                Scenarios = Scenario.All(10, 10).Where(s => s.Name == "http-plaintext-50-p16").ToList(),
                Rounds = 1,
                // A cold in-test server can take the first second to answer while other tests hold the thread pool
                // (a clean run once measured 0 requests): it is warmed up before the measured window.
                Warmup = TimeSpan.FromSeconds(1),
                Duration = TimeSpan.FromSeconds(1),
                Pause = TimeSpan.Zero,
                ClientCpu = 0,
                PipelineScript = s_script,
                OutputDirectory = directory,
            };
            using var log = new StringWriter();

            var results = new CompareRunner(settings, new PlaintextLauncher(), log).Run();

            Assert.Equal(["plaintext-native", "plaintext-sockets"], results.Runs.Select(r => r.Participant).Order());
            Assert.All(results.Runs, r => Assert.Equal("ok", r.Status));
            var throughput = results.Summary.Single(r => r.Headline);
            Assert.Equal("plaintext-sockets", throughput.Baseline);
            Assert.Equal(1.0, throughput.Ratios["plaintext-sockets"]);
            Assert.Equal(throughput.Medians["plaintext-native"] / throughput.Medians["plaintext-sockets"], throughput.Ratios["plaintext-native"]);
            Assert.Contains(results.Summary, r => r.Metric == "server CPU per request" && r.Medians.Count == 2);
            Assert.Contains("Requests/sec", File.ReadAllText(Path.Combine(directory, "r1-http-plaintext-50-p16-plaintext-native.wrk.txt")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Serves each run's plaintext endpoint with an in-test server; its process is this one (for CPU).</summary>
    private sealed class PlaintextLauncher : IServerLauncher
    {
        public RunningServer Start(ServerSpec server, string logPath)
        {
            var http = new BatchCountingHttpServer();
            return new InTestServer(http) { Echo = default, PlaintextPort = http.Port };
        }
    }

    private sealed class InTestServer(BatchCountingHttpServer server) : RunningServer
    {
        public override int Pid => Environment.ProcessId;

        public override bool IsAlive => true;

        public override void Dispose() => server.Dispose();
    }

    /// <summary>
    /// Answers HTTP/1.1 requests once a read ends on a request's end, and records how many requests each such batch
    /// held: what the client wrote at once.
    /// </summary>
    private sealed class BatchCountingHttpServer : IDisposable
    {
        private static readonly byte[] s_response = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _acceptLoop;

        public BatchCountingHttpServer()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _acceptLoop = AcceptAsync();
        }

        public int Port { get; }

        public ConcurrentQueue<int> Batches { get; } = new();

        public ConcurrentBag<string> Paths { get; } = [];

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            try
            {
                _acceptLoop.Wait();
            }
            catch (AggregateException)
            {
            }

            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token);
                _ = Task.Run(() => ServeAsync(client));
            }
        }

        private async Task ServeAsync(Socket client)
        {
            using (client)
            {
                var buffer = new byte[64 * 1024];
                var pending = new StringBuilder();
                try
                {
                    int count;
                    while ((count = await client.ReceiveAsync(buffer.AsMemory(), _stop.Token)) > 0)
                    {
                        pending.Append(Encoding.ASCII.GetString(buffer, 0, count));
                        var text = pending.ToString();
                        if (!text.EndsWith("\r\n\r\n", StringComparison.Ordinal))
                        {
                            continue;
                        }

                        var requests = text.Split("\r\n\r\n", StringSplitOptions.RemoveEmptyEntries);
                        Batches.Enqueue(requests.Length);
                        foreach (var request in requests)
                        {
                            Paths.Add(request.Split(' ')[1]);
                            await client.SendAsync(s_response, _stop.Token);
                        }

                        pending.Clear();
                    }
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                }
            }
        }
    }
}
