using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace EchoHost.Metrics;

/// <summary>Registers the metrics exporter.</summary>
internal static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// Reads and validates <c>EchoHost:Metrics</c> and registers this host's own prometheus-net registry (none of
    /// prometheus-net's default collectors), the process metrics and the exporter that fills the registry.
    /// A mistake in the section throws <see cref="Configuration.EchoHostConfigurationException"/> before anything listens.
    /// </summary>
    public static IServiceCollection AddEchoHostMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(MetricsOptions.Load(configuration));
        services.AddMetrics();
        services.AddSingleton(_ => Prometheus.Metrics.NewCustomRegistry());
        services.AddSingleton<ProcessMetrics>();
        services.AddSingleton<InstrumentExporter>();
        return services;
    }
}
