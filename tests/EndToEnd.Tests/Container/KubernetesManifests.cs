using System.Globalization;
using EchoHost.EndToEnd.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace EchoHost.EndToEnd.Tests.Container;

/// <summary>
/// The manifests of deploy/kubernetes, parsed: the Deployment's pod and its one container, the Service and the
/// PodMonitor; and the pod's settings as podman options, so that the image runs in the tests as the cluster runs it.
/// </summary>
internal sealed class KubernetesManifests
{
    private KubernetesManifests()
    {
        var workload = Load("deploy/kubernetes/echohost.yaml");
        Deployment = workload.Single(d => Scalar(d, "kind") == "Deployment");
        Service = workload.Single(d => Scalar(d, "kind") == "Service");
        PodMonitor = Load("deploy/kubernetes/podmonitor.yaml").Single();
        Pod = Map(Map(Deployment, "spec"), "template");
        Container = (YamlMappingNode)Sequence(Map(Pod, "spec"), "containers").Single();
    }

    public static KubernetesManifests Shipped { get; } = new();

    public YamlMappingNode Deployment { get; }

    public YamlMappingNode Service { get; }

    public YamlMappingNode PodMonitor { get; }

    /// <summary>The Deployment's pod template.</summary>
    public YamlMappingNode Pod { get; }

    public YamlMappingNode Container { get; }

    /// <summary>
    /// The container's environment, security context and emptyDir volumes as podman run options. A setting this does
    /// not know how to carry over fails, so that the tests never run the image more leniently than the manifest says.
    /// </summary>
    public IReadOnlyList<string> PodmanRunOptions()
    {
        var options = new List<string>();
        foreach (var variable in Sequence(Container, "env").Cast<YamlMappingNode>())
        {
            options.Add($"--env={Scalar(variable, "name")}={Scalar(variable, "value")}");
        }

        foreach (var (key, value) in Map(Container, "securityContext").Children.Select(c => (((YamlScalarNode)c.Key).Value, c.Value)))
        {
            options.Add((key, value) switch
            {
                ("allowPrivilegeEscalation", YamlScalarNode { Value: "false" }) => "--security-opt=no-new-privileges",
                ("readOnlyRootFilesystem", YamlScalarNode { Value: "true" }) => "--read-only",
                ("capabilities", YamlMappingNode capabilities) when capabilities.Children.Count == 1
                    && Sequence(capabilities, "drop").Children is [YamlScalarNode { Value: "ALL" }] => "--cap-drop=all",
                _ => throw new NotSupportedException($"The container's securityContext.{key} has no podman equivalent in the tests; add one."),
            });
        }

        var emptyDirs = Sequence(Map(Pod, "spec"), "volumes").Cast<YamlMappingNode>()
            .Where(v => v.Children.ContainsKey(new YamlScalarNode("emptyDir")))
            .Select(v => Scalar(v, "name"))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var mount in Sequence(Container, "volumeMounts").Cast<YamlMappingNode>())
        {
            Assert.True(emptyDirs.Contains(Scalar(mount, "name")), $"volume {Scalar(mount, "name")} is no emptyDir; the tests only carry those over");
            options.Add($"--tmpfs={Scalar(mount, "mountPath")}");
        }

        return options;
    }

    public static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    public static YamlSequenceNode Sequence(YamlMappingNode node, string key) => (YamlSequenceNode)node.Children[new YamlScalarNode(key)];

    /// <summary>A scalar's text; null when the key is missing or is no scalar.</summary>
    public static string Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value! : null!;

    public static int Integer(YamlMappingNode node, string key) => int.Parse(Scalar(node, key), CultureInfo.InvariantCulture);

    private static List<YamlMappingNode> Load(string relative)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(Repository.PathOf(relative)));
        stream.Load(reader);
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }
}
