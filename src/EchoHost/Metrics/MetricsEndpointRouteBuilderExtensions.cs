using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace EchoHost.Metrics;

/// <summary>Maps the metrics endpoint.</summary>
internal static class MetricsEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps prometheus-net's endpoint on <c>EchoHost:Metrics:Path</c> (<c>/metrics</c>): the host's registry, in text
    /// 0.0.4 or OpenMetrics 1.0 as the <c>Accept</c> header asks. The exporter starts listening here, so that the
    /// handler histogram counts from start-up rather than from the first scrape.
    /// </summary>
    public static IEndpointConventionBuilder MapEchoHostMetrics(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        var options = services.GetRequiredService<MetricsOptions>();
        var registry = services.GetRequiredService<CollectorRegistry>();
        services.GetRequiredService<InstrumentExporter>();
        return endpoints.MapMetrics(settings => settings.Registry = registry, options.Path);
    }
}
