using System.Diagnostics;
using System.Reflection;

namespace EchoHost.Client.Tests.Support;

/// <summary>Runs the built <c>echohost-client</c> as a user would and captures what it prints.</summary>
internal static class CliProcess
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public static string DllPath { get; } = typeof(CliProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ClientCliPath").Value!;

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var startInfo = new ProcessStartInfo(Dotnet())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(DllPath);
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"echohost-client {string.Join(' ', args)} did not exit within {Deadline}.");
        }

        return (process.ExitCode, await output, await error);
    }

    private static string Dotnet()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }
}
