using System.Text.RegularExpressions;
using EchoHost.EndToEnd.Tests.Support;
using YamlDotNet.RepresentationModel;
using static EchoHost.EndToEnd.Tests.Container.KubernetesManifests;

namespace EchoHost.EndToEnd.Tests.Container;

/// <summary>
/// The Kubernetes manifests and the Dockerfile agree with the service's configuration and with each other: ports,
/// probes, security context, scrape settings and grace period; and the Dockerfile's restore layer sees every project.
/// </summary>
public sealed partial class ManifestTests
{
    [Fact]
    public void Kubernetes_manifests_parse_and_point_probes_ports_and_scrapes_at_the_service()
    {
        var ports = Repository.DefaultEndpointPorts();
        var manifests = KubernetesManifests.Shipped;
        var container = manifests.Container;
        var containerPorts = Sequence(container, "ports").Cast<YamlMappingNode>().ToDictionary(p => Scalar(p, "name"), p => Integer(p, "containerPort"));
        Assert.Equal(ports.OrderBy(p => p.Key), containerPorts.OrderBy(p => p.Key));

        Assert.Equal("/readyz", Scalar(Map(Map(container, "readinessProbe"), "httpGet"), "path"));
        Assert.Equal("http", Scalar(Map(Map(container, "readinessProbe"), "httpGet"), "port"));
        Assert.Equal("/healthz", Scalar(Map(Map(container, "livenessProbe"), "httpGet"), "path"));
        Assert.Equal("http", Scalar(Map(Map(container, "livenessProbe"), "httpGet"), "port"));

        var annotations = Map(Map(manifests.Pod, "metadata"), "annotations");
        Assert.Equal(ports["http"].ToString(System.Globalization.CultureInfo.InvariantCulture), Scalar(annotations, "prometheus.io/port"));
        Assert.Equal("/metrics", Scalar(annotations, "prometheus.io/path"));

        // The pod is given longer to stop than the service gives its connections, pause before SIGTERM included.
        var grace = Integer(Map(manifests.Pod, "spec"), "terminationGracePeriodSeconds");
        var preStop = Integer(Map(Map(Map(container, "lifecycle"), "preStop"), "sleep"), "seconds");
        var shutdownTimeout = TimeSpan.Parse(Scalar((YamlMappingNode)Sequence(container, "env").Single(), "value"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(grace > shutdownTimeout.TotalSeconds + preStop, $"terminationGracePeriodSeconds {grace} leaves no room after {shutdownTimeout} and {preStop} s");

        Assert.All(Sequence(Map(manifests.Service, "spec"), "ports").Cast<YamlMappingNode>(), p => Assert.Contains(Scalar(p, "targetPort"), containerPorts.Keys));
        var selected = Scalar(Map(Map(Map(manifests.Deployment, "spec"), "selector"), "matchLabels"), "app.kubernetes.io/name");
        Assert.Equal(selected, Scalar(Map(Map(manifests.Pod, "metadata"), "labels"), "app.kubernetes.io/name"));
        Assert.Equal(selected, Scalar(Map(Map(manifests.Service, "spec"), "selector"), "app.kubernetes.io/name"));
        Assert.Equal(selected, Scalar(Map(Map(Map(manifests.PodMonitor, "spec"), "selector"), "matchLabels"), "app.kubernetes.io/name"));
        var endpoint = (YamlMappingNode)Sequence(Map(manifests.PodMonitor, "spec"), "podMetricsEndpoints").Single();
        Assert.Equal("http", Scalar(endpoint, "port"));
        Assert.Equal("/metrics", Scalar(endpoint, "path"));
    }

    [Fact]
    public void Kubernetes_security_context_and_probes_agree_with_the_Dockerfile()
    {
        var manifests = KubernetesManifests.Shipped;
        var dockerfile = Dockerfile();
        var finalStage = dockerfile.Skip(dockerfile.FindLastIndex(i => i.Keyword == "FROM")).ToList();

        // runAsNonRoot needs the image to name its user; the container tests check that it is a non-root uid.
        Assert.Equal("true", Scalar(Map(Map(manifests.Pod, "spec"), "securityContext"), "runAsNonRoot"));
        Assert.Contains(finalStage, i => i.Keyword == "USER");
        var security = Map(manifests.Container, "securityContext");
        Assert.Equal("false", Scalar(security, "allowPrivilegeEscalation"));
        Assert.Equal("true", Scalar(security, "readOnlyRootFilesystem"));
        Assert.Equal(["ALL"], Sequence(Map(security, "capabilities"), "drop").Cast<YamlScalarNode>().Select(s => s.Value));

        // The image's own health check asks what the liveness probe asks, on the http endpoint's port.
        var healthCheck = finalStage.Single(i => i.Keyword == "HEALTHCHECK").Arguments;
        Assert.Contains($"/127.0.0.1/{Repository.DefaultEndpointPorts()["http"]} ", healthCheck, StringComparison.Ordinal);
        Assert.Contains($"GET {Scalar(Map(Map(manifests.Container, "livenessProbe"), "httpGet"), "path")} ", healthCheck, StringComparison.Ordinal);

        // Kubernetes stops the pod with SIGTERM, which is what drains the service.
        Assert.Equal("SIGTERM", finalStage.Single(i => i.Keyword == "STOPSIGNAL").Arguments);
    }

    [Fact]
    public void Dockerfile_copies_every_project_the_service_builds_from_before_its_restore_layer()
    {
        // The restore layer sees only the project files copied before it: every project the service references.
        var copiedBeforeRestore = Dockerfile()
            .TakeWhile(i => !(i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore", StringComparison.Ordinal)))
            .Where(i => i.Keyword == "COPY").Select(i => i.Arguments).ToList();
        Assert.NotEmpty(copiedBeforeRestore);
        foreach (var project in ProjectClosure("src/EchoHost/EchoHost.csproj"))
        {
            Assert.Contains(copiedBeforeRestore, copy => copy.StartsWith(project + " ", StringComparison.Ordinal));
        }
    }

    /// <summary>The Dockerfile's instructions, continuation lines joined, comments left out.</summary>
    private static List<(string Keyword, string Arguments)> Dockerfile() =>
        Continuation().Replace(File.ReadAllText(Repository.PathOf("Dockerfile")), " ").Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split(' ', 2))
            .Select(parts => (parts[0].ToUpperInvariant(), parts.Length > 1 ? parts[1].Trim() : ""))
            .ToList();

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

    [GeneratedRegex(@"\\\r?\n")]
    private static partial Regex Continuation();

    [GeneratedRegex("<ProjectReference Include=\"([^\"]+)\"")]
    private static partial Regex ProjectReference();
}
