using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>One instruction of a Dockerfile, its continuation lines joined.</summary>
public sealed record DockerInstruction(string Keyword, string Arguments);

/// <summary>
/// The repository's Dockerfile, read well enough to replay its build stage on this machine (no container engine runs
/// here): COPY from the repository, WORKDIR and RUN, with the image's absolute paths placed under a folder of the test.
/// </summary>
public sealed partial class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerInstruction> instructions) => Instructions = instructions;

    public IReadOnlyList<DockerInstruction> Instructions { get; }

    public static Dockerfile Load()
    {
        var joined = Continuation().Replace(File.ReadAllText(Repository.PathOf("Dockerfile")), " ");
        var instructions = joined.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split(' ', 2))
            .Select(parts => new DockerInstruction(parts[0].ToUpperInvariant(), parts.Length > 1 ? parts[1].Trim() : ""))
            .ToList();
        return new Dockerfile(instructions);
    }

    public DockerInstruction The(string keyword) => Instructions.Single(i => i.Keyword == keyword);

    /// <summary>The ENV of the final stage, as the container's process gets it.</summary>
    public IReadOnlyDictionary<string, string> Environment() =>
        Instructions.SkipWhile((_, index) => index <= LastIndexOf("FROM"))
            .Where(i => i.Keyword == "ENV")
            .Select(i => i.Arguments.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1]);

    /// <summary>Runs the first stage's COPY, WORKDIR and RUN instructions with <paramref name="root"/> as the image's /.</summary>
    public async Task ReplayBuildStageAsync(string root)
    {
        var workdir = root;
        foreach (var instruction in Instructions.Skip(1).TakeWhile(i => i.Keyword != "FROM"))
        {
            switch (instruction.Keyword)
            {
                case "WORKDIR":
                    workdir = Path.Combine(root, instruction.Arguments.TrimStart('/'));
                    Directory.CreateDirectory(workdir);
                    break;
                case "COPY":
                    Copy(instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries), workdir);
                    break;
                case "RUN":
                    var command = AbsolutePath().Replace(instruction.Arguments, match => root + match.Value);
                    var (exitCode, output) = await RunAsync("bash", ["-c", command], workdir, TimeSpan.FromMinutes(10));
                    Assert.True(exitCode == 0, $"RUN {instruction.Arguments} failed with {exitCode}:{System.Environment.NewLine}{output}");
                    break;
            }
        }
    }

    /// <summary>Runs the HEALTHCHECK's command (exec form) here, as the engine would inside the container.</summary>
    public async Task<int> RunHealthCheckAsync()
    {
        var arguments = The("HEALTHCHECK").Arguments;
        var command = JsonSerializer.Deserialize<string[]>(arguments[(arguments.IndexOf("CMD ", StringComparison.Ordinal) + 4)..])!;
        var (exitCode, _) = await RunAsync(command[0], command[1..], Path.GetTempPath(), TimeSpan.FromSeconds(30));
        return exitCode;
    }

    private int LastIndexOf(string keyword) => Instructions.ToList().FindLastIndex(i => i.Keyword == keyword);

    private static void Copy(string[] parts, string workdir)
    {
        var destination = Path.Combine(workdir, parts[^1]);
        foreach (var source in parts[..^1])
        {
            var from = Repository.PathOf(source);
            if (Directory.Exists(from))
            {
                // Like the engine with the repository's .dockerignore: build outputs stay behind.
                foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories)
                    .Where(f => !BuildOutput().IsMatch(Path.GetRelativePath(from, f).Replace('\\', '/'))))
                {
                    var target = Path.Combine(destination, Path.GetRelativePath(from, file));
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.Copy(file, target, overwrite: true);
                }
            }
            else
            {
                var target = parts[^1].EndsWith('/') ? Path.Combine(destination, Path.GetFileName(from)) : destination;
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(from, target, overwrite: true);
            }
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> arguments, string workdir, TimeSpan limit)
    {
        var startInfo = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = workdir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {limit}");
        }

        return (process.ExitCode, await output + await error);
    }

    [GeneratedRegex(@"\\\r?\n")]
    private static partial Regex Continuation();

    // An absolute path of the image (/app, /source) in a RUN command: after a space, before a word character.
    [GeneratedRegex(@"(?<=\s)/(?=\w)")]
    private static partial Regex AbsolutePath();

    [GeneratedRegex(@"(^|/)(bin|obj)/")]
    private static partial Regex BuildOutput();
}
