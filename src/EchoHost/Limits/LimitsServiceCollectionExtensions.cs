using Microsoft.Extensions.DependencyInjection;

namespace EchoHost.Limits;

internal static class LimitsServiceCollectionExtensions
{
    /// <summary>The limits of <c>EchoHost:Limits</c> (read with the rest of the settings) and their sweep.</summary>
    public static IServiceCollection AddConnectionLimits(this IServiceCollection services)
    {
        services.AddSingleton<ConnectionLimits>();
        services.AddHostedService<LimitsSweep>();
        return services;
    }
}
