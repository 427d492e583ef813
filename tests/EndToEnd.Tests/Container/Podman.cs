using System.Diagnostics;
using EchoHost.EndToEnd.Tests.Support;

namespace EchoHost.EndToEnd.Tests.Container;

/// <summary>
/// The podman command line, with the configuration and storage that deploy/container/build-local-image.sh wrote into
/// its state folder (and nothing of the machine's own containers).
/// </summary>
internal sealed class Podman(string state)
{
    /// <summary>Long enough for a container to stop after its drain; it only catches hangs.</summary>
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    public string State { get; } = state;

    /// <summary>Runs podman with <paramref name="arguments"/> and fails with what it printed unless it exits 0.</summary>
    public async Task<string> CheckAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        Assert.True(result.ExitCode == 0, $"podman {string.Join(' ', arguments)}: {result}");
        return result.Output.Trim();
    }

    public Task<CommandResult> RunAsync(params string[] arguments) => RunAsync("podman", arguments, CommandTimeout);

    /// <summary>
    /// Runs <paramref name="fileName"/> with podman's environment and <paramref name="environment"/>, bounded by
    /// <paramref name="timeout"/>.
    /// </summary>
    public Task<CommandResult> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repository.Root,
        };
        startInfo.Environment["CONTAINERS_CONF"] = Path.Combine(State, "containers.conf");
        startInfo.Environment["CONTAINERS_STORAGE_CONF"] = Path.Combine(State, "storage.conf");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        return Command.RunAsync(startInfo, timeout);
    }
}
