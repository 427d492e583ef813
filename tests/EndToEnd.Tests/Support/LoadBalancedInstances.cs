using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>Which load balancer: its deployment file under deploy/ and how it runs.</summary>
public enum LoadBalancer
{
    /// <summary>deploy/haproxy/haproxy.cfg under Debian's haproxy.</summary>
    HAProxy,

    /// <summary>deploy/nginx/echohost-stream.conf under Debian's nginx with libnginx-mod-stream.</summary>
    Nginx,
}

/// <summary>
/// Three built EchoHost processes (a, b, c) behind a real HAProxy or nginx, all on loopback with ephemeral ports: the
/// deployment file with its fixed ports replaced by the ones the instances and the proxy got. The instances' echo and
/// framed endpoints speak the PROXY protocol and trust 127.0.0.1 alone, the address the proxy connects from; their
/// connection events are logged, so that a test can tell which instance serves a client.
/// </summary>
internal sealed partial class LoadBalancedInstances : IAsyncDisposable
{
    /// <summary>The instances of the deployment files, with their fixed echo, framed and http ports.</summary>
    private static readonly (string Name, int Echo, int Framed, int Http)[] Layout = [("a", 1612, 1613, 9564), ("b", 1622, 1623, 9574), ("c", 1632, 1633, 9584)];

    private readonly string _directory;
    private readonly Dictionary<int, int> _ports;

    private LoadBalancedInstances(LoadBalancer kind, string directory, Instance[] instances, Dictionary<int, int> ports)
    {
        Kind = kind;
        _directory = directory;
        Instances = instances;
        _ports = ports;
        Echo = new IPEndPoint(IPAddress.Loopback, ports[1512]);
        Framed = new IPEndPoint(IPAddress.Loopback, ports[1513]);
    }

    public LoadBalancer Kind { get; }

    public IReadOnlyList<Instance> Instances { get; }

    /// <summary>The proxy's echo and framed frontends.</summary>
    public IPEndPoint Echo { get; }

    public IPEndPoint Framed { get; }

    /// <summary>The proxy itself, running.</summary>
    public EchoHostProcess? Proxy { get; private set; }

    /// <summary>An EchoHost instance: its process and its endpoints.</summary>
    public sealed record Instance(string Name, EchoHostProcess Process, EndPoint Echo, EndPoint Framed, EndPoint Http);

    public static async Task<LoadBalancedInstances> StartAsync(LoadBalancer kind, string transport, params string[] more)
    {
        var directory = Directory.CreateTempSubdirectory("echohost-balanced-").FullName;
        var instances = new List<Instance>();
        LoadBalancedInstances? started = null;
        try
        {
            var processes = Layout.Select(_ => EchoHostProcess.StartOnLoopback(
                ServiceBuilds.Jit,
                transport,
                [
                    "--EchoHost:Endpoints:echo:ProxyProtocol=true",
                    "--EchoHost:Endpoints:echo:TrustedProxies:0=127.0.0.1",
                    "--EchoHost:Endpoints:echo:ProxyProtocolTimeout=00:00:02",
                    "--EchoHost:Endpoints:framed:ProxyProtocol=true",
                    "--EchoHost:Endpoints:framed:TrustedProxies:0=127.0.0.1",
                    "--Serilog:MinimumLevel:Override:EchoHost.Connections=Debug",
                    .. more,
                ])).ToArray();
            var ports = new Dictionary<int, int>
            {
                [1512] = PrometheusServer.FreeLoopbackPort(),
                [1513] = PrometheusServer.FreeLoopbackPort(),
            };
            for (var i = 0; i < Layout.Length; i++)
            {
                var endpoints = await processes[i].WaitForEndpointsAsync("echo", "framed", "http");
                var instance = new Instance(Layout[i].Name, processes[i], Loopback.ParseAddress(endpoints["echo"]), Loopback.ParseAddress(endpoints["framed"]), Loopback.ParseAddress(endpoints["http"]));
                instances.Add(instance);
                ports[Layout[i].Echo] = ((IPEndPoint)instance.Echo).Port;
                ports[Layout[i].Framed] = ((IPEndPoint)instance.Framed).Port;
                ports[Layout[i].Http] = ((IPEndPoint)instance.Http).Port;
            }

            // A process's first HTTP request is its slowest: made here, not by the proxy's first health check.
            foreach (var instance in instances)
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://{instance.Http}"), Timeout = Loopback.Timeout };
                (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).EnsureSuccessStatusCode();
            }

            for (var attempt = 1; ; attempt++)
            {
                started = new LoadBalancedInstances(kind, directory, [.. instances], ports);
                try
                {
                    await started.StartProxyAsync();
                    return started;
                }
                catch (InvalidOperationException ex) when (attempt < 3 && ex.Message.Contains("Address already in use", StringComparison.Ordinal))
                {
                    // Another test took a frontend port between its choice and the proxy's bind: choose again.
                    await started.Proxy!.DisposeAsync();
                    ports[1512] = PrometheusServer.FreeLoopbackPort();
                    ports[1513] = PrometheusServer.FreeLoopbackPort();
                }
            }
        }
        catch
        {
            if (started is not null)
            {
                await started.DisposeAsync();
            }
            else
            {
                foreach (var instance in instances)
                {
                    await instance.Process.DisposeAsync();
                }

                Directory.Delete(directory, recursive: true);
            }

            throw;
        }
    }

    /// <summary>A deployment file from the repository with its fixed ports (and HAProxy's stats socket) replaced by this run's.</summary>
    public string Rewrite(string relativePath)
    {
        var text = File.ReadAllText(Repository.PathOf(relativePath));
        text = FixedPort().Replace(text, m => _ports.TryGetValue(int.Parse(m.Value, CultureInfo.InvariantCulture), out var port) ? port.ToString(CultureInfo.InvariantCulture) : m.Value);
        return text
            .Replace("bind :", "bind 127.0.0.1:", StringComparison.Ordinal)
            .Replace("listen ", "listen 127.0.0.1:", StringComparison.Ordinal)
            .Replace("/run/haproxy/echohost.sock", StatsSocket, StringComparison.Ordinal);
    }

    private string StatsSocket => Path.Combine(_directory, "haproxy.sock");

    private async Task StartProxyAsync()
    {
        if (Kind == LoadBalancer.HAProxy)
        {
            var config = Path.Combine(_directory, "haproxy.cfg");
            File.WriteAllText(config, Rewrite("deploy/haproxy/haproxy.cfg"));
            Proxy = EchoHostProcess.StartCommand("haproxy", ["-db", "-f", config]);
        }
        else
        {
            File.WriteAllText(Path.Combine(_directory, "echohost-stream.conf"), Rewrite("deploy/nginx/echohost-stream.conf"));
            File.WriteAllText(Path.Combine(_directory, "nginx.conf"), $$"""
                load_module /usr/lib/nginx/modules/ngx_stream_module.so;
                daemon off;
                pid {{_directory}}/nginx.pid;
                error_log stderr notice;
                worker_processes 1;
                events { worker_connections 1024; }
                include {{_directory}}/echohost-stream.conf;
                """);
            Proxy = EchoHostProcess.StartCommand("nginx", ["-e", "stderr", "-p", _directory, "-c", Path.Combine(_directory, "nginx.conf")]);
        }

        // Ready when both frontends accept and, for HAProxy, its health checks have found every instance up.
        var deadline = DateTime.UtcNow + EchoHostProcess.StartTimeout;
        while (true)
        {
            if (Proxy.HasExited)
            {
                throw new InvalidOperationException($"{Kind} exited at start. Output:{Environment.NewLine}{Proxy.Output}");
            }

            if (await AcceptsAsync(Echo) && await AcceptsAsync(Framed) && (Kind != LoadBalancer.HAProxy || (await ServerStatesAsync("echohost_framed")).Values.All(up => up) && (await ServerStatesAsync("echohost_echo")).Values.All(up => up)))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Kind} was not ready within {EchoHostProcess.StartTimeout}. Output:{Environment.NewLine}{Proxy.Output}");
            }

            await Task.Delay(100);
        }
    }

    private static async Task<bool> AcceptsAsync(EndPoint endPoint)
    {
        try
        {
            using var socket = await Loopback.ConnectAsync(endPoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>HAProxy's view of a backend's servers ("show servers state"): up or not, by name.</summary>
    public async Task<IReadOnlyDictionary<string, bool>> ServerStatesAsync(string backend)
    {
        var states = new Dictionary<string, bool>(StringComparer.Ordinal);
        try
        {
            using var socket = await Loopback.ConnectAsync(new UnixDomainSocketEndPoint(StatsSocket));
            await Loopback.SendAllAsync(socket, Encoding.ASCII.GetBytes($"show servers state {backend}\n"));
            var answer = Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(socket));
            foreach (var line in answer.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                // be_id be_name srv_id srv_name srv_addr srv_op_state ...; 2 is running, 0 stopped.
                var fields = line.Split(' ');
                if (!line.StartsWith('#') && fields.Length > 5 && fields[1] == backend)
                {
                    states[fields[3]] = fields[5] == "2";
                }
            }
        }
        catch (SocketException)
        {
            // Not listening yet: no server known.
        }

        return states.Count == 0 ? new Dictionary<string, bool> { [""] = false } : states;
    }

    /// <summary>Waits until HAProxy's health checks have marked <paramref name="server"/> of <paramref name="backend"/> down.</summary>
    public async Task WaitForServerDownAsync(string backend, string server)
    {
        var deadline = DateTime.UtcNow + Loopback.Timeout;
        while ((await ServerStatesAsync(backend)).GetValueOrDefault(server, true))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"HAProxy did not mark {server} of {backend} down. Output:{Environment.NewLine}{Proxy?.Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The instance whose connection log has the client at <paramref name="client"/> (the header's source), once one has.</summary>
    public async Task<Instance> ServingAsync(EndPoint client, string endpoint)
    {
        var line = $"accepted on {endpoint} from {client}";
        var deadline = DateTime.UtcNow + Loopback.Timeout;
        while (true)
        {
            var serving = Instances.Where(i => i.Process.Output.Contains(line, StringComparison.Ordinal)).ToList();
            if (serving.Count > 0)
            {
                return Assert.Single(serving);
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No instance logged '{line}'.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The output of the proxy and of each instance, for failure messages.</summary>
    public string Describe() =>
        $"{Kind}:{Environment.NewLine}{Proxy?.Output}{Environment.NewLine}"
        + string.Join(Environment.NewLine, Instances.Select(i => $"Instance {i.Name}:{Environment.NewLine}{i.Process.Output}"));

    public async ValueTask DisposeAsync()
    {
        if (Proxy is not null)
        {
            await Proxy.DisposeAsync();
        }

        foreach (var instance in Instances)
        {
            await instance.Process.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [GeneratedRegex(@"\b(1512|1513|16[123][23]|95[678]4)\b")]
    private static partial Regex FixedPort();
}
