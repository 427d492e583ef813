using System.Diagnostics.Metrics;
using System.Net;
using EchoHost.Client.Telemetry;
using EchoHost.Client.Tests.Support;
using EchoHost.Protocol;
using EchoHost.Tests.Support;

namespace EchoHost.Client.Tests;

/// <summary>The client's own counts against the real service's, after a workload whose every request is known.</summary>
public class ClientMetricsTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Client_metrics_agree_with_the_servers_counters_after_a_known_workload()
    {
        await using var server = EchoHostProcess.StartOnLoopback(ServiceBuilds.Jit, "Auto");
        var addresses = await server.WaitForEndpointsAsync("framed", "http");
        var framed = Loopback.ParseAddress(addresses["framed"]);
        const string name = "metrics-agreement";
        using var meter = new ClientMeterListener(name);

        FramedClientStatistics statistics;
        await using (var client = await FramedClient.ConnectAsync(framed, new FramedClientOptions { PoolSize = 2, Name = name }))
        {
            await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.SendAsync(MessageTypes.Echo, Loopback.Payload(100 + i, i)))).WaitAsync(Hang);
            await Task.WhenAll(Enumerable.Range(0, 5).Select(i => client.SendAsync(MessageTypes.Reverse, "abc"u8.ToArray(), [new("k", new[] { (byte)i })]))).WaitAsync(Hang);
            for (var i = 0; i < 7; i++)
            {
                await Assert.ThrowsAsync<FramedErrorException>(() => client.SendAsync(MessageTypes.Uppercase, new byte[] { 0xC3, 0x28 }).WaitAsync(Hang));
            }

            await Assert.ThrowsAsync<FramedErrorException>(() => client.SendAsync(0xF5, "?"u8.ToArray()).WaitAsync(Hang));
            for (var i = 0; i < 3; i++)
            {
                await client.PingAsync(Loopback.Payload(10)).WaitAsync(Hang);
            }

            statistics = client.GetStatistics();
            meter.Collect();
        }

        Assert.Equal(55, statistics.RequestsSucceeded);
        Assert.Equal(8, statistics.ErrorResponses);
        Assert.Equal(63, statistics.RequestsSent);
        Assert.Equal(0, statistics.Retries);
        Assert.Equal(8.0 / 63, statistics.ErrorRate, 6);

        // The meter reports what the snapshot says.
        Assert.Equal(statistics.BytesSent, meter.Value("echohost.client.bytes.sent"));
        Assert.Equal(statistics.BytesReceived, meter.Value("echohost.client.bytes.received"));
        Assert.Equal(statistics.ConnectionsOpened, meter.Value("echohost.client.connections.opened"));
        Assert.Equal(50, meter.Value("echohost.client.requests", ("type", "echo"), ("outcome", "ok")));
        Assert.Equal(7, meter.Value("echohost.client.requests", ("type", "uppercase"), ("outcome", "error")));
        Assert.Equal(1, meter.Value("echohost.client.requests", ("type", "0xf5"), ("outcome", "error")));
        Assert.Equal(3, meter.Value("echohost.client.requests", ("type", "ping"), ("outcome", "ok")));

        // Once the server has seen the connections close, its counters are final: they must be the client's.
        IReadOnlyDictionary<string, MetricFamilyText> families = null!;
        await ClientAssert.EventuallyAsync(
            async () =>
            {
                families = await ScrapeAsync(addresses["http"]);
                return Sum(families, "echohost_connections_closed", ("endpoint", "framed")) == statistics.ConnectionsOpened;
            },
            "the server saw the client's connections close");

        Assert.Equal(statistics.ConnectionsOpened, Sum(families, "echohost_connections_accepted", ("endpoint", "framed")));
        Assert.Equal(statistics.BytesSent, Sum(families, "echohost_bytes_received", ("endpoint", "framed")));
        Assert.Equal(statistics.BytesReceived, Sum(families, "echohost_bytes_sent", ("endpoint", "framed")));
        Assert.Equal(statistics.RequestsSent, Sum(families, "echohost_frames_received", ("endpoint", "framed"), ("kind", "request")));
        Assert.Equal(statistics.PingsSent, Sum(families, "echohost_frames_received", ("endpoint", "framed"), ("kind", "ping")));
        Assert.Equal(statistics.RequestsSucceeded + statistics.ErrorResponses, Sum(families, "echohost_messages_handled", ("endpoint", "framed")));
        Assert.Equal(statistics.ErrorResponses, Sum(families, "echohost_errors", ("endpoint", "framed")));
    }

    private static async Task<IReadOnlyDictionary<string, MetricFamilyText>> ScrapeAsync(string address)
    {
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.TryAddWithoutValidation("Accept", "application/openmetrics-text;version=1.0.0");
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return OpenMetricsParser.Parse(await response.Content.ReadAsStringAsync());
    }

    private static double Sum(IReadOnlyDictionary<string, MetricFamilyText> families, string family, params (string Label, string Value)[] labels) =>
        families.TryGetValue(family, out var found)
            ? found.Samples.Where(s => labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).Sum(s => s.Value)
            : 0;

    /// <summary>Reads the client meter's observable instruments, as a metrics exporter would.</summary>
    private sealed class ClientMeterListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Name, long Value, KeyValuePair<string, object?>[] Tags)> _measurements = [];

        public ClientMeterListener(string clientName)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                // Only this test's client: others run at the same time.
                if (instrument.Meter.Name == ClientMetrics.MeterName
                    && instrument.Meter.Tags?.Any(t => t.Key == "echohost.client.name" && Equals(t.Value, clientName)) == true)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                lock (_measurements)
                {
                    _measurements.Add((instrument.Name, value, tags.ToArray()));
                }
            });
            _listener.Start();
        }

        public void Collect() => _listener.RecordObservableInstruments();

        public long Value(string name, params (string Key, string Value)[] tags)
        {
            lock (_measurements)
            {
                return _measurements
                    .Where(m => m.Name == name && tags.All(t => m.Tags.Any(tag => tag.Key == t.Key && Equals(tag.Value, t.Value))))
                    .Sum(m => m.Value);
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
