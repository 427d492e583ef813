using Polly.CircuitBreaker;

namespace EchoHost.Client;

/// <summary>
/// A snapshot of a <see cref="FramedClient"/>'s counters since it was created (<see cref="FramedClient.GetStatistics"/>):
/// the same figures as its meter, for applications without a metrics pipeline.
/// </summary>
public sealed record FramedClientStatistics
{
    /// <summary>Request frames written to a connection, each attempt of a retried request included.</summary>
    public long RequestsSent { get; init; }

    /// <summary>Calls of <c>SendAsync</c> that returned a Response.</summary>
    public long RequestsSucceeded { get; init; }

    /// <summary>Calls of <c>SendAsync</c> that the server answered with an Error frame.</summary>
    public long ErrorResponses { get; init; }

    /// <summary>Calls of <c>SendAsync</c> that failed with a <see cref="TimeoutException"/>.</summary>
    public long Timeouts { get; init; }

    /// <summary>Calls of <c>SendAsync</c> that failed with a <see cref="FramedOutcomeUnknownException"/>.</summary>
    public long OutcomeUnknown { get; init; }

    /// <summary>Calls of <c>SendAsync</c> refused unsent because no connection took requests (<see cref="FramedUnavailableException"/> for another reason than the breaker).</summary>
    public long Unavailable { get; init; }

    /// <summary>Calls of <c>SendAsync</c> refused unsent by the open circuit breaker.</summary>
    public long CircuitOpenRejections { get; init; }

    /// <summary>Calls of <c>SendAsync</c> cancelled by their caller.</summary>
    public long Cancelled { get; init; }

    /// <summary>Ping frames written: the application's and the health checks'.</summary>
    public long PingsSent { get; init; }

    /// <summary>Calls of <c>PingAsync</c> that got their Pong.</summary>
    public long PingsSucceeded { get; init; }

    /// <summary>Bytes written to the server's connections (TLS records' own bytes not included).</summary>
    public long BytesSent { get; init; }

    /// <summary>Bytes read from the server's connections (TLS records' own bytes not included).</summary>
    public long BytesReceived { get; init; }

    /// <summary>Connections open now.</summary>
    public long OpenConnections { get; init; }

    /// <summary>Connections opened since the client was created.</summary>
    public long ConnectionsOpened { get; init; }

    /// <summary>Attempts to open a connection.</summary>
    public long ConnectAttempts { get; init; }

    /// <summary>Attempts to open a connection that failed.</summary>
    public long ConnectFailures { get; init; }

    /// <summary>Connections opened in place of one that was lost, closed by a GoAway or failed its health check.</summary>
    public long Reconnections { get; init; }

    /// <summary>Attempts repeated by the resilience pipeline.</summary>
    public long Retries { get; init; }

    /// <summary>Health-check Pings sent to idle connections.</summary>
    public long HealthChecks { get; init; }

    /// <summary>Health checks whose Pong did not come in time; each closed its connection.</summary>
    public long HealthCheckFailures { get; init; }

    /// <summary>The circuit breaker's state now, or null when the client has none of its own.</summary>
    public CircuitState? CircuitState { get; init; }

    /// <summary>How many times the circuit breaker opened.</summary>
    public long CircuitOpened { get; init; }

    /// <summary>How many times the circuit breaker half-opened to let one request test the server.</summary>
    public long CircuitHalfOpened { get; init; }

    /// <summary>How many times the circuit breaker closed again.</summary>
    public long CircuitClosed { get; init; }

    /// <summary>Calls of <c>SendAsync</c> that ended, whatever their outcome.</summary>
    public long RequestsCompleted { get; init; }

    /// <summary>The share of ended calls of <c>SendAsync</c> that did not return a Response (0 when none ended).</summary>
    public double ErrorRate => RequestsCompleted == 0 ? 0 : (double)(RequestsCompleted - RequestsSucceeded) / RequestsCompleted;
}
