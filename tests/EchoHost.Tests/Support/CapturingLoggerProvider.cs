using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EchoHost.Tests.Support;

/// <summary>Keeps every log entry that passes the host's filters, for tests to inspect.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<(string Category, LogLevel Level, string Message)> Entries => [.. _entries];

    /// <summary>
    /// The entries at Warning or above, as text, but for Kestrel's slow-heartbeat warning: that one says the machine
    /// running the tests is loaded (thread pool starvation), not that the service erred.
    /// </summary>
    public IReadOnlyList<string> Problems =>
    [
        .. _entries
            .Where(e => e.Level >= LogLevel.Warning && !IsSlowHeartbeat(e))
            .Select(e => $"{e.Level} {e.Category}: {e.Message}"),
    ];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    private static bool IsSlowHeartbeat((string Category, LogLevel Level, string Message) entry) =>
        entry.Category == "Microsoft.AspNetCore.Server.Kestrel" && entry.Message.Contains("the heartbeat has been running for", StringComparison.Ordinal);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue((category, logLevel, formatter(state, exception) + (exception is null ? "" : " | " + exception)));
    }
}
