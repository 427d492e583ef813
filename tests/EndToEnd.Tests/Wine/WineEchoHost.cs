using System.Diagnostics;
using EchoHost.EndToEnd.Tests.Support;

namespace EchoHost.EndToEnd.Tests.Wine;

/// <summary>
/// EchoHost built for Windows (<c>win-x64</c>, self-contained) and run under Wine, so that the native transport's IOCP
/// engine is exercised on Linux. The build is made once per test run, into a temporary directory, and Wine gets a
/// fresh prefix there; both are removed at the end. Wine is a requirement of these tests, not an option: without it
/// they fail (<c>test.sh</c> installs it).
/// </summary>
public sealed class WineEchoHost : IAsyncLifetime
{
    /// <summary>A cold restore and build of three projects on a busy two-core machine; it only catches hangs.</summary>
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(15);

    /// <summary>Creating a Wine prefix; it only catches hangs.</summary>
    private static readonly TimeSpan PrefixTimeout = TimeSpan.FromMinutes(5);

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"echohost-wine-{Guid.NewGuid():N}");
    private readonly Lock _gate = new();
    private readonly List<EchoHostProcess> _processes = [];
    private Task<EchoHostProcess>? _shared;
    private string? _wine;

    private string Prefix => Path.Combine(_root, "prefix");

    private string Executable => Path.Combine(_root, "app", "EchoHost.exe");

    public async Task InitializeAsync()
    {
        _wine = FindOnPath("wine") ?? throw new InvalidOperationException(
            "Wine is not installed, and these tests run EchoHost's Windows build under it; install it (as root: apt-get install wine64 wine) or run ./test.sh, which does.");
        Directory.CreateDirectory(Prefix);
        var publish = ServicePublish.RunAsync(
            Path.Combine(_root, "app"), Path.Combine(_root, "artifacts"), PublishTimeout, "-c", "Release", "-r", "win-x64", "--self-contained");
        var prefix = Command.RunOrThrowAsync(_wine, PrefixTimeout, Nullable(WineEnvironment()), "wineboot", "--init");
        await Task.WhenAll(publish, prefix);
        if (!File.Exists(Executable))
        {
            throw new FileNotFoundException($"The Windows build of EchoHost is not where it was published: {Executable}");
        }
    }

    /// <summary>The instance the tests that only act as clients share, started on first use.</summary>
    internal Task<EchoHostProcess> SharedAsync()
    {
        lock (_gate)
        {
            return _shared ??= StartAsync();
        }
    }

    /// <summary>
    /// Starts an instance of its own (for a test that stops it, or listens elsewhere) with the native transport on
    /// loopback and port 0, and <paramref name="more"/> arguments, which override those.
    /// </summary>
    internal async Task<EchoHostProcess> StartAsync(params string[] more)
    {
        var process = EchoHostProcess.StartCommand(_wine!, [Executable, .. EchoHostProcess.LoopbackArguments("Native", more)], WineEnvironment());
        lock (_gate)
        {
            _processes.Add(process);
        }

        await process.WaitForEndpointsAsync("echo", "framed", "http");
        return process;
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        if (_wine is not null && FindOnPath("wineserver") is { } wineserver)
        {
            // Wine's own processes of the prefix (its server, services) go too.
            await Command.RunOrThrowAsync(wineserver, PrefixTimeout, Nullable(WineEnvironment()), "-k").ContinueWith(_ => { }, TaskScheduler.Default);
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Something of Wine's still holds a file; the directory is in the temporary directory anyway.
        }
    }

    /// <summary>
    /// A prefix of its own, no display, no messages from Wine, and no offer to install Gecko. (Wine's mscoree must stay:
    /// its loader goes through it for the runtime's IL-only assemblies.) A gen0 budget of 512 MiB, so that the runtime
    /// collects rarely: under Wine 8 it dies now and then in a collection ("Internal CLR error. (0x80131506)", in a
    /// finalizer) while a few hundred connections come and go, with Kestrel's Sockets transport as well as with this
    /// engine; with collections rare, 20 rounds of 300 connections at once passed where 10 crashed it (docs/transport.md).
    /// </summary>
    private Dictionary<string, string> WineEnvironment() => new()
    {
        ["WINEPREFIX"] = Prefix,
        ["WINEDEBUG"] = "-all",
        ["WINEDLLOVERRIDES"] = "mshtml=",
        ["DISPLAY"] = "",
        ["DOTNET_GCgen0size"] = "0x20000000",
    };

    private static Dictionary<string, string?> Nullable(Dictionary<string, string> environment) => environment.ToDictionary(pair => pair.Key, string? (pair) => pair.Value);

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
}

/// <summary>The tests that share one Windows build of EchoHost under Wine.</summary>
[CollectionDefinition(Name)]
public sealed class UnderWine : ICollectionFixture<WineEchoHost>
{
    public const string Name = "Wine";
}
