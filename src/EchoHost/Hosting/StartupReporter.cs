using System.Runtime.InteropServices;
using EchoHost.Configuration;
using EchoHost.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EchoHost.Hosting;

/// <summary>
/// Says what runs: the transport before Kestrel binds, then one line per endpoint with the address it actually
/// listens on (port 0 resolved), which operators and the end-to-end tests read. It takes the place of the generic
/// host's "Now listening on: http://…" lines, which call every endpoint http. When the service stops, it says so,
/// and says how many connections were cut off if they did not finish within <c>EchoHost:ShutdownTimeout</c>.
/// </summary>
internal sealed partial class StartupReporter(EchoHostSettings settings, ListeningEndpoints endpoints, ServiceMetrics metrics, ILogger<StartupReporter> logger)
    : IHostedLifecycleService
{
    private CancellationTokenRegistration _shutdownTimeout;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        var transport = settings.Transport;

        // A name, not the enum: structured sinks would render an enum as a quoted JSON string.
        var name = transport.Kind == TransportKind.Native ? "Native" : "Sockets";
        if (transport.Kind == TransportKind.Sockets && transport.Configured == "Auto")
        {
            LogNoNativeEngine(logger, RuntimeInformation.OSDescription);
        }
        else if (transport.Engine is null)
        {
            LogTransport(logger, name, transport.Configured);
        }
        else
        {
            LogTransportWithEngine(logger, name, transport.Engine, transport.Configured);
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Lifecycle services hear StartedAsync after every hosted service has started, Kestrel's included.
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        foreach (var endpoint in endpoints.GetBound())
        {
            LogListening(logger, endpoint.Definition.Name, endpoint.Definition.ProtocolName, endpoint.Address);
        }

        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        LogStopping(logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        // The token of every service's stop: cancelled when the shutdown timeout passes, which is when Kestrel aborts
        // the connections still open.
        _shutdownTimeout = cancellationToken.UnsafeRegister(static state => ((StartupReporter)state!).ReportShutdownTimedOut(), this);
        return Task.CompletedTask;
    }

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        _shutdownTimeout.Dispose();
        LogStopped(logger);
        return Task.CompletedTask;
    }

    private void ReportShutdownTimedOut() =>
        LogShutdownTimedOut(
            logger,
            settings.ShutdownTimeout,

            // A WebSocket is also counted as the http endpoint's connection it was upgraded from.
            metrics.Endpoints.Where(endpoint => !endpoint.IsCarried).Sum(endpoint => endpoint.Read().Connections.Active));

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Using the {Transport} transport (EchoHost:Transport is {Configured})")]
    private static partial void LogTransport(ILogger logger, string transport, string configured);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Using the {Transport} transport with the {Engine} engine (EchoHost:Transport is {Configured})")]
    private static partial void LogTransportWithEngine(ILogger logger, string transport, string engine, string configured);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Using the Sockets transport: the native transport has no engine on {OperatingSystem} (EchoHost:Transport is Auto)")]
    private static partial void LogNoNativeEngine(ILogger logger, string operatingSystem);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Endpoint {Endpoint} ({Protocol}) listening on {Address}")]
    private static partial void LogListening(ILogger logger, string endpoint, string protocol, string address);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Shutting down: no longer accepting connections, closing open ones")]
    private static partial void LogStopping(ILogger logger);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Shutdown timeout ({ShutdownTimeout}) reached with {Connections} connection(s) still open: aborting them")]
    private static partial void LogShutdownTimedOut(ILogger logger, TimeSpan shutdownTimeout, long connections);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Stopped")]
    private static partial void LogStopped(ILogger logger);
}
