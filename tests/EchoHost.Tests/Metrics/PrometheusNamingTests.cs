using EchoHost.Metrics;

namespace EchoHost.Tests.Metrics;

public class PrometheusNamingTests
{
    /// <summary>The instruments the service and the transport define, and the names their dashboards and alerts use.</summary>
    public static TheoryData<string, string, bool, string> Contract => new()
    {
        { "echohost.connections.accepted", "{connection}", true, "echohost_connections_accepted_total" },
        { "echohost.connections.active", "{connection}", false, "echohost_connections_active" },
        { "echohost.connections.closed", "{connection}", true, "echohost_connections_closed_total" },
        { "echohost.bytes.received", "By", true, "echohost_bytes_received_total" },
        { "echohost.bytes.sent", "By", true, "echohost_bytes_sent_total" },
        { "echohost.frames.received", "{frame}", true, "echohost_frames_received_total" },
        { "echohost.frames.sent", "{frame}", true, "echohost_frames_sent_total" },
        { "echohost.messages.handled", "{message}", true, "echohost_messages_handled_total" },
        { "echohost.errors", "{error}", true, "echohost_errors_total" },
        { "echohost.handler.duration", "s", false, "echohost_handler_duration_seconds" },
        { "echohost.connections.rejected", "{connection}", true, "echohost_connections_rejected_total" },
        { "echohost.connections.timed_out", "{connection}", true, "echohost_connections_timed_out_total" },
        { "echohost.transport.backpressure.pauses", "{pause}", true, "echohost_transport_backpressure_pauses_total" },
        { "echohost.transport.accept.errors", "{error}", true, "echohost_transport_accept_errors_total" },
        { "process.cpu", "s", true, "process_cpu_seconds_total" },
        { "process.resident_memory", "By", false, "process_resident_memory_bytes" },
        { "process.start_time", "s", false, "process_start_time_seconds" },
    };

    [Theory]
    [MemberData(nameof(Contract))]
    public void Instruments_get_the_contract_names(string instrument, string unit, bool counter, string expected)
    {
        var baseName = PrometheusNaming.BaseName(instrument, unit);

        Assert.Equal(expected, counter ? PrometheusNaming.CounterSampleName(baseName) : baseName);
    }

    [Theory]
    [InlineData("http.server.request.duration", "ms", "http_server_request_duration_milliseconds")]
    [InlineData("queue.size", "By", "queue_size_bytes")]
    [InlineData("net.throughput", "By/s", "net_throughput_bytes_per_second")]
    [InlineData("requests.rate", "{request}/s", "requests_rate_per_second")]
    [InlineData("cache.hit_ratio", "1", "cache_hit_ratio")]
    [InlineData("jobs_total", "{job}", "jobs")]
    [InlineData("size.bytes.now", "By", "size_bytes_now")]
    [InlineData("2xx.responses", null, "_2xx_responses")]
    [InlineData("a-b c/d..e", "", "a_b_c_d_e")]
    [InlineData("név.µ", "", "n_v_")]
    public void Names_are_sanitized_and_take_their_unit_once(string instrument, string? unit, string expected) =>
        Assert.Equal(expected, PrometheusNaming.BaseName(instrument, unit));

    [Theory]
    [InlineData("endpoint", "endpoint")]
    [InlineData("gc.heap.generation", "gc_heap_generation")]
    [InlineData("9lives", "_9lives")]
    [InlineData("a--b", "a_b")]
    public void Tag_names_become_valid_label_names(string tag, string expected) =>
        Assert.Equal(expected, PrometheusNaming.LabelName(tag));
}
