using System.Diagnostics;

namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>What a command printed, and how it ended.</summary>
internal sealed record CommandResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit code {ExitCode}{Environment.NewLine}{Output}{Environment.NewLine}{Error}";
}

/// <summary>Runs a tool the tests need (podman, Wine's) to its end, with what it printed.</summary>
internal static class Command
{
    /// <summary>
    /// Runs <paramref name="startInfo"/> (its output redirected) to its end; one that runs past
    /// <paramref name="timeout"/> is killed with its children and reported as a <see cref="TimeoutException"/>.
    /// </summary>
    public static async Task<CommandResult> RunAsync(ProcessStartInfo startInfo, TimeSpan timeout)
    {
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
            throw new TimeoutException($"{Path.GetFileName(startInfo.FileName)} {string.Join(' ', startInfo.ArgumentList)} did not finish within {timeout}.");
        }

        return new CommandResult(process.ExitCode, await output, await error);
    }

    /// <summary>
    /// Runs a command to its end, bounded by <paramref name="timeout"/>, and fails with what it printed unless it exits
    /// with 0; a null value in <paramref name="environment"/> removes the variable.
    /// </summary>
    public static async Task<CommandResult> RunOrThrowAsync(string fileName, TimeSpan timeout, Dictionary<string, string?> environment, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var (key, value) in environment)
        {
            if (value is not null)
            {
                startInfo.Environment[key] = value;
            }
            else
            {
                startInfo.Environment.Remove(key);
            }
        }

        var result = await RunAsync(startInfo, timeout);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} failed with {result.ExitCode}:{Environment.NewLine}{result.Output}{Environment.NewLine}{result.Error}");
        }

        return result;
    }
}
