using System.Diagnostics;
using EchoHost.EndToEnd.Tests.Support;

namespace EchoHost.EndToEnd.Tests.Container;

/// <summary>What a podman command printed, and how it ended.</summary>
internal sealed record PodmanResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit code {ExitCode}{Environment.NewLine}{Output}{Environment.NewLine}{Error}";
}

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

    public Task<PodmanResult> RunAsync(params string[] arguments) => RunAsync("podman", arguments, CommandTimeout);

    /// <summary>
    /// Runs <paramref name="fileName"/> with podman's environment and <paramref name="environment"/>, bounded by
    /// <paramref name="timeout"/>.
    /// </summary>
    public async Task<PodmanResult> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
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

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout}.");
        }

        return new PodmanResult(process.ExitCode, await output, await error);
    }
}
