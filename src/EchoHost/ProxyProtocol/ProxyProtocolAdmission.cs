using System.IO.Pipelines;
using System.Net;
using EchoHost.Configuration;
using EchoHost.Limits;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EchoHost.ProxyProtocol;

/// <summary>
/// The first connection middleware of an endpoint with the PROXY protocol: refuses peers that are not trusted
/// proxies before reading anything, reads the header within its deadline, and makes the header's source the
/// connection's <c>RemoteEndPoint</c> for everything after it (limits, TLS, logs, handlers, HTTP). A connection
/// without a valid header is closed alone, counted as rejected with reason <c>proxy_protocol</c>.
/// </summary>
internal sealed partial class ProxyProtocolAdmission(
    EndpointDefinition endpoint, ProxyProtocolSettings settings, ConnectionLimiter limiter, TimeProvider time, ILogger logger)
{
    private enum Outcome
    {
        Read,
        NotTrusted,
        Missing,
        Malformed,
        TooLong,
        Truncated,
        TimedOut,
    }

    private static readonly string[] Problems =
    [
        "",
        "not from a trusted proxy",
        "no PROXY protocol header",
        "a malformed PROXY protocol header",
        "a version 1 PROXY protocol header longer than 107 bytes",
        "closed before its PROXY protocol header was complete",
        "no complete PROXY protocol header in time",
    ];

    /// <summary>Puts the PROXY protocol first on <paramref name="listenOptions"/> when <paramref name="endpoint"/> has it; nothing otherwise.</summary>
    public static void Use(ListenOptions listenOptions, EndpointDefinition endpoint, ConnectionLimiter limiter, ILogger logger)
    {
        if (endpoint.ProxyProtocol is not { } settings)
        {
            return;
        }

        var admission = new ProxyProtocolAdmission(endpoint, settings, limiter, listenOptions.ApplicationServices.GetRequiredService<TimeProvider>(), logger);
        listenOptions.Use(next => connection => admission.OnConnectedAsync(connection, next));
    }

    public async Task OnConnectedAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var proxy = connection.RemoteEndPoint;
        var (outcome, header) = settings.Trusts(proxy) ? await ReadHeaderAsync(connection.Transport.Input) : (Outcome.NotTrusted, default);
        if (outcome != Outcome.Read)
        {
            // Returning closes the connection; the count and the limiter's periodic line say it happened, the Debug
            // line says why.
            limiter.CountRejected(RejectReason.ProxyProtocol);
            LogRefused(logger, connection.ConnectionId, endpoint.Name, proxy, Problems[(int)outcome]);
            return;
        }

        if (header.Source is { } source)
        {
            connection.RemoteEndPoint = source;
        }

        connection.Features.Set(new ProxyProtocolFeature(proxy, header.Destination));
        if (logger.IsEnabled(LogLevel.Debug))
        {
            LogHeader(logger, connection.ConnectionId, endpoint.Name, proxy, header.Version, connection.RemoteEndPoint);
        }

        await next(connection);
    }

    private async ValueTask<(Outcome, ProxyHeader)> ReadHeaderAsync(PipeReader input)
    {
        using var deadline = new CancellationTokenSource(settings.Timeout, time);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                return (Outcome.TimedOut, default);
            }
            catch (Exception ex) when (ex is IOException or ConnectionAbortedException)
            {
                return (Outcome.Truncated, default);
            }

            var buffer = result.Buffer;
            var status = ProxyHeaderParser.TryParse(buffer, out var header, out var consumed);
            if (status == ProxyHeaderStatus.Complete)
            {
                // What follows the header stays in the pipe for TLS or the protocol.
                input.AdvanceTo(consumed);
                return (Outcome.Read, header);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            switch (status)
            {
                case ProxyHeaderStatus.Missing:
                    return (Outcome.Missing, default);
                case ProxyHeaderStatus.Malformed:
                    return (Outcome.Malformed, default);
                case ProxyHeaderStatus.TooLong:
                    return (Outcome.TooLong, default);
                case ProxyHeaderStatus.Incomplete when result.IsCompleted || result.IsCanceled:
                    return (Outcome.Truncated, default);
            }
        }
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Debug, Message = "Connection {ConnectionId} on {Endpoint} from {ProxyAddress} refused: {Problem}")]
    private static partial void LogRefused(ILogger logger, string connectionId, string endpoint, EndPoint? proxyAddress, string problem);

    [LoggerMessage(EventId = 31, Level = LogLevel.Debug, Message = "Connection {ConnectionId} on {Endpoint} through proxy {ProxyAddress}: PROXY protocol version {Version} header from {RemoteAddress}")]
    private static partial void LogHeader(ILogger logger, string connectionId, string endpoint, EndPoint? proxyAddress, int version, EndPoint? remoteAddress);
}
