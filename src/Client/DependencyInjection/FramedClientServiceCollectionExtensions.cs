using System.Diagnostics.Metrics;
using EchoHost.Client;
using EchoHost.Client.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers named <see cref="FramedClient"/>s, as <c>AddHttpClient</c> registers named <c>HttpClient</c>s.</summary>
public static class FramedClientServiceCollectionExtensions
{
    /// <summary>The configuration section of the clients' options.</summary>
    public const string ConfigurationSection = "FramedClients";

    /// <summary>
    /// Registers the framed client <paramref name="name"/>: its options are bound from the configuration section
    /// <c>FramedClients:&lt;name&gt;</c> (an unknown key is an error), then <paramref name="configure"/> runs; the
    /// container's <see cref="ILoggerFactory"/>, <see cref="IMeterFactory"/> and <see cref="TimeProvider"/> are used
    /// unless the options set their own. Resolve it with <see cref="IFramedClientFactory.GetClient"/> or as the keyed
    /// service <c>[FromKeyedServices(name)] FramedClient</c>; it is created on first use and disposed with the host.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    public static IServiceCollection AddFramedClient(this IServiceCollection services, string name, Action<FramedClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        var names = (FramedClientNames?)services.FirstOrDefault(d => d.ServiceType == typeof(FramedClientNames))?.ImplementationInstance;
        if (names is null)
        {
            names = new FramedClientNames();
            services.AddSingleton(names);
        }

        names.Add(name);
        services.TryAddSingleton<FramedClientFactory>();
        services.TryAddSingleton<IFramedClientFactory>(static sp => sp.GetRequiredService<FramedClientFactory>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FramedClientOptions>, FramedClientOptionsValidator>());
        services.TryAddKeyedSingleton(name, static (sp, key) => sp.GetRequiredService<IFramedClientFactory>().GetClient((string)key!));

        var options = services.AddOptions<FramedClientOptions>(name)
            .Configure<IConfiguration>((o, configuration) => FramedClientConfiguration.Bind(configuration.GetSection(SectionOf(name)), o));
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.PostConfigure<IServiceProvider>((o, provider) =>
        {
            o.Name ??= name;
            o.LoggerFactory ??= provider.GetService<ILoggerFactory>();
            o.MeterFactory ??= provider.GetService<IMeterFactory>();
            if (ReferenceEquals(o.TimeProvider, TimeProvider.System) && provider.GetService<TimeProvider>() is { } time)
            {
                o.TimeProvider = time;
            }
        });
        options.ValidateOnStart();
        return services;
    }

    internal static string SectionOf(string name) => $"{ConfigurationSection}:{name}";
}
