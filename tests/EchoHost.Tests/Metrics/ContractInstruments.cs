using System.Diagnostics.Metrics;

namespace EchoHost.Tests.Metrics;

/// <summary>
/// The instruments the service and the native transport define (name, kind, unit, tags), created here on a test's
/// meters with one measurement each, so that the exporter's output for them can be checked without the service.
/// </summary>
internal static class ContractInstruments
{
    private static readonly KeyValuePair<string, object?>[] Connection = [new("endpoint", "echo"), new("protocol", "echo"), new("transport", "native")];
    private static readonly KeyValuePair<string, object?>[] Bytes = [new("endpoint", "echo"), new("protocol", "echo")];

    public static void Create(Meter meter, Meter transport)
    {
        meter.CreateObservableCounter("echohost.connections.accepted", () => new Measurement<long>(3, Connection), "{connection}");
        meter.CreateObservableUpDownCounter("echohost.connections.active", () => new Measurement<long>(1, Connection), "{connection}");
        meter.CreateObservableCounter("echohost.connections.closed", () => new Measurement<long>(2, Connection), "{connection}");
        meter.CreateObservableCounter("echohost.bytes.received", () => new Measurement<long>(100, Bytes), "By");
        meter.CreateObservableCounter("echohost.bytes.sent", () => new Measurement<long>(100, Bytes), "By");
        meter.CreateObservableCounter("echohost.frames.received", () => new Measurement<long>(4, new("endpoint", "framed"), new("kind", "request")), "{frame}");
        meter.CreateObservableCounter("echohost.frames.sent", () => new Measurement<long>(4, new("endpoint", "framed"), new("kind", "response")), "{frame}");
        meter.CreateObservableCounter("echohost.messages.handled", () => new Measurement<long>(4, new("endpoint", "framed"), new("type", "echo")), "{message}");
        meter.CreateObservableCounter("echohost.errors", () => new Measurement<long>(1, new("endpoint", "framed"), new("code", "bad_frame")), "{error}");
        meter.CreateHistogram<double>("echohost.handler.duration", "s").Record(0.0002, new KeyValuePair<string, object?>("type", "echo"));
        meter.CreateObservableCounter("echohost.connections.rejected", () => new Measurement<long>(1, new("endpoint", "echo"), new("reason", "max_connections")), "{connection}");
        meter.CreateObservableCounter("echohost.connections.timed_out", () => new Measurement<long>(1, new("endpoint", "framed"), new("reason", "idle_timeout")), "{connection}");
        transport.CreateObservableCounter("echohost.transport.backpressure.pauses", () => new Measurement<long>(5, new KeyValuePair<string, object?>("direction", "read")), "{pause}");
        transport.CreateObservableCounter("echohost.transport.accept.errors", () => new Measurement<long>(1, new KeyValuePair<string, object?>("error", "EMFILE")), "{error}");
    }
}
