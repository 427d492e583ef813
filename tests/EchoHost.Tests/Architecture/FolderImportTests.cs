using System.Text.RegularExpressions;
using EchoHost.Tests.Support;

namespace EchoHost.Tests.Architecture;

/// <summary>
/// The service's folders import one way (docs/adding-a-protocol.md): <c>Configuration</c> at the bottom, the handlers
/// in <c>Serving</c> above what they use. A folder that names another's namespace imports it; a cycle among them is
/// what made the service hard to change, and this keeps it from coming back.
/// </summary>
public sealed partial class FolderImportTests
{
    [Fact]
    public void The_service_folders_import_each_other_without_a_cycle_and_Configuration_imports_none()
    {
        var imports = ReadImports(Path.Combine(RepositoryFolder.Find(), "src", "EchoHost"));

        Assert.Contains("Configuration", imports.Keys);
        Assert.True(imports.Count >= 5, $"only {imports.Count} folders found: {string.Join(", ", imports.Keys)}");
        var cycle = FindCycle(imports);
        Assert.True(cycle is null, $"src/EchoHost's folders import each other in a cycle: {string.Join(" → ", cycle ?? [])}");
        Assert.Empty(imports["Configuration"]);
    }

    [Fact]
    public void A_cycle_is_found_and_named()
    {
        var imports = new Dictionary<string, HashSet<string>>
        {
            ["Serving"] = ["Metrics", "Configuration"],
            ["Metrics"] = ["Limits"],
            ["Limits"] = ["Metrics"],
            ["Configuration"] = [],
        };

        Assert.Equal(["Limits", "Metrics", "Limits"], FindCycle(imports));
        imports["Limits"].Clear();
        Assert.Null(FindCycle(imports));
    }

    /// <summary>For each top-level folder of <paramref name="source"/>, the other folders whose namespace its code names.</summary>
    private static Dictionary<string, HashSet<string>> ReadImports(string source)
    {
        var folders = Directory.GetDirectories(source).Select(Path.GetFileName).OfType<string>()
            .Where(name => name is not ("bin" or "obj")).ToHashSet(StringComparer.Ordinal);
        var imports = folders.ToDictionary(folder => folder, _ => new HashSet<string>(StringComparer.Ordinal));
        foreach (var folder in folders)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(source, folder), "*.cs", SearchOption.AllDirectories))
            {
                foreach (var line in File.ReadLines(file).Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)))
                {
                    foreach (Match reference in NamespaceReference().Matches(line))
                    {
                        var target = reference.Groups["folder"].Value;
                        if (target != folder && folders.Contains(target))
                        {
                            imports[folder].Add(target);
                        }
                    }
                }
            }
        }

        return imports;
    }

    /// <summary>A path of imports that comes back to where it started, or null when there is none.</summary>
    private static List<string>? FindCycle(Dictionary<string, HashSet<string>> imports)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var path = new List<string>();
        foreach (var start in imports.Keys.Order(StringComparer.Ordinal))
        {
            if (Visit(start) is { } cycle)
            {
                return cycle;
            }
        }

        return null;

        List<string>? Visit(string folder)
        {
            var onPath = path.IndexOf(folder);
            if (onPath >= 0)
            {
                return [.. path[onPath..], folder];
            }

            if (!done.Add(folder))
            {
                return null;
            }

            path.Add(folder);
            foreach (var next in imports.GetValueOrDefault(folder, []).Order(StringComparer.Ordinal))
            {
                if (Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            return null;
        }
    }

    // `using EchoHost.Limits;`, `EchoHost.Limits.ConnectionLimits`, `namespace EchoHost.Limits;` (its own folder).
    [GeneratedRegex(@"(?<![\w.])EchoHost\.(?<folder>\w+)\b")]
    private static partial Regex NamespaceReference();
}
