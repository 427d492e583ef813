using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using EchoHost.LoadGen.Engine;

namespace EchoHost.LoadGen.Compare;

/// <summary>
/// Starts a server command through bash, pinned with <c>taskset</c> to the server CPU, on fresh loopback ports, in
/// the repository's root; waits until its ports accept connections; stops it with SIGTERM (SIGKILL after 10 s).
/// </summary>
internal sealed partial class ProcessLauncher(string workingDirectory, int serverCpu) : IServerLauncher
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<RunningServer, bool> _running = new();

    /// <summary>Stops every server still running (the comparison is interrupted).</summary>
    public void StopAll()
    {
        foreach (var server in _running.Keys)
        {
            server.Dispose();
        }
    }

    public RunningServer Start(ServerSpec server, string logPath)
    {
        // A fresh port for each endpoint the command names.
        var ports = Enum.GetValues<ServerEndpoint>().Where(server.Has).ToDictionary(e => e, _ => FreePort());
        var command = server.Command;
        foreach (var (endpoint, port) in ports)
        {
            command = command.Replace(ServerSpec.Placeholder(endpoint), port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }

        int? PortOf(ServerEndpoint endpoint) => ports.TryGetValue(endpoint, out var port) ? port : null;
        var info = new ProcessStartInfo("taskset")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "-c", serverCpu.ToString(System.Globalization.CultureInfo.InvariantCulture), "bash", "-c", command })
        {
            info.ArgumentList.Add(arg);
        }

        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        log.WriteLine($"$ taskset -c {serverCpu} bash -c '{command}'");
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{server.Name} could not be started.");
        process.OutputDataReceived += (_, e) => WriteLog(log, e.Data);
        process.ErrorDataReceived += (_, e) => WriteLog(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var running = new ServerProcess(process, log, _running)
        {
            Echo = new IPv4Endpoint(0x7F000001, (ushort)(PortOf(ServerEndpoint.Echo) ?? 0)),
            FramedPort = PortOf(ServerEndpoint.Framed),
            HttpPort = PortOf(ServerEndpoint.Http),
            PlaintextPort = PortOf(ServerEndpoint.Plaintext),
        };
        try
        {
            foreach (var port in ports.Values)
            {
                WaitForPort(process, port, server.Name);
            }
        }
        catch
        {
            running.Dispose();
            throw;
        }

        _running[running] = true;
        return running;
    }

    private static void WriteLog(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    /// <summary>A port no socket uses now (the kernel's pick for an ephemeral bind, released at once).</summary>
    private static int FreePort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    private static void WaitForPort(Process process, int port, string name)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < s_startTimeout)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with status {process.ExitCode} before accepting connections.");
            }

            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                probe.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        throw new InvalidOperationException($"{name} did not accept connections on port {port} within {s_startTimeout.TotalSeconds:F0} s.");
    }

    private sealed partial class ServerProcess(Process process, StreamWriter log, System.Collections.Concurrent.ConcurrentDictionary<RunningServer, bool> running) : RunningServer
    {
        private const int SIGTERM = 15;
        private int _disposed;

        public override int Pid => process.Id;

        public override bool IsAlive => !process.HasExited;

        public override void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            running.TryRemove(this, out _);
            if (!process.HasExited)
            {
                _ = Kill(process.Id, SIGTERM);
                if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
                {
                    WriteLog(log, "(did not stop within 10 s of SIGTERM: killed)");
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit();
                }
            }

            process.WaitForExit();
            process.Dispose();
            lock (log)
            {
                log.Dispose();
            }
        }

        [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static partial int Kill(int pid, int signal);
    }
}
