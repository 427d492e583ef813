using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Text.RegularExpressions;
using EchoHost.Client;
using EchoHost.EndToEnd.Tests.Support;
using EchoHost.Protocol;
using Xunit.Abstractions;

namespace EchoHost.EndToEnd.Tests.Container;

/// <summary>
/// The image the repository's Dockerfile builds, run by a real container engine (podman) as the Kubernetes manifest
/// runs it, and talked to through the ports podman publishes on loopback, as a client outside the container would.
/// </summary>
[Collection(InContainers.Name)]
public sealed class ContainerImageTests(LocalImage image, ITestOutputHelper output)
{
    private static readonly TimeSpan PrometheusTimeout = TimeSpan.FromSeconds(60);

    private static int Port(string endpoint) => Repository.DefaultEndpointPorts()[endpoint];

    [Fact]
    public async Task Image_runs_as_a_non_root_user_exposes_the_configured_ports_and_keeps_its_healthcheck()
    {
        output.WriteLine(image.BuildReport);
        using var inspected = JsonDocument.Parse(await image.Podman.CheckAsync("image", "inspect", LocalImage.Name));
        var inspectedImage = inspected.RootElement[0];
        var config = inspectedImage.GetProperty("Config");
        var size = inspectedImage.GetProperty("Size").GetInt64();
        output.WriteLine($"image size: {size / 1e6:F1} MB ({size} bytes)");

        // Numeric, so that a cluster's runAsNonRoot can verify it without the image's /etc/passwd.
        var user = config.GetProperty("User").GetString()!;
        Assert.True(int.TryParse(user, CultureInfo.InvariantCulture, out var uid) && uid != 0, $"the image's USER is {user}, not a non-root uid");
        var running = await image.Podman.CheckAsync(["run", "--rm", .. KubernetesManifests.Shipped.PodmanRunOptions(), "--entrypoint=id", LocalImage.Name, "-u"]);
        Assert.Equal(uid.ToString(CultureInfo.InvariantCulture), running);

        var exposed = config.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name);
        Assert.Equal(Repository.DefaultEndpointPorts().Values.Order().Select(p => $"{p}/tcp"), exposed.Order());

        // Only Docker's image format keeps a HEALTHCHECK.
        Assert.Equal("CMD", inspectedImage.GetProperty("Healthcheck").GetProperty("Test")[0].GetString());
    }

    [Fact]
    public async Task Published_ports_serve_echo_framed_and_http_and_Prometheus_scrapes_the_container()
    {
        var container = await image.SharedAsync();

        var payload = Loopback.Payload(256 * 1024);
        Assert.Equal(payload, await Loopback.EchoAsync(await container.PublishedAsync(Port("echo")), payload));

        await using (var client = await FramedClient.ConnectAsync(await container.PublishedAsync(Port("framed"))))
        {
            var response = await client.SendAsync(MessageTypes.Echo, "through the container"u8.ToArray(), [new MetadataItem("trace-id", "abc"u8.ToArray())]);
            Assert.Equal("through the container"u8.ToArray(), response.Data.ToArray());
            Assert.Equal("abc"u8.ToArray(), response.Metadata["trace-id"]);
            await client.PingAsync("are you there"u8.ToArray());
        }

        var http = await container.PublishedAsync(Port("http"));
        using var httpClient = new HttpClient { BaseAddress = new Uri($"http://{http}/"), Timeout = Loopback.Timeout };
        foreach (var path in new[] { "healthz", "readyz" })
        {
            using var answer = await httpClient.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"/{path}: {answer.StatusCode}");
        }

        await using var prometheus = PrometheusServer.Start(http, "container");
        var query = "sum(echohost_bytes_received_total{job=\"container\",endpoint=\"echo\"})";
        var deadline = DateTime.UtcNow + PrometheusTimeout;
        IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>? up = null, received = null;
        while (DateTime.UtcNow < deadline)
        {
            up = await prometheus.QueryAsync("up{job=\"container\"}");
            received = await prometheus.QueryAsync(query);
            if (up is [{ Value: 1 }] && received is [{ Value: >= 256 * 1024 }])
            {
                break;
            }

            await Task.Delay(500);
        }

        var context = $"Targets: {await prometheus.TargetsAsync()}{Environment.NewLine}Prometheus log:{Environment.NewLine}{prometheus.Log}";
        Assert.True(up is [{ Value: 1 }], $"Prometheus did not report the container up within {PrometheusTimeout}. {context}");
        Assert.True(received is [{ Value: >= 256 * 1024 }], $"{query}: {string.Join(", ", received?.Select(r => r.Value) ?? [])}. {context}");
    }

    [Fact]
    public async Task The_log_names_the_engine_that_runs_and_says_why_when_the_runtime_refuses_io_uring()
    {
        // A container runtime's default seccomp profile may refuse io_uring: the service then runs epoll, never silently.
        var container = await image.SharedAsync();
        var logs = await container.LogsAsync();
        var engine = Regex.Match(logs, @"Using the Native transport with the (?<engine>\S+) engine");
        Assert.True(engine.Success, $"no transport line in the container's log:{Environment.NewLine}{logs}");
        output.WriteLine(engine.Value);
        if (engine.Groups["engine"].Value == "epoll")
        {
            var reason = Regex.Match(logs, @"Native transport: io_uring cannot run: [^\r\n]+; running epoll instead\.");
            Assert.True(reason.Success, $"epoll runs and the log does not say why:{Environment.NewLine}{logs}");
            output.WriteLine(reason.Value);
        }
        else
        {
            Assert.Equal("io_uring", engine.Groups["engine"].Value);
        }
    }

    [Fact]
    public async Task Podman_healthcheck_run_finds_the_container_healthy()
    {
        // Podman runs health checks on a schedule only through systemd timers; here the test runs the check itself.
        var container = await image.SharedAsync();
        var check = await image.Podman.RunAsync("healthcheck", "run", container.Id);
        Assert.True(check.ExitCode == 0, $"podman healthcheck run: {check}");
        Assert.Equal("healthy", await container.InspectAsync("{{.State.Health.Status}}"));
    }

    [Fact]
    public async Task EchoHost_environment_variables_configure_the_service_in_the_container()
    {
        const int echoPort = 2512, httpPort = 9465;
        await using var container = await image.StartAsync(
            httpPort,
            $"--publish=127.0.0.1::{echoPort}",
            $"--env=EchoHost__Endpoints__echo__Url=tcp://0.0.0.0:{echoPort}",
            $"--env=EchoHost__Endpoints__http__Url=http://0.0.0.0:{httpPort}");

        // Served where the environment says (the container answered /readyz on the moved http port to get here).
        Assert.Equal("moved"u8.ToArray(), await Loopback.EchoAsync(await container.PublishedAsync(echoPort), "moved"u8.ToArray()));

        // The image's HEALTHCHECK asks the default http port: as the Dockerfile says, moving it needs another check.
        var check = await image.Podman.RunAsync("healthcheck", "run", container.Id);
        Assert.True(check.ExitCode != 0, $"podman healthcheck run passed with nothing on the default http port: {check}");
    }

    [Fact]
    public async Task Podman_stop_drains_framed_clients_and_the_service_exits_zero_within_the_stop_timeout()
    {
        await using var container = await image.StartAsync();
        var shutdownTimeout = TimeSpan.Parse(Repository.ShippedSetting("EchoHost:ShutdownTimeout"), CultureInfo.InvariantCulture);
        var stopTimeout = (int)shutdownTimeout.TotalSeconds + 10;

        // SIGTERM from podman stop, which kills the container if it has not exited after the stop timeout.
        Task<CommandResult>? stopping = null;
        var outcome = await DrainClient.RunAsync(
            await container.PublishedAsync(Port("framed")), stopAfter: 1000, () => stopping = image.Podman.RunAsync("stop", $"--time={stopTimeout}", container.Id));

        Assert.True(outcome.GoAway, $"no GoAway before the end of the stream:{Environment.NewLine}{await container.LogsAsync()}");
        var stopped = await stopping!;
        Assert.True(stopped.ExitCode == 0, $"podman stop: {stopped}");

        // Killed after the stop timeout, it would have exited with 137 (SIGKILL).
        Assert.Equal("0", await container.InspectAsync("{{.State.ExitCode}}"));
    }
}
