using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace EchoHost.Metrics;

/// <summary>Maps the metrics endpoint.</summary>
internal static class MetricsEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET</c> on <c>EchoHost:Metrics:Path</c> (<c>/metrics</c>). The collector starts listening here, so
    /// that synchronous instruments count from start-up rather than from the first scrape.
    /// </summary>
    public static IEndpointConventionBuilder MapEchoHostMetrics(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        var options = services.GetRequiredService<MetricsOptions>();
        var endpoint = services.GetRequiredService<MetricsEndpoint>();
        return endpoints.MapGet(options.Path, endpoint.HandleAsync);
    }
}
