using EchoHost.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Extensions.Hosting;
using Serilog.Extensions.Logging;
using Serilog.Settings.Configuration;

namespace EchoHost.Logging;

/// <summary>
/// Serilog as the service's logging, in Serilog.AspNetCore's two stages: a bootstrap logger from the first line of
/// Main, which reports what fails before the host exists, then each host's logger from the <c>Serilog</c> section and
/// the host's services. Optional request logging for the http endpoint comes from Serilog.AspNetCore too.
/// </summary>
internal static class ServiceLogging
{
    public const string SectionName = "Serilog";

    /// <summary><c>EchoHost:RequestLog</c>: one line per HTTP request (method, path, status, time), off by default.</summary>
    public const string RequestLogKey = "EchoHost:RequestLog";

    /// <summary>
    /// The logger for what happens before configuration is read, or when reading it fails: the console alone, so that
    /// a service that cannot start says why wherever its output goes (the journal, a container's log).
    /// </summary>
    public static ReloadableLogger CreateBootstrapLogger() =>
        new LoggerConfiguration().MinimumLevel.Information().WriteTo.ServiceConsole().CreateBootstrapLogger();

    /// <summary>
    /// Replaces the host's logging providers with a Serilog logger configured from the <c>Serilog</c> section (and
    /// the services, for sinks that take them), disposed, and so flushed, with the host. A section that cannot be used
    /// throws <see cref="EchoHostConfigurationException"/> when the host is built; so does a non-boolean
    /// <c>EchoHost:RequestLog</c>, at once.
    /// </summary>
    /// <remarks>
    /// Serilog is a provider of the host's logger factory rather than the factory itself (as Serilog.AspNetCore's
    /// <c>AddSerilog</c> would make it): the service filters start-up noise through Microsoft.Extensions.Logging's
    /// filters, and tests add providers of their own. Serilog's levels decide what is written; the factory passes all.
    /// </remarks>
    public static WebApplicationBuilder AddServiceLogging(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IConfiguration configuration = builder.Configuration;
        var services = builder.Services;
        services.AddSingleton(new RequestLogSetting(ReadRequestLog(configuration)));

        // Before Serilog's provider is added: clearing removes every provider registered so far.
        builder.Logging.ClearProviders();
        builder.Logging.AddFilter<SerilogLoggerProvider>(null, LogLevel.Trace);

        // Each host has its own logger (tests run several in one process); the static one stays the bootstrap logger.
        services.AddSingleton(provider => ReadSection(new LoggerConfiguration(), configuration).ReadFrom.Services(provider).CreateLogger());
        services.AddSingleton<ILoggerProvider>(provider => new SerilogLoggerProvider(provider.GetRequiredService<Logger>()));
        services.AddSingleton(provider => new DiagnosticContext(provider.GetRequiredService<Logger>()));
        services.AddSingleton<IDiagnosticContext>(provider => provider.GetRequiredService<DiagnosticContext>());
        return builder;
    }

    /// <summary>Serilog's request logging on the HTTP endpoints, into the host's logger, when <c>EchoHost:RequestLog</c> is <c>true</c>.</summary>
    public static WebApplication UseServiceRequestLogging(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetRequiredService<RequestLogSetting>().Enabled)
        {
            var logger = app.Services.GetRequiredService<Logger>();
            app.UseSerilogRequestLogging(options => options.Logger = logger);
        }

        return app;
    }

    private static LoggerConfiguration ReadSection(LoggerConfiguration logger, IConfiguration configuration)
    {
        try
        {
            // The sinks the service ships with, its own ServiceConsole among them, are found without a "Using" entry.
            var options = new ConfigurationReaderOptions(SerilogConfigurationAssemblies.All())
            {
                SectionName = SectionName,
            };
            return logger.ReadFrom.Configuration(configuration, options);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException or System.Reflection.TargetInvocationException)
        {
            throw new EchoHostConfigurationException($"The {SectionName} section cannot be used: {(ex.InnerException ?? ex).Message}", ex);
        }
    }

    private static bool ReadRequestLog(IConfiguration configuration)
    {
        var value = configuration[RequestLogKey];
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        return bool.TryParse(value, out var enabled)
            ? enabled
            : throw new EchoHostConfigurationException($"{RequestLogKey} is '{value}'; expected true or false");
    }

    /// <summary>The value of <c>EchoHost:RequestLog</c>, read with the logging.</summary>
    private sealed record RequestLogSetting(bool Enabled);
}
