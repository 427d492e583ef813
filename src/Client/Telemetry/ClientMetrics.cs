using System.Diagnostics;
using System.Diagnostics.Metrics;
using EchoHost.Protocol;
using Polly.CircuitBreaker;

namespace EchoHost.Client.Telemetry;

/// <summary>
/// A client's instruments (meter <c>EchoHost.Client</c>, tagged with the client's name and server) and the counts
/// behind them. Requests and connections count with plain atomic additions into fields that the observable
/// instruments and <see cref="FramedClient.GetStatistics"/> read; only the duration histogram records per request,
/// and only while someone listens.
/// </summary>
internal sealed class ClientMetrics : IDisposable
{
    public const string MeterName = "EchoHost.Client";

    /// <summary>The slot of Pings in the per-type tables, after the 256 message types.</summary>
    public const int PingSlot = 256;

    private const int TypeSlots = 257;

    private static readonly string[] TypeNames = CreateTypeNames();

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Histogram<double> _duration;
    private readonly long[] _sent = new long[TypeSlots];
    private readonly long[] _completed = new long[TypeSlots * RequestOutcomes.Count];
    private readonly TimeProvider _time;
    private long _bytesSent;
    private long _bytesReceived;
    private long _open;
    private long _opened;
    private long _connectAttempts;
    private long _connectFailures;
    private long _reconnections;
    private long _retries;
    private long _healthChecks;
    private long _healthCheckFailures;
    private long _circuitOpened;
    private long _circuitHalfOpened;
    private long _circuitClosed;

    public ClientMetrics(string clientName, string server, IMeterFactory? meterFactory, TimeProvider time, CircuitBreakerStateProvider? breaker)
    {
        _time = time;
        Breaker = breaker;
        var options = new MeterOptions(MeterName) { Tags = [new("echohost.client.name", clientName), new("server.address", server)] };
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(options) ?? new Meter(options);

        _meter.CreateObservableCounter("echohost.client.requests.sent", ReadSent, "{request}", "Request and Ping frames written, each attempt of a retried request included, by type.");
        _meter.CreateObservableCounter("echohost.client.requests", ReadCompleted, "{request}", "Calls of SendAsync and PingAsync that ended, by type and outcome.");
        _duration = _meter.CreateHistogram<double>("echohost.client.request.duration", "s", "How long calls of SendAsync and PingAsync took, retries included, by type and outcome.");
        _meter.CreateObservableCounter("echohost.client.bytes.sent", () => Volatile.Read(ref _bytesSent), "By", "Bytes written to the server.");
        _meter.CreateObservableCounter("echohost.client.bytes.received", () => Volatile.Read(ref _bytesReceived), "By", "Bytes read from the server.");
        _meter.CreateObservableUpDownCounter("echohost.client.connections.open", () => Volatile.Read(ref _open), "{connection}", "Connections open now.");
        _meter.CreateObservableCounter("echohost.client.connections.opened", () => Volatile.Read(ref _opened), "{connection}", "Connections opened.");
        _meter.CreateObservableCounter("echohost.client.connect.attempts", () => Volatile.Read(ref _connectAttempts), "{attempt}", "Attempts to open a connection.");
        _meter.CreateObservableCounter("echohost.client.connect.failures", () => Volatile.Read(ref _connectFailures), "{attempt}", "Attempts to open a connection that failed.");
        _meter.CreateObservableCounter("echohost.client.reconnections", () => Volatile.Read(ref _reconnections), "{connection}", "Connections opened in place of a lost one.");
        _meter.CreateObservableCounter("echohost.client.retries", () => Volatile.Read(ref _retries), "{retry}", "Attempts repeated by the resilience pipeline.");
        _meter.CreateObservableCounter("echohost.client.health_checks", ReadHealthChecks, "{check}", "Health-check Pings of idle connections, by outcome.");
        if (breaker is not null)
        {
            _meter.CreateObservableGauge("echohost.client.circuit_breaker.state", ReadBreakerState, "{state}", "The circuit breaker's state: 0 closed, 1 open, 2 half-open, 3 isolated.");
        }
    }

    public CircuitBreakerStateProvider? Breaker { get; }

    public static string TypeName(int slot) => TypeNames[slot];

    /// <summary>A start time for <see cref="Complete"/>; 0 when nobody listens to the histogram (the clock is not read).</summary>
    public long Start() => _duration.Enabled ? _time.GetTimestamp() : 0;

    public void Sent(int slot) => Interlocked.Increment(ref _sent[slot]);

    public void Complete(int slot, RequestOutcome outcome, long started)
    {
        Interlocked.Increment(ref _completed[(slot * RequestOutcomes.Count) + (int)outcome]);
        if (started != 0)
        {
            _duration.Record(
                _time.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>("type", TypeNames[slot]),
                new KeyValuePair<string, object?>("outcome", RequestOutcomes.Names[(int)outcome]));
        }
    }

    public void BytesSent(long count) => Interlocked.Add(ref _bytesSent, count);

    public void BytesReceived(long count) => Interlocked.Add(ref _bytesReceived, count);

    public void ConnectAttempt() => Interlocked.Increment(ref _connectAttempts);

    public void ConnectFailed() => Interlocked.Increment(ref _connectFailures);

    public void Opened(bool replacing)
    {
        Interlocked.Increment(ref _opened);
        Interlocked.Increment(ref _open);
        if (replacing)
        {
            Interlocked.Increment(ref _reconnections);
        }
    }

    public void Closed() => Interlocked.Decrement(ref _open);

    public void Retried() => Interlocked.Increment(ref _retries);

    public void HealthChecked(bool failed)
    {
        Interlocked.Increment(ref _healthChecks);
        if (failed)
        {
            Interlocked.Increment(ref _healthCheckFailures);
        }
    }

    public void CircuitOpened() => Interlocked.Increment(ref _circuitOpened);

    public void CircuitHalfOpened() => Interlocked.Increment(ref _circuitHalfOpened);

    public void CircuitClosed() => Interlocked.Increment(ref _circuitClosed);

    public FramedClientStatistics Snapshot()
    {
        long Completed(RequestOutcome outcome, bool pings = false)
        {
            long sum = 0;
            for (var slot = pings ? PingSlot : 0; slot < (pings ? TypeSlots : PingSlot); slot++)
            {
                sum += Volatile.Read(ref _completed[(slot * RequestOutcomes.Count) + (int)outcome]);
            }

            return sum;
        }

        long sent = 0;
        for (var slot = 0; slot < PingSlot; slot++)
        {
            sent += Volatile.Read(ref _sent[slot]);
        }

        var byOutcome = new long[RequestOutcomes.Count];
        for (var i = 0; i < byOutcome.Length; i++)
        {
            byOutcome[i] = Completed((RequestOutcome)i);
        }

        return new FramedClientStatistics
        {
            RequestsSent = sent,
            RequestsCompleted = byOutcome.Sum(),
            RequestsSucceeded = byOutcome[(int)RequestOutcome.Ok],
            ErrorResponses = byOutcome[(int)RequestOutcome.Error],
            Timeouts = byOutcome[(int)RequestOutcome.Timeout],
            OutcomeUnknown = byOutcome[(int)RequestOutcome.OutcomeUnknown],
            Unavailable = byOutcome[(int)RequestOutcome.Unavailable],
            CircuitOpenRejections = byOutcome[(int)RequestOutcome.CircuitOpen],
            Cancelled = byOutcome[(int)RequestOutcome.Cancelled],
            PingsSent = Volatile.Read(ref _sent[PingSlot]),
            PingsSucceeded = Completed(RequestOutcome.Ok, pings: true),
            BytesSent = Volatile.Read(ref _bytesSent),
            BytesReceived = Volatile.Read(ref _bytesReceived),
            OpenConnections = Volatile.Read(ref _open),
            ConnectionsOpened = Volatile.Read(ref _opened),
            ConnectAttempts = Volatile.Read(ref _connectAttempts),
            ConnectFailures = Volatile.Read(ref _connectFailures),
            Reconnections = Volatile.Read(ref _reconnections),
            Retries = Volatile.Read(ref _retries),
            HealthChecks = Volatile.Read(ref _healthChecks),
            HealthCheckFailures = Volatile.Read(ref _healthCheckFailures),
            CircuitState = Breaker?.CircuitState,
            CircuitOpened = Volatile.Read(ref _circuitOpened),
            CircuitHalfOpened = Volatile.Read(ref _circuitHalfOpened),
            CircuitClosed = Volatile.Read(ref _circuitClosed),
        };
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static string[] CreateTypeNames()
    {
        var names = new string[TypeSlots];
        for (var type = 0; type < 256; type++)
        {
            names[type] = (byte)type switch
            {
                MessageTypes.Echo => "echo",
                MessageTypes.Reverse => "reverse",
                MessageTypes.Uppercase => "uppercase",
                MessageTypes.Stats => "stats",
                _ => $"0x{type:x2}",
            };
        }

        names[PingSlot] = "ping";
        return names;
    }

    private IEnumerable<Measurement<long>> ReadSent()
    {
        for (var slot = 0; slot < TypeSlots; slot++)
        {
            var value = Volatile.Read(ref _sent[slot]);
            if (value != 0)
            {
                yield return new Measurement<long>(value, new KeyValuePair<string, object?>("type", TypeNames[slot]));
            }
        }
    }

    private IEnumerable<Measurement<long>> ReadCompleted()
    {
        for (var i = 0; i < _completed.Length; i++)
        {
            var value = Volatile.Read(ref _completed[i]);
            if (value != 0)
            {
                yield return new Measurement<long>(
                    value,
                    new KeyValuePair<string, object?>("type", TypeNames[i / RequestOutcomes.Count]),
                    new KeyValuePair<string, object?>("outcome", RequestOutcomes.Names[i % RequestOutcomes.Count]));
            }
        }
    }

    private IEnumerable<Measurement<long>> ReadHealthChecks()
    {
        var failed = Volatile.Read(ref _healthCheckFailures);
        yield return new Measurement<long>(Volatile.Read(ref _healthChecks) - failed, new KeyValuePair<string, object?>("outcome", "ok"));
        yield return new Measurement<long>(failed, new KeyValuePair<string, object?>("outcome", "failed"));
    }

    private int ReadBreakerState() => (int)Breaker!.CircuitState;
}
