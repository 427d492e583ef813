using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using EchoHost.EndToEnd.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace EchoHost.EndToEnd.Tests;

/// <summary>
/// The container image and the cluster manifests, checked as far as a machine without a container engine can: the
/// manifests parse and agree with the service's configuration, and the Dockerfile's build stage, replayed on this
/// machine from only what it copies, builds a service that its HEALTHCHECK finds healthy.
/// </summary>
public partial class ContainerTests
{
    [Fact]
    public void Kubernetes_manifests_parse_and_point_probes_ports_and_scrapes_at_the_service()
    {
        var ports = Repository.DefaultEndpointPorts();
        var deployment = LoadManifests("deploy/kubernetes/echohost.yaml").Single(d => Scalar(d, "kind") == "Deployment");
        var service = LoadManifests("deploy/kubernetes/echohost.yaml").Single(d => Scalar(d, "kind") == "Service");
        var podMonitor = LoadManifests("deploy/kubernetes/podmonitor.yaml").Single();

        var pod = Map(Map(deployment, "spec"), "template");
        var container = (YamlMappingNode)Sequence(Map(pod, "spec"), "containers").Single();
        var containerPorts = Sequence(container, "ports").Cast<YamlMappingNode>()
            .ToDictionary(p => Scalar(p, "name"), p => int.Parse(Scalar(p, "containerPort"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(ports.OrderBy(p => p.Key), containerPorts.OrderBy(p => p.Key));

        Assert.Equal("/readyz", Scalar(Map(Map(container, "readinessProbe"), "httpGet"), "path"));
        Assert.Equal("http", Scalar(Map(Map(container, "readinessProbe"), "httpGet"), "port"));
        Assert.Equal("/healthz", Scalar(Map(Map(container, "livenessProbe"), "httpGet"), "path"));
        Assert.Equal("http", Scalar(Map(Map(container, "livenessProbe"), "httpGet"), "port"));

        var annotations = Map(Map(pod, "metadata"), "annotations");
        Assert.Equal(ports["http"].ToString(System.Globalization.CultureInfo.InvariantCulture), Scalar(annotations, "prometheus.io/port"));
        Assert.Equal("/metrics", Scalar(annotations, "prometheus.io/path"));

        // The pod is given longer to stop than the service gives its connections, pause before SIGTERM included.
        var grace = int.Parse(Scalar(Map(pod, "spec"), "terminationGracePeriodSeconds"), System.Globalization.CultureInfo.InvariantCulture);
        var preStop = int.Parse(Scalar(Map(Map(Map(container, "lifecycle"), "preStop"), "sleep"), "seconds"), System.Globalization.CultureInfo.InvariantCulture);
        var shutdownTimeout = TimeSpan.Parse(Scalar((YamlMappingNode)Sequence(container, "env").Single(), "value"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(grace > shutdownTimeout.TotalSeconds + preStop, $"terminationGracePeriodSeconds {grace} leaves no room after {shutdownTimeout} and {preStop} s");

        Assert.All(Sequence(Map(service, "spec"), "ports").Cast<YamlMappingNode>(), p => Assert.Contains(Scalar(p, "targetPort"), containerPorts.Keys));
        var selected = Scalar(Map(Map(Map(deployment, "spec"), "selector"), "matchLabels"), "app.kubernetes.io/name");
        Assert.Equal(selected, Scalar(Map(Map(pod, "metadata"), "labels"), "app.kubernetes.io/name"));
        Assert.Equal(selected, Scalar(Map(Map(service, "spec"), "selector"), "app.kubernetes.io/name"));
        Assert.Equal(selected, Scalar(Map(Map(Map(podMonitor, "spec"), "selector"), "matchLabels"), "app.kubernetes.io/name"));
        var endpoint = (YamlMappingNode)Sequence(Map(podMonitor, "spec"), "podMetricsEndpoints").Single();
        Assert.Equal("http", Scalar(endpoint, "port"));
        Assert.Equal("/metrics", Scalar(endpoint, "path"));
    }

    [Fact]
    public void Dockerfile_exposes_the_endpoints_of_appsettings_and_copies_every_project_the_service_builds_from()
    {
        var dockerfile = Dockerfile.Load();
        var ports = Repository.DefaultEndpointPorts();
        var exposed = dockerfile.Instructions.Where(i => i.Keyword == "EXPOSE").SelectMany(i => i.Arguments.Split(' ')).Select(int.Parse);
        Assert.Equal(ports.Values.Order(), exposed.Order());
        Assert.Contains($"/127.0.0.1/{ports["http"]} ", dockerfile.The("HEALTHCHECK").Arguments, StringComparison.Ordinal);

        // The restore layer sees only the project files copied before it: every project the service references.
        var copiedBeforeRestore = dockerfile.Instructions.TakeWhile(i => i.Keyword != "RUN").Where(i => i.Keyword == "COPY").Select(i => i.Arguments).ToList();
        foreach (var project in ProjectClosure("src/EchoHost/EchoHost.csproj"))
        {
            Assert.Contains(copiedBeforeRestore, copy => copy.StartsWith(project + " ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Dockerfile_build_stage_replayed_here_builds_a_service_its_healthcheck_finds_healthy()
    {
        var dockerfile = Dockerfile.Load();
        var root = Directory.CreateTempSubdirectory("echohost-image-").FullName;
        try
        {
            await dockerfile.ReplayBuildStageAsync(root);
            var app = Path.Combine(root, "app");
            Assert.True(File.Exists(Path.Combine(app, "EchoHost.dll")), "the build stage published no EchoHost.dll into /app");
            Assert.True(File.Exists(Path.Combine(app, "appsettings.json")), "the published service has no appsettings.json");

            // The HEALTHCHECK asks the default port, so this service runs on the defaults, as in the image.
            await using var process = EchoHostProcess.Start(
                ["--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:0", "--EchoHost:Endpoints:framed:Url=tcp://127.0.0.1:0"],
                dockerfile.Environment(),
                dllPath: Path.Combine(app, "EchoHost.dll"));
            await process.EndPointAsync("http");
            Assert.Equal(0, await dockerfile.RunHealthCheckAsync());

            process.Terminate();
            Assert.Equal(0, await process.WaitForExitAsync());
            Assert.NotEqual(0, await dockerfile.RunHealthCheckAsync());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static List<YamlMappingNode> LoadManifests(string relative)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(Repository.PathOf(relative)));
        stream.Load(reader);
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    private static YamlSequenceNode Sequence(YamlMappingNode node, string key) => (YamlSequenceNode)node.Children[new YamlScalarNode(key)];

    private static string Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value! : null!;

    /// <summary>The project and every project it references, transitively, as repository-relative paths.</summary>
    private static HashSet<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var next))
        {
            if (!seen.Add(next))
            {
                continue;
            }

            var folder = Path.GetDirectoryName(next)!;
            foreach (Match reference in ProjectReference().Matches(File.ReadAllText(Repository.PathOf(next))))
            {
                pending.Push(Path.GetRelativePath(Repository.Root, Path.GetFullPath(Path.Combine(Repository.Root, folder, reference.Groups[1].Value.Replace('\\', '/')))).Replace('\\', '/'));
            }
        }

        return seen;
    }

    [GeneratedRegex("<ProjectReference Include=\"([^\"]+)\"")]
    private static partial Regex ProjectReference();
}
