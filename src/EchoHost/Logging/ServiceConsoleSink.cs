using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace EchoHost.Logging;

/// <summary>
/// Writes each event to standard output through a text formatter. Under systemd's journal every line starts with its
/// syslog priority (<c>&lt;6&gt;</c> for Information and so on, sd-daemon(3)), so that journald records each line at
/// its level, a stack trace's lines included.
/// </summary>
internal sealed class ServiceConsoleSink(ITextFormatter formatter, TextWriter output, bool journal) : ILogEventSink
{
    private readonly Lock _gate = new();

    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        using var text = new StringWriter();
        formatter.Format(logEvent, text);
        var formatted = text.ToString();

        lock (_gate)
        {
            if (journal)
            {
                var prefix = Priority(logEvent.Level);
                foreach (var line in formatted.AsSpan().TrimEnd('\n').EnumerateLines())
                {
                    output.Write(prefix);
                    output.Write(line);
                    output.Write('\n');
                }
            }
            else
            {
                output.Write(formatted);
            }

            output.Flush();
        }
    }

    /// <summary>The syslog priority of a level, as journald reads it from the start of a line.</summary>
    internal static string Priority(LogEventLevel level) => level switch
    {
        LogEventLevel.Fatal => "<2>",
        LogEventLevel.Error => "<3>",
        LogEventLevel.Warning => "<4>",
        LogEventLevel.Information => "<6>",
        _ => "<7>",
    };
}
