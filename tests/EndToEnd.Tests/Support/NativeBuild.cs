using System.Diagnostics;

namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>
/// EchoHost published with NativeAOT (<c>-r linux-x64 -p:PublishAot=true</c>), as the Dockerfile and the systemd unit
/// ship it: published once per test run, on first use, into TestResults/native-aot of the repository. The build
/// folder there is kept between runs, so that a run after a small change compiles only what changed; a clean clone
/// pays the full native compile once (a few minutes on two busy cores). Runs of the suite that share the repository
/// take turns through a lock file.
/// </summary>
internal static class NativeBuild
{
    /// <summary>A cold restore, build and native compile on a busy two-core machine; it only catches hangs.</summary>
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(15);

    private static readonly Lazy<Task<Published>> Publish = new(PublishAsync);

    private static string Folder => Repository.PathOf("TestResults/native-aot");

    /// <summary>The native executable; the first call publishes it and waits for that.</summary>
    public static string ExecutablePath => Get().Executable;

    /// <summary>The published build: the executable, what the SDK printed, and how long the publish took.</summary>
    public static Published Get() => Publish.Value.GetAwaiter().GetResult();

    private static async Task<Published> PublishAsync()
    {
        Directory.CreateDirectory(Folder);
        await using var turn = await TakeTurnAsync(Path.Combine(Folder, "lock"));
        var output = Path.Combine(Folder, "app");
        if (Directory.Exists(output))
        {
            // Nothing a former publish left may pass for this one's.
            Directory.Delete(output, recursive: true);
        }

        var clock = Stopwatch.StartNew();
        var result = await ServicePublish.RunAsync(
            output, Path.Combine(Folder, "artifacts"), PublishTimeout, "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true");
        var executable = Path.Combine(output, "EchoHost");
        if (!File.Exists(executable))
        {
            throw new FileNotFoundException($"The native build of EchoHost is not where it was published: {executable}{Environment.NewLine}{result.Output}");
        }

        return new Published(executable, result.Output, clock.Elapsed);
    }

    private static async Task<FileStream> TakeTurnAsync(string path)
    {
        var deadline = DateTime.UtcNow + PublishTimeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    internal sealed record Published(string Executable, string Output, TimeSpan Elapsed);
}
