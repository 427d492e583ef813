using EchoHost.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Settings.Configuration;

namespace EchoHost.Logging;

/// <summary>Serilog as the service's logging: configured from the <c>Serilog</c> section, with a bootstrap logger before that.</summary>
internal static class ServiceLogging
{
    public const string SectionName = "Serilog";

    /// <summary>
    /// The logger for what happens before configuration is read, or when reading it fails: the console alone, so that
    /// a service that cannot start says why wherever its output goes (the journal, a container's log).
    /// </summary>
    public static Serilog.Core.Logger CreateBootstrapLogger() =>
        new LoggerConfiguration().MinimumLevel.Information().WriteTo.ServiceConsole().CreateLogger();

    /// <summary>Replaces the host's logging providers with Serilog, configured from <paramref name="configuration"/>.</summary>
    public static void UseSerilog(ILoggingBuilder logging, IConfiguration configuration)
    {
        Serilog.Core.Logger logger;
        try
        {
            // The sinks the service ships with, its own ServiceConsole among them, are found without a "Using" entry.
            var options = new ConfigurationReaderOptions(
                typeof(ServiceConsoleExtensions).Assembly,
                typeof(ConsoleLoggerConfigurationExtensions).Assembly,
                typeof(FileLoggerConfigurationExtensions).Assembly)
            {
                SectionName = SectionName,
            };
            logger = new LoggerConfiguration().ReadFrom.Configuration(configuration, options).CreateLogger();
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException or System.Reflection.TargetInvocationException)
        {
            throw new EchoHostConfigurationException($"The {SectionName} section cannot be used: {(ex.InnerException ?? ex).Message}", ex);
        }

        logging.ClearProviders();

        // Disposed with the host's logger factory: what is buffered is flushed when the service exits.
        logging.AddSerilog(logger, dispose: true);
    }
}
