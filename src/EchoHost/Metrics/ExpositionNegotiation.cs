using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace EchoHost.Metrics;

/// <summary>
/// Picks the format from an Accept header as Prometheus sends it: OpenMetrics when the client asks for it by name
/// with a q-value at least that of the text format (which <c>text/plain</c>, <c>text/*</c> and <c>*/*</c> ask for),
/// text 0.0.4 otherwise, including when there is no Accept header.
/// </summary>
internal static class ExpositionNegotiation
{
    private const string OpenMetricsMediaType = "application/openmetrics-text";

    public static ExpositionFormat Choose(StringValues accept)
    {
        if (!MediaTypeHeaderValue.TryParseList(accept, out var ranges))
        {
            return ExpositionFormat.PrometheusText;
        }

        double openMetrics = 0;
        double text = 0;
        foreach (var range in ranges)
        {
            var quality = range.Quality ?? 1.0;
            var version = Version(range);
            if (range.MediaType.Equals(OpenMetricsMediaType, StringComparison.OrdinalIgnoreCase))
            {
                // 0.0.1 is the draft that 1.0.0 finalized; Prometheus's parser reads both alike.
                if (version is null or "1.0.0" or "0.0.1")
                {
                    openMetrics = Math.Max(openMetrics, quality);
                }
            }
            else if (range.MediaType.Equals("text/plain", StringComparison.OrdinalIgnoreCase))
            {
                if (version is null or "0.0.4")
                {
                    text = Math.Max(text, quality);
                }
            }
            else if (range.MatchesAllTypes || range.MediaType.Equals("text/*", StringComparison.OrdinalIgnoreCase))
            {
                text = Math.Max(text, quality);
            }
        }

        return openMetrics > 0 && openMetrics >= text ? ExpositionFormat.OpenMetrics : ExpositionFormat.PrometheusText;
    }

    private static string? Version(MediaTypeHeaderValue range)
    {
        foreach (var parameter in range.Parameters)
        {
            if (parameter.Name.Equals("version", StringComparison.OrdinalIgnoreCase))
            {
                return HeaderUtilities.RemoveQuotes(parameter.Value).ToString();
            }
        }

        return null;
    }
}
