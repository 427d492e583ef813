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
}
