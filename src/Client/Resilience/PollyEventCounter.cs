using EchoHost.Client.Telemetry;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Telemetry;

namespace EchoHost.Client.Resilience;

/// <summary>
/// Receives Polly's own telemetry events from the client's default pipeline and counts retries and the breaker's
/// transitions in the client's metrics. Polly logs the same events itself, through the client's logger factory.
/// </summary>
internal sealed class PollyEventCounter(ClientMetrics metrics) : TelemetryListener
{
    public override void Write<TResult, TArgs>(in TelemetryEventArguments<TResult, TArgs> args)
    {
        // Type tests on the generic arguments are constants to the JIT: nothing is boxed.
        if (typeof(TArgs) == typeof(OnRetryArguments<TResult>))
        {
            metrics.Retried();
        }
        else if (typeof(TArgs) == typeof(OnCircuitOpenedArguments<TResult>))
        {
            metrics.CircuitOpened();
        }
        else if (typeof(TArgs) == typeof(OnCircuitHalfOpenedArguments))
        {
            metrics.CircuitHalfOpened();
        }
        else if (typeof(TArgs) == typeof(OnCircuitClosedArguments<TResult>))
        {
            metrics.CircuitClosed();
        }
    }
}
