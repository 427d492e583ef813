using Microsoft.AspNetCore.Http;

namespace EchoHost.Metrics;

/// <summary>Answers a scrape: the format the Accept header prefers, written straight into the response's pipe.</summary>
internal sealed class MetricsEndpoint(MeterCollector collector)
{
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var format = ExpositionNegotiation.Choose(context.Request.Headers.Accept);
        var response = context.Response;
        response.ContentType = format.ContentType();
        response.Headers.CacheControl = "no-store";

        var body = response.BodyWriter;
        collector.Scrape(format, body);
        await body.FlushAsync(context.RequestAborted);
    }
}
