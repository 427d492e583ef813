using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EchoHost.StatusPage;

/// <summary>Registers and maps the status page: <c>GET /</c> (the page) and <c>GET /status.json</c> (its figures).</summary>
internal static class StatusPageExtensions
{
    private const string PageResource = "EchoHost.StatusPage.status.html";

    public static IServiceCollection AddStatusPage(this IServiceCollection services, IConfiguration configuration)
    {
        var options = StatusPageOptions.Load(configuration);
        services.AddSingleton(options);
        if (options.Enabled)
        {
            services.AddSingleton<StatusReport>();
        }

        return services;
    }

    public static WebApplication MapStatusPage(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<StatusPageOptions>().Enabled)
        {
            return app;
        }

        // Created now: uptime counts from start-up.
        var report = app.Services.GetRequiredService<StatusReport>();
        var page = ReadPage();
        // RequestDelegates rather than minimal-API handlers, whose binding is made by reflection the native build lacks.
        app.MapGet("/", (RequestDelegate)(context => Results.Bytes(page, "text/html; charset=utf-8").ExecuteAsync(context)));
        app.MapGet("/status.json", (RequestDelegate)(context => Results.Json(report.Read(), StatusJsonContext.Default.ServiceStatus).ExecuteAsync(context)));
        return app;
    }

    /// <summary>The page, embedded in the assembly: one file with its style and script, nothing fetched from elsewhere.</summary>
    private static byte[] ReadPage()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(PageResource)
            ?? throw new InvalidOperationException($"The status page ({PageResource}) is not embedded in the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
