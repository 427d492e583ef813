using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>
/// A real Prometheus server (Debian package prometheus) scraping one target every second (or as its configuration says), with its own
/// configuration and storage in a temporary folder and its HTTP API on a free loopback port. Disposing kills it and
/// removes the folder.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _log = new();
    private readonly HttpClient _client;

    private PrometheusServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        _client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = Loopback.Timeout };
    }

    /// <summary>Its own log, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static PrometheusServer Start(EndPoint target, string job) => Start($"""
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: {job}
            static_configs:
              - targets: ['{target}']
        """);

    /// <summary>Starts a server on the configuration <paramref name="yaml"/> (prometheus.yml).</summary>
    public static PrometheusServer Start(string yaml)
    {
        var binary = PrometheusTools.Find("prometheus");
        var directory = Directory.CreateTempSubdirectory("echohost-prometheus-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        File.WriteAllText(config, yaml);

        var port = FreeLoopbackPort();
        var startInfo = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var argument in new[]
                 {
                     $"--config.file={config}",
                     $"--storage.tsdb.path={Path.Combine(directory, "data")}",
                     $"--web.listen-address=127.0.0.1:{port}",
                     "--log.level=warn",
                 })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = startInfo };
        var server = new PrometheusServer(process, directory, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>
    /// Runs an instant query and returns each result's labels and value; null while the server does not answer
    /// yet. Fails if the server has exited.
    /// </summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>?> QueryAsync(string query)
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"Prometheus exited with code {_process.ExitCode}. Log:{Environment.NewLine}{Log}");
        }

        try
        {
            using var response = await _client.GetAsync(new Uri("api/v1/query?query=" + Uri.EscapeDataString(query), UriKind.Relative));
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var results = new List<(IReadOnlyDictionary<string, string>, double)>();
            foreach (var result in document.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
            {
                var labels = result.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
                var value = double.Parse(result.GetProperty("value")[1].GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);
                results.Add((labels, value));
            }

            return results;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>
    /// The TYPE and UNIT Prometheus learned for a family (empty while it knows none). Only an OpenMetrics scrape
    /// gives a counter's metadata under its name without <c>_total</c>, with a unit.
    /// </summary>
    public async Task<IReadOnlyList<(string Type, string Unit)>> MetadataAsync(string family)
    {
        try
        {
            using var document = JsonDocument.Parse(await _client.GetStringAsync(new Uri("api/v1/metadata?metric=" + Uri.EscapeDataString(family), UriKind.Relative)));
            return document.RootElement.GetProperty("data").TryGetProperty(family, out var entries)
                ? [.. entries.EnumerateArray().Select(e => (e.GetProperty("type").GetString() ?? "", e.GetProperty("unit").GetString() ?? ""))]
                : [];
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    /// <summary>What Prometheus says of its targets (health, last error), for failure messages.</summary>
    public async Task<string> TargetsAsync()
    {
        try
        {
            return await _client.GetStringAsync(new Uri("api/v1/targets", UriKind.Relative));
        }
        catch (HttpRequestException ex)
        {
            return ex.Message;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
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
            Directory.Delete(_directory, recursive: true);
        }
    }

    internal static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
