using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Serilog;

namespace EchoHost.Logging;

/// <summary>
/// The assemblies whose configuration methods the <c>Serilog</c> section may name (<c>WriteTo</c>, <c>Enrich</c>, …):
/// Serilog itself, the sinks the service ships with and its own <c>ServiceConsole</c>. Naming them is what lets
/// Serilog.Settings.Configuration work without scanning the application's dependencies, which a single native
/// executable does not have as files; the dependencies below keep the methods it finds by reflection in that build,
/// where the compiler would otherwise remove what no code calls.
/// </summary>
internal static class SerilogConfigurationAssemblies
{
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicMethods, typeof(ServiceConsoleExtensions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicMethods, typeof(ConsoleLoggerConfigurationExtensions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicMethods, typeof(FileLoggerConfigurationExtensions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicMethods, typeof(Serilog.Configuration.LoggerSinkConfiguration))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicMethods, typeof(Serilog.Configuration.LoggerEnrichmentConfiguration))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicMethods, typeof(Serilog.Configuration.LoggerFilterConfiguration))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicMethods, typeof(Serilog.Configuration.LoggerDestructuringConfiguration))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicMethods, typeof(Serilog.Configuration.LoggerAuditSinkConfiguration))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.All, "Serilog.Settings.Configuration.SurrogateConfigurationMethods", "Serilog.Settings.Configuration")]
    public static Assembly[] All() =>
    [
        typeof(ServiceConsoleExtensions).Assembly,
        typeof(ConsoleLoggerConfigurationExtensions).Assembly,
        typeof(FileLoggerConfigurationExtensions).Assembly,
    ];
}
