using EchoHost.Metrics;
using Microsoft.Extensions.Primitives;

namespace EchoHost.Tests.Metrics;

public class ExpositionNegotiationTests
{
    /// <summary>What Prometheus 2.x sends with every scrape.</summary>
    private const string PrometheusAccept =
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

    [Theory]
    [InlineData(PrometheusAccept, "OpenMetrics")]
    [InlineData("application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", "OpenMetrics")]
    [InlineData("application/openmetrics-text; version=1.0.0; charset=utf-8", "OpenMetrics")]
    [InlineData("application/openmetrics-text", "OpenMetrics")]
    [InlineData("application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5", "OpenMetrics")]
    [InlineData("text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.5", "PrometheusText")]
    [InlineData("text/plain;version=0.0.4", "PrometheusText")]
    [InlineData("*/*", "PrometheusText")]
    [InlineData("text/*;q=0.8,application/openmetrics-text;q=0.9", "OpenMetrics")]
    [InlineData("application/openmetrics-text;q=0,text/plain", "PrometheusText")]
    [InlineData("application/openmetrics-text;version=2.0.0", "PrometheusText")]
    [InlineData("application/json", "PrometheusText")]
    [InlineData("", "PrometheusText")]
    public void Picks_the_format_the_client_prefers(string accept, string expected) =>
        Assert.Equal(expected, ExpositionNegotiation.Choose(new StringValues(accept)).ToString());

    [Fact]
    public void No_accept_header_gets_text() =>
        Assert.Equal(ExpositionFormat.PrometheusText, ExpositionNegotiation.Choose(StringValues.Empty));

    [Fact]
    public void Accept_split_over_several_header_lines_is_read_as_one() =>
        Assert.Equal(
            ExpositionFormat.OpenMetrics,
            ExpositionNegotiation.Choose(new StringValues(["text/plain;version=0.0.4;q=0.5", "application/openmetrics-text;version=1.0.0"])));

    [Fact]
    public void Content_types_are_those_scrapers_expect()
    {
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", ExpositionFormat.PrometheusText.ContentType());
        Assert.Equal("application/openmetrics-text; version=1.0.0; charset=utf-8", ExpositionFormat.OpenMetrics.ContentType());
    }
}
