using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EchoHost.Metrics;

/// <summary>Registers the metrics exporter.</summary>
internal static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// Reads and validates <c>EchoHost:Metrics</c> and registers the collector, the process metrics and the endpoint.
    /// A mistake in the section throws <see cref="Configuration.EchoHostConfigurationException"/> before anything listens.
    /// </summary>
    public static IServiceCollection AddEchoHostMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(MetricsOptions.Load(configuration));
        services.AddMetrics();
        services.AddSingleton<ProcessMetrics>();
        services.AddSingleton<MeterCollector>();
        services.AddSingleton<MetricsEndpoint>();
        return services;
    }
}
