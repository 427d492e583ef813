using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace EchoHost.Hosting;

/// <summary>
/// <c>/readyz</c>: ready once every endpoint listens (the host has started, which it does only after Kestrel bound
/// them all), and no longer once shutdown has begun, so that a load balancer stops sending new clients while the
/// connections already here drain.
/// </summary>
internal sealed class ReadinessCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var result = lifetime.ApplicationStopping.IsCancellationRequested ? HealthCheckResult.Unhealthy("draining")
            : lifetime.ApplicationStarted.IsCancellationRequested ? HealthCheckResult.Healthy("listening")
            : HealthCheckResult.Unhealthy("starting");
        return Task.FromResult(result);
    }
}
