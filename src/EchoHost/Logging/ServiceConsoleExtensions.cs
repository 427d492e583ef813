using EchoHost.Logging;
using Serilog.Configuration;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace Serilog;

/// <summary>The EchoHost console sink, named <c>ServiceConsole</c> in the <c>Serilog:WriteTo</c> configuration.</summary>
public static class ServiceConsoleExtensions
{
    /// <summary>The console line EchoHost writes unless configuration gives another <c>outputTemplate</c>.</summary>
    public const string DefaultOutputTemplate = "{Timestamp:yyyy-MM-ddTHH:mm:ss.fffzzz} {Level:u3} {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>
    /// Writes events to standard output with <paramref name="outputTemplate"/>; when standard output is systemd's
    /// journal, every line starts with its syslog priority (<c>&lt;6&gt;</c> …) so that journald keeps the levels.
    /// </summary>
    public static LoggerConfiguration ServiceConsole(
        this LoggerSinkConfiguration sinkConfiguration,
        string outputTemplate = DefaultOutputTemplate,
        LogEventLevel restrictedToMinimumLevel = LogEventLevel.Verbose)
    {
        ArgumentNullException.ThrowIfNull(sinkConfiguration);
        var formatter = new MessageTemplateTextFormatter(outputTemplate, System.Globalization.CultureInfo.InvariantCulture);
        return sinkConfiguration.Sink(new ServiceConsoleSink(formatter, Console.Out, JournalStream.IsStandardOutput()), restrictedToMinimumLevel);
    }
}
