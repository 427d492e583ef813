namespace EchoHost.Metrics;

/// <summary>How a family's values arrive: an observable's latest count, an observable's current value, or one record each.</summary>
internal enum FamilyKind
{
    Counter,
    Gauge,
    Histogram,
}

/// <summary>
/// The Prometheus family that a <c>System.Diagnostics.Metrics</c> instrument is exported as. Label names are listed
/// in the order the exposition writes them (alphabetical, as dashboards have always seen them).
/// </summary>
internal sealed record ExportedFamily(string Instrument, string Name, FamilyKind Kind, params string[] Labels);

/// <summary>
/// Every family /metrics writes, by the instrument it comes from. Names are written out rather than derived: they are
/// the contract that dashboards, alerts and deploy/grafana rely on, and prometheus-net's meter adapter would rename
/// them (a meter prefix, counters as gauges without <c>_total</c>).
/// </summary>
internal static class ExportedFamilies
{
    public static readonly IReadOnlyList<ExportedFamily> All =
    [
        // Meter EchoHost: the service's endpoints, framed protocol and limits.
        new("echohost.connections.accepted", "echohost_connections_accepted_total", FamilyKind.Counter, "endpoint", "protocol", "transport"),
        new("echohost.connections.active", "echohost_connections_active", FamilyKind.Gauge, "endpoint", "protocol", "transport"),
        new("echohost.connections.closed", "echohost_connections_closed_total", FamilyKind.Counter, "endpoint", "protocol", "transport"),
        new("echohost.connections.rejected", "echohost_connections_rejected_total", FamilyKind.Counter, "endpoint", "reason"),
        new("echohost.connections.timed_out", "echohost_connections_timed_out_total", FamilyKind.Counter, "endpoint", "reason"),
        new("echohost.tls.handshake.failures", "echohost_tls_handshake_failures_total", FamilyKind.Counter, "endpoint", "protocol"),
        new("echohost.bytes.received", "echohost_bytes_received_total", FamilyKind.Counter, "endpoint", "protocol"),
        new("echohost.bytes.sent", "echohost_bytes_sent_total", FamilyKind.Counter, "endpoint", "protocol"),
        new("echohost.frames.received", "echohost_frames_received_total", FamilyKind.Counter, "endpoint", "kind"),
        new("echohost.frames.sent", "echohost_frames_sent_total", FamilyKind.Counter, "endpoint", "kind"),
        new("echohost.messages.handled", "echohost_messages_handled_total", FamilyKind.Counter, "endpoint", "type"),
        new("echohost.errors", "echohost_errors_total", FamilyKind.Counter, "code", "endpoint"),
        new("echohost.handler.duration", "echohost_handler_duration_seconds", FamilyKind.Histogram, "type"),
        new("echohost.websocket.messages", "echohost_websocket_messages_total", FamilyKind.Counter, "direction", "endpoint", "type"),
        new("echohost.websocket.errors", "echohost_websocket_errors_total", FamilyKind.Counter, "endpoint", "reason"),

        // Meter EchoHost.Transport.Native.
        new("echohost.transport.backpressure.pauses", "echohost_transport_backpressure_pauses_total", FamilyKind.Counter, "direction"),
        new("echohost.transport.read.buffered", "echohost_transport_read_buffered_bytes", FamilyKind.Gauge),
        new("echohost.transport.accept.errors", "echohost_transport_accept_errors_total", FamilyKind.Counter, "error"),

        // Meter EchoHost.Process: Prometheus's standard process_* names and dotnet_* for the runtime.
        new("process.cpu", "process_cpu_seconds_total", FamilyKind.Counter),
        new("process.start_time", "process_start_time_seconds", FamilyKind.Gauge),
        new("process.resident_memory", "process_resident_memory_bytes", FamilyKind.Gauge),
        new("process.virtual_memory", "process_virtual_memory_bytes", FamilyKind.Gauge),
        new("process.open_fds", "process_open_fds", FamilyKind.Gauge),
        new("process.max_fds", "process_max_fds", FamilyKind.Gauge),
        new("dotnet.threads", "dotnet_threads", FamilyKind.Gauge),
        new("dotnet.processors", "dotnet_processors", FamilyKind.Gauge),
        new("dotnet.gc.collections", "dotnet_gc_collections_total", FamilyKind.Counter, "generation"),
        new("dotnet.gc.heap.size", "dotnet_gc_heap_size_bytes", FamilyKind.Gauge),
        new("dotnet.gc.committed", "dotnet_gc_committed_bytes", FamilyKind.Gauge),
        new("dotnet.gc.allocated", "dotnet_gc_allocated_bytes_total", FamilyKind.Counter),
        new("dotnet.gc.pause.time", "dotnet_gc_pause_time_seconds_total", FamilyKind.Counter),
        new("dotnet.thread_pool.threads", "dotnet_thread_pool_threads", FamilyKind.Gauge),
        new("dotnet.thread_pool.queue.length", "dotnet_thread_pool_queue_length", FamilyKind.Gauge),
        new("dotnet.thread_pool.work_items", "dotnet_thread_pool_work_items_total", FamilyKind.Counter),
        new("dotnet.monitor.lock_contentions", "dotnet_monitor_lock_contentions_total", FamilyKind.Counter),
        new("dotnet.timers", "dotnet_timers", FamilyKind.Gauge),
        new("dotnet.exceptions", "dotnet_exceptions_total", FamilyKind.Counter),
    ];

    private static readonly Dictionary<string, ExportedFamily> ByInstrument = All.ToDictionary(f => f.Instrument, StringComparer.Ordinal);

    public static ExportedFamily? For(string instrument) => ByInstrument.GetValueOrDefault(instrument);
}
