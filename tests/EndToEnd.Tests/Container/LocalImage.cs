using System.Net;
using System.Net.Http;
using EchoHost.EndToEnd.Tests.Support;

namespace EchoHost.EndToEnd.Tests.Container;

/// <summary>
/// EchoHost's image, built from the repository's Dockerfile by deploy/container/build-local-image.sh once per test run
/// (podman, with local stand-ins for Microsoft's base images, which it builds when they are missing), and the
/// containers the tests run from it. Podman's configuration, images and containers are kept in TestResults/container,
/// so that a later run reuses the base images and the build's unchanged layers. Podman is a requirement of these
/// tests, not an option: without it they fail (<c>test.sh</c> installs it).
/// </summary>
public sealed class LocalImage : IAsyncLifetime
{
    public const string Name = "localhost/echohost:test";

    /// <summary>A first run bootstraps Debian and builds three images on a busy two-core machine; it only catches hangs.</summary>
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(20);

    private readonly Lock _gate = new();
    private readonly List<RunningContainer> _containers = [];
    private Task<RunningContainer>? _shared;

    internal Podman Podman { get; } = new(Repository.PathOf("TestResults/container"));

    /// <summary>What the build script printed, the image's size included.</summary>
    public string BuildReport { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var build = await Podman.RunAsync(
            "bash", [Repository.PathOf("deploy/container/build-local-image.sh"), Podman.State], BuildTimeout, new Dictionary<string, string> { ["ECHOHOST_IMAGE"] = Name });
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException($"deploy/container/build-local-image.sh failed: {build}");
        }

        BuildReport = build.Output.Trim();
    }

    /// <summary>The container the tests that only act as clients share, started with the defaults on first use.</summary>
    internal Task<RunningContainer> SharedAsync()
    {
        lock (_gate)
        {
            return _shared ??= StartAsync();
        }
    }

    /// <summary>
    /// Starts a container of the image as the Kubernetes manifest runs it (its environment and security context), with
    /// the endpoints' default ports published on ephemeral loopback ports, and <paramref name="options"/> (more podman
    /// run options) before the image's name; waits until it answers <c>/readyz</c> on <paramref name="httpPort"/>.
    /// </summary>
    internal async Task<RunningContainer> StartAsync(int? httpPort = null, params string[] options)
    {
        var ports = Repository.DefaultEndpointPorts().Values.Append(httpPort ?? Repository.DefaultEndpointPorts()["http"]).Distinct();
        var id = await Podman.CheckAsync(
        [
            "run", "--detach",
            .. KubernetesManifests.Shipped.PodmanRunOptions(),
            .. ports.Select(p => $"--publish=127.0.0.1::{p}"),
            .. options,
            Name,
        ]);
        var container = new RunningContainer(Podman, id);
        lock (_gate)
        {
            _containers.Add(container);
        }

        await container.WaitUntilReadyAsync(httpPort ?? Repository.DefaultEndpointPorts()["http"]);
        return container;
    }

    public async Task DisposeAsync()
    {
        foreach (var container in _containers)
        {
            await container.DisposeAsync();
        }
    }
}

/// <summary>A container of the image, removed (killed if it still runs) when disposed.</summary>
internal sealed class RunningContainer(Podman podman, string id) : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    public string Id { get; } = id;

    /// <summary>The loopback address of this machine that podman published the container's TCP port on.</summary>
    public async Task<IPEndPoint> PublishedAsync(int port) =>
        IPEndPoint.Parse((await podman.CheckAsync("port", Id, $"{port}/tcp")).Split('\n')[0].Trim());

    public async Task<string> LogsAsync()
    {
        var logs = await podman.RunAsync("logs", Id);
        return logs.Output + logs.Error;
    }

    /// <summary>A value of <c>podman inspect</c>, by Go template (e.g. <c>{{.State.ExitCode}}</c>).</summary>
    public Task<string> InspectAsync(string format) => podman.CheckAsync("inspect", "--format", format, Id);

    /// <summary>Waits until <c>/readyz</c> answers 200 on the published <paramref name="httpPort"/>; fails with the logs if it never does.</summary>
    public async Task WaitUntilReadyAsync(int httpPort)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://{await PublishedAsync(httpPort)}/"), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var ready = await client.GetAsync(new Uri("readyz", UriKind.Relative));
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet: the port is published before the service inside binds it.
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"container {Id} did not answer /readyz within {StartTimeout}:{Environment.NewLine}{await LogsAsync()}");
    }

    public async ValueTask DisposeAsync() => await podman.RunAsync("rm", "--force", "--time=0", Id);
}

/// <summary>The tests that share one build of the image.</summary>
[CollectionDefinition(Name)]
public sealed class InContainers : ICollectionFixture<LocalImage>
{
    public const string Name = "Container";
}
