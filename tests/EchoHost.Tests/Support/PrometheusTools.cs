using System.Diagnostics;

namespace EchoHost.Tests.Support;

/// <summary>
/// The binaries of the Debian package prometheus, which test.sh installs: <c>promtool</c>, whose <c>check metrics</c>
/// is the text format's parser and linter, and the <c>prometheus</c> server. A missing binary fails the test that needs it.
/// </summary>
internal static class PrometheusTools
{
    /// <summary>Feeds <paramref name="exposition"/> to <c>promtool check metrics</c>; returns its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> CheckMetricsAsync(string exposition)
    {
        var startInfo = new ProcessStartInfo(Find("promtool"), ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(exposition);
        process.StandardInput.Close();

        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    /// <summary>A binary of the prometheus package on PATH (or where Debian puts it); throws when it is not there.</summary>
    public static string Find(string name)
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin");
        return directories.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"{name} is not installed; it comes with the Debian package prometheus (test.sh installs it: apt-get install prometheus).");
    }
}
