using System.Diagnostics;
using System.Diagnostics.Metrics;
using EchoHost.Configuration;
using EchoHost.Connections;

namespace EchoHost.Metrics;

/// <summary>
/// The service's instruments (meter <c>EchoHost</c>). Counts live in each endpoint's <see cref="LiveConnections"/>,
/// written by connections with plain additions; the observable instruments read them when metrics are collected,
/// so that hot paths never call into the metrics API. Only the handler duration histogram records per request, and
/// only for application handlers while someone listens.
/// </summary>
internal sealed class ServiceMetrics
{
    public const string MeterName = "EchoHost";

    private readonly EndpointCounters[] _endpoints;
    private readonly string[] _messageTypeNames;
    private readonly Histogram<double> _handlerDuration;

    public ServiceMetrics(IMeterFactory meterFactory, EchoHostSettings settings, LiveConnectionRegistry live, MessageTypeSlots messageTypes)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(messageTypes);
        _messageTypeNames = messageTypes.Names;
        var transport = settings.Transport.Kind.ToString().ToLowerInvariant();
        _endpoints = live.All.Select(l => new EndpointCounters(transport, l, _messageTypeNames.Length)).ToArray();

        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter("echohost.connections.accepted", () => ReadConnections(c => c.Accepted), "{connection}", "Connections accepted.");
        meter.CreateObservableUpDownCounter("echohost.connections.active", () => ReadConnections(c => c.Active), "{connection}", "Connections open now.");
        meter.CreateObservableCounter("echohost.connections.closed", () => ReadConnections(c => c.Closed), "{connection}", "Connections closed.");
        meter.CreateObservableCounter("echohost.tls.handshake.failures", ReadTlsHandshakeFailures, "{connection}", "Connections to TLS endpoints that closed before their handshake completed.");
        meter.CreateObservableCounter("echohost.bytes.received", () => ReadBytes(t => t.BytesReceived), "By", "Bytes received by the echo and framed endpoints, and in WebSocket messages.");
        meter.CreateObservableCounter("echohost.bytes.sent", () => ReadBytes(t => t.BytesSent), "By", "Bytes sent by the echo and framed endpoints, and in WebSocket messages.");
        meter.CreateObservableCounter("echohost.frames.received", () => ReadFramed(t => t.FramesReceived, "kind", FramedCounterNames.ReceivedKinds), "{frame}", "Frames read by the framed endpoints, by kind.");
        meter.CreateObservableCounter("echohost.frames.sent", () => ReadFramed(t => t.FramesSent, "kind", FramedCounterNames.SentKinds), "{frame}", "Frames written by the framed endpoints, by kind.");
        meter.CreateObservableCounter("echohost.messages.handled", () => ReadFramed(t => t.MessagesHandled, "type", _messageTypeNames), "{message}", "Requests answered with a Response or an Error, by message type.");
        meter.CreateObservableCounter("echohost.errors", () => ReadFramed(t => t.Errors, "code", FramedCounterNames.ErrorCodes), "{error}", "Error frames sent, by error code.");
        _handlerDuration = meter.CreateHistogram<double>("echohost.handler.duration", "s", "How long application handlers took to answer a request, by message type.");
    }

    public IReadOnlyList<EndpointCounters> Endpoints => _endpoints;

    /// <summary>A start time for <see cref="RecordHandlerDuration"/>, or 0 when nobody listens (the clock is not read).</summary>
    public long StartHandlerTiming() => _handlerDuration.Enabled ? Stopwatch.GetTimestamp() : 0;

    public void RecordHandlerDuration(long startTimestamp, int messageTypeSlot)
    {
        if (startTimestamp != 0)
        {
            _handlerDuration.Record(
                Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds,
                new KeyValuePair<string, object?>("type", _messageTypeNames[messageTypeSlot]));
        }
    }

    private IEnumerable<Measurement<long>> ReadConnections(Func<ConnectionCount, long> value)
    {
        foreach (var endpoint in _endpoints)
        {
            yield return new Measurement<long>(
                value(endpoint.Read().Connections),
                new("endpoint", endpoint.Name),
                new("protocol", endpoint.Protocol),
                new("transport", endpoint.Transport));
        }
    }

    private IEnumerable<Measurement<long>> ReadTlsHandshakeFailures()
    {
        foreach (var endpoint in _endpoints)
        {
            if (endpoint.IsTls)
            {
                yield return new Measurement<long>(endpoint.TlsHandshakeFailures, new("endpoint", endpoint.Name), new("protocol", endpoint.Protocol));
            }
        }
    }

    private IEnumerable<Measurement<long>> ReadBytes(Func<FramedCounters, long> value)
    {
        foreach (var endpoint in _endpoints)
        {
            if (endpoint.CountsBytes)
            {
                yield return new Measurement<long>(value(endpoint.Read().Totals), new("endpoint", endpoint.Name), new("protocol", endpoint.Protocol));
            }
        }
    }

    private IEnumerable<Measurement<long>> ReadFramed(Func<FramedCounters, long[]> values, string label, string[] labelValues)
    {
        foreach (var endpoint in _endpoints)
        {
            if (!endpoint.IsFramed)
            {
                continue;
            }

            var counts = values(endpoint.Read().Totals);
            for (int i = 0; i < counts.Length; i++)
            {
                yield return new Measurement<long>(counts[i], new("endpoint", endpoint.Name), new(label, labelValues[i]));
            }
        }
    }
}
