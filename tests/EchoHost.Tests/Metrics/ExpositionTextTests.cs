using System.Buffers;
using System.Text;
using EchoHost.Metrics;

namespace EchoHost.Tests.Metrics;

public class ExpositionTextTests
{
    private static string Number(double value)
    {
        var output = new ArrayBufferWriter<byte>();
        ExpositionText.WriteNumber(output, value);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(0.0, "0")]
    [InlineData(42.0, "42")]
    [InlineData(-1.5, "-1.5")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-5, "1E-05")]
    [InlineData(9007199254740993.0, "9007199254740992")]
    public void Numbers_are_spelled_as_Prometheus_reads_them(double value, string expected) =>
        Assert.Equal(expected, Number(value));

    [Theory]
    [InlineData(0.1)]
    [InlineData(1.0 / 3)]
    [InlineData(123456789.123456789)]
    [InlineData(double.Epsilon)]
    [InlineData(double.MaxValue)]
    public void Numbers_read_back_exactly_whatever_the_culture(double value)
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.InvariantCulture;
        try
        {
            var text = Number(value);
            Assert.DoesNotContain(",", text, StringComparison.Ordinal);
            Assert.Equal(value, double.Parse(text, System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(10.0, "10.0")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(2.5, "2.5")]
    [InlineData(1e-7, "1E-07")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    public void Bucket_bounds_are_canonical(double bound, string expected) =>
        Assert.Equal(expected, ExpositionText.FormatBound(bound));

    [Fact]
    public void Label_values_escape_backslash_quote_and_line_feed() =>
        Assert.Equal(@"a\\b\""c\nd	e", ExpositionText.EscapeLabelValue("a\\b\"c\nd\te"));

    [Fact]
    public void Help_escapes_the_double_quote_in_OpenMetrics_only()
    {
        const string help = "say \"hi\"\\now\nplease";

        Assert.Equal(@"say ""hi""\\now\nplease", ExpositionText.EscapeHelp(help, ExpositionFormat.PrometheusText));
        Assert.Equal(@"say \""hi\""\\now\nplease", ExpositionText.EscapeHelp(help, ExpositionFormat.OpenMetrics));
    }
}
