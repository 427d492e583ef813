using System.Diagnostics.Metrics;
using System.Net;
using EchoHost.Hosting;
using EchoHost.Metrics;
using EchoHost.Protocol;
using EchoHost.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace EchoHost.Tests.Metrics;

/// <summary>GET /metrics of the service built as Program builds it, over a real loopback connection.</summary>
public class MetricsEndpointTests
{
    private const string PrometheusAccept =
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

    private static async Task<(WebApplication App, string Http)> StartAsync(params string[] more)
    {
        var app = Program.Build([
            "--EchoHost:Transport=Sockets",
            "--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:0",
            "--EchoHost:Endpoints:http:Url=http://127.0.0.1:0",
            .. more,
        ]);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var http = app.Services.GetRequiredService<ListeningEndpoints>().GetBound().Single(e => e.Definition.Name == "http").Address;
        return (app, http);
    }

    [Fact]
    public async Task Metrics_answer_in_text_by_default_and_in_OpenMetrics_to_Prometheus()
    {
        var (app, http) = await StartAsync();
        await using var _ = app;
        using var client = new HttpClient { Timeout = Loopback.Timeout };

        using var text = await client.GetAsync(new Uri(http + "/metrics"));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(http + "/metrics"));
        request.Headers.TryAddWithoutValidation("Accept", PrometheusAccept);
        using var openMetrics = await client.SendAsync(request);
        using var health = await client.GetAsync(new Uri(http + "/healthz"));

        Assert.Equal(HttpStatusCode.OK, text.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", text.Content.Headers.ContentType?.ToString());
        var body = await text.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE process_cpu_seconds_total counter\n", body, StringComparison.Ordinal);
        Assert.DoesNotContain("# EOF", body, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, openMetrics.StatusCode);
        Assert.Equal("application/openmetrics-text; version=1.0.0; charset=utf-8", openMetrics.Content.Headers.ContentType?.ToString());
        var families = OpenMetricsParser.Parse(await openMetrics.Content.ReadAsStringAsync());
        Assert.Equal("counter", families["process_cpu_seconds"].Type);

        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Every_instrument_of_the_service_and_the_native_transport_is_exported_as_a_family_of_ours()
    {
        var (app, _) = await StartAsync("--EchoHost:Transport=Native");
        await using var _ = app;
        var factory = app.Services.GetRequiredService<IMeterFactory>();
        var instruments = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory) && MetricsOptions.DefaultMeters.Contains(instrument.Meter.Name))
                {
                    lock (instruments)
                    {
                        instruments.Add(instrument.Name);
                    }
                }
            },
        };
        listener.Start();

        Assert.Contains("echohost.handler.duration", instruments);
        Assert.Contains("echohost.transport.accept.errors", instruments);
        Assert.All(instruments, name => Assert.NotNull(ExportedFamilies.For(name)));
    }

    [Fact]
    public async Task The_path_comes_from_configuration()
    {
        var (app, http) = await StartAsync("--EchoHost:Metrics:Path=/internal/prometheus");
        await using var _ = app;
        using var client = new HttpClient { Timeout = Loopback.Timeout };

        using var moved = await client.GetAsync(new Uri(http + "/internal/prometheus"));
        using var old = await client.GetAsync(new Uri(http + "/metrics"));

        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
    }

    [Fact]
    public async Task Application_handler_durations_come_out_as_a_histogram_that_promtool_accepts()
    {
        await using var server = await FramedServer.StartAsync("Native", "--EchoHost:Endpoints:http:Enabled=true", "--EchoHost:Endpoints:http:Url=http://127.0.0.1:0");
        using (var framed = await FramedTestClient.ConnectAsync(server.EndPoint))
        {
            for (ulong id = 1; id <= 3; id++)
            {
                var answer = await framed.CallAsync(id, TestHandlers.Sync, "timed"u8.ToArray());
                Assert.Equal(FrameKind.Response, answer.Kind);
            }
        }

        var http = server.App.Services.GetRequiredService<ListeningEndpoints>().GetBound().Single(e => e.Definition.Name == "http").Address;
        using var client = new HttpClient { Timeout = Loopback.Timeout };

        // The duration is recorded once the answer is on its way: the last one may lag the client by a moment.
        var histogram = await ScrapeHandlerDurationAsync(client, http);
        for (var attempt = 0; Count(histogram) < 3 && attempt < 50; attempt++)
        {
            await Task.Delay(100);
            histogram = await ScrapeHandlerDurationAsync(client, http);
        }

        Assert.NotNull(histogram);
        Assert.Equal("histogram", histogram.Type);
        Assert.Equal(3, Count(histogram, "0x54"));

        var text = await client.GetStringAsync(new Uri(http + "/metrics"));
        var (exitCode, output) = await PrometheusTools.CheckMetricsAsync(text);
        Assert.True(exitCode == 0 && output.Length == 0, $"promtool exited with {exitCode}:\n{output}\non:\n{text}");
        Assert.Contains("echohost_handler_duration_seconds_bucket{type=\"0x54\",le=\"+Inf\"} 3\n", text, StringComparison.Ordinal);
    }

    private static double Count(MetricFamilyText? histogram, string? type = null) =>
        histogram is null ? 0 : histogram.Samples.Where(s => s.Name == "echohost_handler_duration_seconds_count" && (type is null || s.Labels["type"] == type)).Sum(s => s.Value);

    private static async Task<MetricFamilyText?> ScrapeHandlerDurationAsync(HttpClient client, string http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(http + "/metrics"));
        request.Headers.TryAddWithoutValidation("Accept", PrometheusAccept);
        using var response = await client.SendAsync(request);
        return OpenMetricsParser.Parse(await response.Content.ReadAsStringAsync()).GetValueOrDefault("echohost_handler_duration_seconds");
    }

    [Theory]
    [InlineData("--EchoHost:Metrics:Path=metrics", "EchoHost:Metrics:Path")]
    [InlineData("--EchoHost:Metrics:HistogramBuckets:0=1", "EchoHost:Metrics:HistogramBuckets", "--EchoHost:Metrics:HistogramBuckets:1=0.5")]
    public void Invalid_metrics_configuration_stops_start_up_naming_the_key(string setting, string key, params string[] more)
    {
        var error = Assert.Throws<EchoHost.Configuration.EchoHostConfigurationException>(() => Program.Build(["--EchoHost:Endpoints:http:Url=http://127.0.0.1:0", setting, .. more]));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }
}
