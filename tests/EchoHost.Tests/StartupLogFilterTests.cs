using System.Net;
using EchoHost.Hosting;
using EchoHost.Tests.Support;
using Microsoft.Extensions.Logging;

namespace EchoHost.Tests;

public class StartupLogFilterTests
{
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    [Fact]
    public void Drops_the_hosts_errors_only_once_a_bind_failure_is_recorded_and_keeps_every_other_rule()
    {
        var failures = new BindFailures();
        var options = new LoggerFilterOptions { MinLevel = LogLevel.Information };
        options.Rules.Add(new LoggerFilterRule(null, "Microsoft", LogLevel.Warning, null));
        options.Rules.Add(new LoggerFilterRule(null, HostCategory, LogLevel.Information, null));
        new StartupLogFilter(failures).PostConfigure(null, options);
        var capture = new CapturingLoggerProvider();
        using (var factory = new LoggerFactory([capture], options))
        {
            var host = factory.CreateLogger(HostCategory);
            Write(host, LogLevel.Error, "an error before any bind failed");
            failures.Record(new IPEndPoint(IPAddress.Loopback, 1512), new IOException("in use"));
            Write(host, LogLevel.Error, "Hosting failed to start");
            Write(host, LogLevel.Information, "information from the host");
            Write(factory.CreateLogger("EchoHost.Anything"), LogLevel.Error, "an error elsewhere");
            Write(factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel"), LogLevel.Information, "below the Microsoft rule's level");
            Write(factory.CreateLogger("EchoHost.Anything"), LogLevel.Debug, "below the minimum level");
        }

        Assert.Equal(
            ["an error before any bind failed", "information from the host", "an error elsewhere"],
            capture.Entries.Select(e => e.Message));
    }

    // The logger's own method, as a LoggerMessage-generated one would call it.
    private static void Write(ILogger logger, LogLevel level, string message) =>
        logger.Log(level, default, message, null, static (state, _) => state);
}
