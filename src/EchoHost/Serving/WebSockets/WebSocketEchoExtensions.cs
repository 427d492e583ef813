using EchoHost.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EchoHost.Serving.WebSockets;

/// <summary>Registers and maps the WebSocket echo of the http endpoints.</summary>
internal static class WebSocketEchoExtensions
{
    /// <summary>Reads and validates <c>EchoHost:WebSockets</c>; when enabled, registers what serves it.</summary>
    public static IServiceCollection AddWebSocketEcho(this IServiceCollection services, IConfiguration configuration)
    {
        var options = WebSocketEchoOptions.Load(configuration);
        services.AddSingleton(options);
        if (options.Enabled)
        {
            services.AddSingleton<WebSocketEchoEndpoints>();
            services.AddSingleton<WebSocketMetrics>();
            services.AddSingleton<WebSocketEchoHandler>();
        }

        return services;
    }

    /// <summary>Serves the WebSocket echo at <c>EchoHost:WebSockets:Path</c> of every http endpoint, when enabled.</summary>
    public static WebApplication MapWebSocketEcho(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<WebSocketEchoOptions>();
        if (!options.Enabled)
        {
            return app;
        }

        // Created now, so that its instruments exist from the start.
        app.Services.GetRequiredService<WebSocketMetrics>();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = options.KeepAliveInterval });
        app.Map(options.Path, app.Services.GetRequiredService<WebSocketEchoHandler>().HandleAsync);
        return app;
    }
}
