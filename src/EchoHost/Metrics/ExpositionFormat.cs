namespace EchoHost.Metrics;

/// <summary>The two formats <c>GET /metrics</c> answers in.</summary>
internal enum ExpositionFormat
{
    /// <summary>Prometheus text format 0.0.4, the default.</summary>
    PrometheusText,

    /// <summary>OpenMetrics 1.0.0 text, which Prometheus asks for first.</summary>
    OpenMetrics,
}

internal static class ExpositionFormatExtensions
{
    public const string PrometheusTextContentType = "text/plain; version=0.0.4; charset=utf-8";
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    public static string ContentType(this ExpositionFormat format) =>
        format == ExpositionFormat.OpenMetrics ? OpenMetricsContentType : PrometheusTextContentType;
}
