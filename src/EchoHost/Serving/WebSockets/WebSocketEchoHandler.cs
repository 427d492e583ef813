using System.Net;
using System.Net.WebSockets;
using EchoHost.Configuration;
using EchoHost.Serving.Framed;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace EchoHost.Serving.WebSockets;

/// <summary>
/// Serves <c>EchoHost:WebSockets:Path</c>: accepts the upgrade (with <c>echohost.framed</c> when the client asks for
/// it, with per-message deflate when it offers it and <c>Compression</c> allows), counts the connection in its
/// endpoint's WebSockets and runs its session until it ends; the host's shutdown asks the session to close.
/// </summary>
internal sealed class WebSocketEchoHandler(
    WebSocketEchoOptions options, FramedConnectionServices framed, IHostApplicationLifetime lifetime, AccessLog? accessLog = null)
{
    public async Task HandleAsync(HttpContext context)
    {
        // Only connections of an http endpoint carry it; its absence would be a binding mistake, not a client's.
        var endpoint = context.Features.Get<WebSocketEchoEndpoint>();
        if (endpoint is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync($"{options.Path} is a WebSocket echo: connect with a WebSocket client, e.g. wscat -c ws://host:port{options.Path}\n");
            return;
        }

        var speaksFramed = context.WebSockets.WebSocketRequestedProtocols.Contains(WebSocketEchoOptions.FramedSubProtocol, StringComparer.Ordinal);
        using var webSocket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = speaksFramed ? WebSocketEchoOptions.FramedSubProtocol : null,
            DangerousEnableCompression = options.Compression,
            KeepAliveInterval = options.KeepAliveInterval,
        });

        var connectionId = context.Connection.Id;
        var remote = RemoteEndPoint(context.Connection);
        using WebSocketSession session = speaksFramed
            ? new FramedWebSocketSession(webSocket, endpoint, connectionId, options.MaxMessageBytes, framed, remote, LocalEndPoint(context.Connection))
            : new EchoWebSocketSession(webSocket, endpoint, connectionId, options.MaxMessageBytes, accessLog, remote);

        endpoint.Connections.Open(session.Live);
        var subProtocol = speaksFramed ? WebSocketEchoOptions.FramedSubProtocol : "none";
        var compressed = options.Compression && OffersCompression(context.Request);
        WebSocketLog.Opened(endpoint.Logger, connectionId, endpoint.Definition.Name, remote, subProtocol, compressed);
        using var shutdown = lifetime.ApplicationStopping.UnsafeRegister(static state => ((WebSocketSession)state!).RequestShutdown(), session);
        try
        {
            await session.RunAsync();
        }
        catch (Exception ex) when (ex is WebSocketException or ConnectionAbortedException or IOException or OperationCanceledException)
        {
            // A client that disconnects without a close (abruptly, mid-message) ends its connection, nothing else.
            WebSocketLog.Ended(endpoint.Logger, connectionId, ex.Message);
        }
        finally
        {
            endpoint.Connections.Close(session.Live);
            WebSocketLog.Closed(endpoint.Logger, connectionId, endpoint.Definition.Name, session.SentCloseStatus, session.Counters.BytesReceived, session.Counters.BytesSent);
        }
    }

    private static bool OffersCompression(HttpRequest request) =>
        request.Headers.SecWebSocketExtensions.Any(value => value?.Contains("permessage-deflate", StringComparison.OrdinalIgnoreCase) == true);

    private static IPEndPoint? RemoteEndPoint(ConnectionInfo connection) =>
        connection.RemoteIpAddress is { } address ? new IPEndPoint(address, connection.RemotePort) : null;

    private static IPEndPoint? LocalEndPoint(ConnectionInfo connection) =>
        connection.LocalIpAddress is { } address ? new IPEndPoint(address, connection.LocalPort) : null;
}
