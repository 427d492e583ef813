using System.Diagnostics;

namespace EchoHost.Tests.Support;

/// <summary>
/// Prometheus's own checker, <c>promtool check metrics</c> (Debian package prometheus, which test.sh installs): the
/// text format's parser and linter. A missing promtool fails the test that needs it.
/// </summary>
internal static class Promtool
{
    /// <summary>Feeds <paramref name="exposition"/> to <c>promtool check metrics</c>; returns its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> CheckMetricsAsync(string exposition)
    {
        var startInfo = new ProcessStartInfo(Find(), ["check", "metrics"])
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
    public static string FindTool(string name)
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Append("/usr/bin");
        return directories.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"{name} is not installed; it comes with the Debian package prometheus (test.sh installs it: apt-get install prometheus).");
    }

    private static string Find() => FindTool("promtool");
}
