using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>
/// The built EchoHost, run as an operator runs it (<c>dotnet EchoHost.dll …</c>, or the native executable) with its
/// output captured.
/// Disposing kills it if it still runs.
/// </summary>
internal sealed partial class EchoHostProcess : IAsyncDisposable
{
    /// <summary>Long enough for a cold start on a busy two-core machine; it only catches hangs.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private EchoHostProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string StandardOutput
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Both streams, line by line, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return string.Join(Environment.NewLine, _lines);
            }
        }
    }

    /// <summary>The service's EchoHost.dll, as the build recorded it.</summary>
    public static string DllPath { get; } = FindDll();

    /// <summary>
    /// Starts <paramref name="build"/> of the service (<see cref="ServiceBuilds"/>) with <paramref name="args"/>.
    /// <paramref name="environment"/> is added to a copy of this process's environment from which any EchoHost setting
    /// has been removed; <paramref name="launcher"/> (e.g. <c>prlimit --nofile=64:64</c>) runs in front of the service
    /// and must exec it.
    /// </summary>
    public static EchoHostProcess Start(
        string build, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? launcher = null)
    {
        IEnumerable<string> command = [.. launcher ?? [], .. ServiceBuilds.Command(build), .. args];
        return StartCommand(command.First(), command.Skip(1), environment);
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> (a build of the service for another platform, or what runs one) with
    /// <paramref name="arguments"/>, in an environment made as for <see cref="Start"/>.
    /// </summary>
    public static EchoHostProcess StartCommand(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo
        {
            FileName = fileName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var key in startInfo.Environment.Keys.Where(k => k.StartsWith("EchoHost", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            startInfo.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var host = new EchoHostProcess(process);
        process.OutputDataReceived += (_, e) => host.Append(e.Data, host._stdout);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data, host._stderr);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>The arguments that put the service's echo, framed and http endpoints on loopback with port 0, plus <paramref name="more"/>.</summary>
    public static string[] LoopbackArguments(string transport, params string[] more) =>
    [
        .. Transports.Arguments(transport),
        "--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:0",
        "--EchoHost:Endpoints:http:Url=http://127.0.0.1:0",
        "--EchoHost:Endpoints:framed:Url=tcp://127.0.0.1:0",
        .. more,
    ];

    /// <summary>Starts <paramref name="build"/> on loopback with port 0 for its echo, framed and http endpoints, plus <paramref name="more"/>.</summary>
    public static EchoHostProcess StartOnLoopback(string build, string transport, params string[] more) => Start(build, LoopbackArguments(transport, more));

    /// <summary>
    /// Waits for the "Endpoint NAME (PROTOCOL) listening on ADDRESS" line of each of <paramref name="names"/> and
    /// returns the addresses by name; fails with the process's output if it exits first.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> WaitForEndpointsAsync(params string[] names)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        await WaitForAsync(
            lines =>
            {
                foreach (var line in lines)
                {
                    var match = ListeningLine().Match(line);
                    if (match.Success)
                    {
                        found[match.Groups["name"].Value] = match.Groups["address"].Value;
                    }
                }

                return names.All(found.ContainsKey);
            },
            $"report listening on {string.Join(", ", names)}");
        return found;
    }

    /// <summary>
    /// Waits for a line of output (either stream) that contains <paramref name="text"/>, such as what a launcher in
    /// front of the service prints; fails with the process's output if it exits first.
    /// </summary>
    public Task WaitForLineAsync(string text) =>
        WaitForAsync(lines => lines.Exists(line => line.Contains(text, StringComparison.Ordinal)), $"print '{text}'");

    /// <summary>Polls the output until <paramref name="done"/> holds; fails with the output if the process exits first or takes too long.</summary>
    private async Task WaitForAsync(Func<List<string>, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            lock (_gate)
            {
                if (done(_lines))
                {
                    return;
                }
            }

            if (_process.HasExited)
            {
                await WaitForOutputAsync();
                throw new InvalidOperationException($"EchoHost exited with code {_process.ExitCode} before it would {what}. Output:{Environment.NewLine}{Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"EchoHost did not {what} within {StartTimeout}. Output:{Environment.NewLine}{Output}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The endpoint of the address that <paramref name="name"/> reported.</summary>
    public async Task<EndPoint> EndPointAsync(string name) => Loopback.ParseAddress((await WaitForEndpointsAsync(name))[name]);

    /// <summary>Sends SIGTERM, as systemd, Docker and Kubernetes stop a service.</summary>
    public void Terminate() => Signal("TERM");

    /// <summary>Sends SIGINT, as Ctrl+C in a terminal does (and as Wine turns into a console's Ctrl+C event).</summary>
    public void Interrupt() => Signal("INT");

    private void Signal(string name)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{name}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{name} {_process.Id} failed with {kill.ExitCode}");
        }
    }

    /// <summary>Waits for the process to exit and its output to be read; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"EchoHost did not exit within {StartTimeout}. Output:{Environment.NewLine}{Output}");
        }

        await WaitForOutputAsync();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private Task WaitForOutputAsync() =>
        // After an exit, the parameterless wait returns once the redirected streams have been read to their end.
        Task.Run(_process.WaitForExit);

    private void Append(string? line, StringBuilder stream)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _lines.Add(line);
            stream.AppendLine(line);
        }
    }

    private static string FindDll()
    {
        var path = typeof(EchoHostProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "EchoHostPath").Value;
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            throw new FileNotFoundException($"EchoHost.dll is not where the build put it ('{path}'); build the solution first.");
        }

        return path;
    }

    internal static string DotnetPath()
    {
        // The host that runs these tests runs the service too, whatever dotnet PATH would find.
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    [GeneratedRegex(@"Endpoint (?<name>\S+) \((?<protocol>\w+)\) listening on (?<address>\S+)")]
    private static partial Regex ListeningLine();
}
