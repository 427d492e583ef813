using EchoHost.Configuration;
using EchoHost.Connections;
using EchoHost.Hosting;
using EchoHost.Limits;
using EchoHost.Metrics;
using EchoHost.ServiceManagers;
using EchoHost.Serving;
using EchoHost.Serving.Framed;
using EchoHost.Serving.WebSockets;
using EchoHost.StatusPage;
using EchoHost.Transport.Native;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EchoHost;

/// <summary>Adds the EchoHost service to an ASP.NET Core application.</summary>
public static class EchoHostApplicationExtensions
{
    /// <summary>
    /// Reads and validates the <c>EchoHost</c> configuration section, picks the transport (<c>EchoHost:Transport</c>)
    /// and declares the endpoints of <c>EchoHost:Endpoints</c> to Kestrel. Configuration must be complete when this
    /// is called; a mistake in it throws <see cref="EchoHostConfigurationException"/> with a message naming the key
    /// or endpoint, before anything listens.
    /// </summary>
    public static WebApplicationBuilder AddEchoHost(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var settings = EchoHostSettings.Load(builder.Configuration);
        var services = builder.Services;
        services.AddSingleton(settings);
        services.TryAddSingleton(TimeProvider.System);

        if (settings.Transport.Kind == TransportKind.Native)
        {
            services.Configure<NativeTransportOptions>(builder.Configuration.GetSection(EchoHostSettings.NativeSectionName));
            builder.WebHost.UseNativeTransport();
        }

        services.AddFramedProtocol(settings.Framed);
        services.AddSingleton<LiveConnectionRegistry>();
        services.AddWebSocketEcho(builder.Configuration);
        services.AddStatusPage(builder.Configuration);
        services.AddSingleton<ServiceMetrics>();
        services.AddConnectionLimits();
        if (settings.AccessLog)
        {
            services.AddSingleton(provider => new AccessLog(provider.GetRequiredService<ILoggerFactory>().CreateLogger(AccessLog.Category)));
        }

        // Kestrel lets connections finish for this long when the service stops, then aborts those left.
        services.Configure<HostOptions>(options => options.ShutdownTimeout = settings.ShutdownTimeout);
        services.AddSingleton<ListeningEndpoints>();
        services.AddSingleton<IConfigureOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>>(
            provider => provider.GetRequiredService<ListeningEndpoints>());
        services.AddHostedService<StartupReporter>();
        services.AddServiceManagers(settings);
        services.AddHealthChecks().AddCheck<ReadinessCheck>("endpoints", tags: [ReadinessCheck.Tag]);
        services.AddEchoHostMetrics(builder.Configuration);

        // Last, so that every transport registered above is wrapped.
        var bindFailures = new BindFailures();
        services.AddSingleton(bindFailures);
        services.AddSingleton<IPostConfigureOptions<LoggerFilterOptions>>(new StartupLogFilter(bindFailures));
        bindFailures.Install(services);
        return builder;
    }

    /// <summary>
    /// Maps what the HTTP endpoints serve: <c>GET /healthz</c> (the process is alive: it answers) and
    /// <c>GET /readyz</c> (every endpoint listens and the service is not draining), the WebSocket echo and the
    /// status page.
    /// </summary>
    public static WebApplication MapEchoHost(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = check => !check.Tags.Contains(ReadinessCheck.Tag) });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadinessCheck.Tag) });
        app.MapEchoHostMetrics();
        app.MapWebSocketEcho();
        app.MapStatusPage();
        return app;
    }
}
