using System.Buffers;
using System.Net;
using System.Text;
using EchoHost.EndToEnd.Tests.Support;
using EchoHost.Protocol;

namespace EchoHost.EndToEnd.Tests;

/// <summary>GET /metrics of the built service, read by Prometheus's own tools: promtool and a Prometheus server.</summary>
public class MetricsTests
{
    public static TheoryData<string, string> Transports => Support.Transports.All;

    /// <summary>What Prometheus sends with every scrape.</summary>
    private const string PrometheusAccept =
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

    private const int EchoPayloadBytes = 64 * 1024;

    private static readonly byte[] FramedRequestTypes = [MessageTypes.Echo, MessageTypes.Reverse, MessageTypes.Uppercase, MessageTypes.Stats];

    /// <summary>Bounds the wait for Prometheus to start, scrape and answer; it only catches a failure, never measures.</summary>
    private static readonly TimeSpan PrometheusTimeout = TimeSpan.FromSeconds(90);

    private static async Task<EchoHostProcess> StartWithTrafficAsync(string build, string transport)
    {
        var process = EchoHostProcess.StartOnLoopback(build, transport);
        try
        {
            var addresses = await process.WaitForEndpointsAsync("echo", "framed", "http");
            var payload = Loopback.Payload(EchoPayloadBytes, 5);
            Assert.Equal(payload, await Loopback.EchoAsync(Loopback.ParseAddress(addresses["echo"]), payload));
            await FramedExchangeAsync(Loopback.ParseAddress(addresses["framed"]));
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>One request of each built-in type, each answered, so that frames, messages and handler times are counted.</summary>
    private static async Task FramedExchangeAsync(EndPoint endPoint)
    {
        using var socket = await Loopback.ConnectAsync(endPoint);
        var writer = new ArrayBufferWriter<byte>();
        for (var i = 0; i < FramedRequestTypes.Length; i++)
        {
            FrameWriter.WriteMessage(writer, FrameKind.Request, (ulong)i + 1, FramedRequestTypes[i], "metrics"u8, []);
        }

        await Loopback.SendAllAsync(socket, writer.WrittenSpan.ToArray());
        for (var i = 0; i < FramedRequestTypes.Length; i++)
        {
            var header = new byte[Frame.HeaderSize];
            await Loopback.ReadExactlyAsync(socket, header);
            var payload = new byte[System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header)];
            await Loopback.ReadExactlyAsync(socket, payload);
            Assert.Equal(FrameKind.Response, (FrameKind)header[4]);
        }
    }

    private static async Task<string> ScrapeAsync(EchoHostProcess process, string? accept = null)
    {
        var http = (await process.WaitForEndpointsAsync("http"))["http"];
        using var client = new HttpClient { Timeout = Loopback.Timeout };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(http + "/metrics"));
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Promtool_accepts_the_service_metrics_after_echo_and_framed_traffic(string build, string transport)
    {
        await using var process = await StartWithTrafficAsync(build, transport);

        var text = await ScrapeAsync(process);
        var (exitCode, output) = await PrometheusTools.CheckMetricsAsync(text);

        Assert.True(exitCode == 0 && output.Length == 0, $"promtool exited with {exitCode}:\n{output}\non:\n{text}");
        Assert.Contains("\nprocess_cpu_seconds_total ", text, StringComparison.Ordinal);
    }

    private static double Sum(IReadOnlyDictionary<string, MetricFamilyText> families, string family, params (string Label, string Value)[] labels) =>
        families.TryGetValue(family, out var found)
            ? found.Samples.Where(s => labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).Sum(s => s.Value)
            : 0;

    /// <summary>
    /// Scrapes in OpenMetrics until the traffic of <see cref="StartWithTrafficAsync"/> shows (connections publish their
    /// counts as they go and when they close) or the attempts run out; returns the last answer either way.
    /// </summary>
    private static async Task<IReadOnlyDictionary<string, MetricFamilyText>> ScrapeAfterTrafficAsync(EchoHostProcess process)
    {
        IReadOnlyDictionary<string, MetricFamilyText> families;
        var attempts = 0;
        do
        {
            families = OpenMetricsParser.Parse(await ScrapeAsync(process, PrometheusAccept));
            if (Sum(families, "echohost_bytes_received", ("endpoint", "echo")) >= EchoPayloadBytes
                && Sum(families, "echohost_messages_handled", ("endpoint", "framed")) >= FramedRequestTypes.Length
                && Sum(families, "echohost_connections_closed") >= 2)
            {
                break;
            }

            await Task.Delay(100);
        }
        while (++attempts < 100);

        return families;
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task OpenMetrics_answer_parses_and_counts_the_traffic(string build, string transport)
    {
        await using var process = await StartWithTrafficAsync(build, transport);

        var families = await ScrapeAfterTrafficAsync(process);

        var endpointTransport = Support.Transports.TransportName(transport).ToLowerInvariant();
        Assert.Equal(1, Sum(families, "echohost_connections_accepted", ("endpoint", "echo"), ("protocol", "echo"), ("transport", endpointTransport)));
        Assert.Equal(1, Sum(families, "echohost_connections_accepted", ("endpoint", "framed"), ("protocol", "framed")));
        Assert.Equal(2, Sum(families, "echohost_connections_closed"));
        Assert.Equal(0, Sum(families, "echohost_connections_active", ("endpoint", "echo")));
        Assert.Equal(EchoPayloadBytes, Sum(families, "echohost_bytes_received", ("endpoint", "echo")));
        Assert.Equal(EchoPayloadBytes, Sum(families, "echohost_bytes_sent", ("endpoint", "echo")));
        Assert.Equal(FramedRequestTypes.Length, Sum(families, "echohost_frames_received", ("endpoint", "framed"), ("kind", "request")));
        Assert.Equal(FramedRequestTypes.Length, Sum(families, "echohost_frames_sent", ("endpoint", "framed"), ("kind", "response")));
        foreach (var type in new[] { "echo", "reverse", "uppercase", "stats" })
        {
            Assert.Equal(1, Sum(families, "echohost_messages_handled", ("endpoint", "framed"), ("type", type)));
        }

        Assert.Equal(0, Sum(families, "echohost_errors"));

        // The native transport's own meter exists only when it runs.
        if (Support.Transports.IsNative(transport))
        {
            Assert.Equal(["read", "read_total", "write"], families["echohost_transport_backpressure_pauses"].Samples.Select(s => s.Labels["direction"]).Order());
            Assert.Equal("gauge", families["echohost_transport_read_buffered_bytes"].Type);
        }
        else
        {
            Assert.DoesNotContain(families.Keys, name => name.StartsWith("echohost_transport_", StringComparison.Ordinal));
        }

        foreach (var name in new[] { "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds", "process_max_fds", "process_start_time_seconds", "dotnet_threads", "dotnet_gc_heap_size_bytes" })
        {
            Assert.Equal("gauge", families[name].Type);
            Assert.NotNull(families[name].Help);
        }

        Assert.Equal("counter", families["process_cpu_seconds"].Type);
        Assert.Equal(3, families["dotnet_gc_collections"].Samples.Count);
        Assert.InRange(families["process_open_fds"].Samples.Single().Value, 1, families["process_max_fds"].Samples.Single().Value);
    }

    [Theory]
    [ForEachBuild]
    public async Task Prometheus_scrapes_the_service_in_OpenMetrics_and_stores_every_metric_it_exposes(string build)
    {
        await using var process = await StartWithTrafficAsync(build, "Native");
        var http = Loopback.ParseAddress((await process.WaitForEndpointsAsync("http"))["http"]);
        var exposed = (await ScrapeAfterTrafficAsync(process))
            .Values.SelectMany(f => f.Samples).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

        await using var prometheus = PrometheusServer.Start(http, "echohost");
        var deadline = DateTime.UtcNow + PrometheusTimeout;
        IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>? up = null;
        HashSet<string> stored = [];
        IReadOnlyList<(string Type, string Unit)> metadata = [];
        while (DateTime.UtcNow < deadline)
        {
            up = await prometheus.QueryAsync("up{job=\"echohost\"}");
            var names = await prometheus.QueryAsync("count by (__name__) ({job=\"echohost\"})");
            stored = names?.Select(n => n.Labels["__name__"]).ToHashSet(StringComparer.Ordinal) ?? [];
            metadata = await prometheus.MetadataAsync("process_cpu_seconds");
            if (up is [{ Value: 1 }] && exposed.IsSubsetOf(stored) && metadata.Count > 0)
            {
                break;
            }

            await Task.Delay(500);
        }

        var context = $"Targets: {await prometheus.TargetsAsync()}{Environment.NewLine}Prometheus log:{Environment.NewLine}{prometheus.Log}";
        Assert.True(up is [{ Value: 1 }], $"Prometheus did not report the target up within {PrometheusTimeout}. {context}");
        Assert.True(exposed.IsSubsetOf(stored), $"Prometheus has not stored {string.Join(", ", exposed.Except(stored))}. {context}");

        // Metadata under the family name without _total: Prometheus read the OpenMetrics answer (prometheus-net
        // writes no UNIT line; the unit is the name's last word).
        Assert.True(metadata is [("counter", _)], $"metadata of process_cpu_seconds: {string.Join(", ", metadata)}. {context}");

        var cpu = await prometheus.QueryAsync("process_cpu_seconds_total{job=\"echohost\"}");
        Assert.True(cpu is [{ Value: > 0 }], $"process_cpu_seconds_total: {cpu?.Count} results. {context}");
        var generations = await prometheus.QueryAsync("dotnet_gc_collections_total{job=\"echohost\"}");
        Assert.Equal(["gen0", "gen1", "gen2"], generations!.Select(g => g.Labels["generation"]).Order());

        // Every query of the Grafana dashboard runs; those over metrics the service has give series.
        using var dashboard = GrafanaDashboard.Load();
        foreach (var query in GrafanaDashboard.Queries(dashboard))
        {
            var promql = query.ForPrometheus(rateInterval: "10s");
            var hasData = GrafanaDashboard.MetricNames(query.Expr).All(stored.Contains);
            var result = await prometheus.QueryAsync(promql);

            // A rate needs two scrapes inside its window: give the newest series a few more.
            for (var attempt = 0; hasData && result is [] && attempt < 60; attempt++)
            {
                await Task.Delay(500);
                result = await prometheus.QueryAsync(promql);
            }

            Assert.True(result is not null, $"Prometheus refused the query of panel '{query.Panel}': {promql}. {context}");
            Assert.True(!hasData || result is { Count: > 0 }, $"Panel '{query.Panel}' shows nothing: {promql}. {context}");
        }

        var received = await prometheus.QueryAsync("sum(echohost_bytes_received_total{job=\"echohost\", endpoint=\"echo\"})");
        Assert.True(received is [{ Value: >= EchoPayloadBytes }], $"echohost_bytes_received_total: {string.Join(", ", received ?? [])}. {context}");
    }
}
