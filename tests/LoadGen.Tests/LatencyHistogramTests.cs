using EchoHost.LoadGen.Metrics;

namespace EchoHost.LoadGen.Tests;

public class LatencyHistogramTests
{
    [Fact]
    public void Uniform_values_give_percentiles_within_one_percent()
    {
        var histogram = new LatencyHistogram();
        for (long v = 1; v <= 1_000_000; v++)
        {
            histogram.Record(v);
        }

        Assert.Equal(1_000_000, histogram.Count);
        foreach (var (percentile, exact) in new[] { (50.0, 500_000L), (90.0, 900_000L), (99.0, 990_000L), (99.9, 999_000L) })
        {
            var value = histogram.ValueAtPercentile(percentile);
            Assert.InRange(value, exact, exact * 1.01);
        }

        Assert.Equal(1_000_000, histogram.ValueAtPercentile(100));
        Assert.Equal(1, histogram.Min);
        Assert.Equal(500_000.5, histogram.Mean, 3);
    }

    [Fact]
    public void Small_values_are_exact()
    {
        var histogram = new LatencyHistogram();
        foreach (var v in new long[] { 0, 1, 2, 3, 100, 255 })
        {
            histogram.Record(v);
        }

        Assert.Equal(0, histogram.ValueAtPercentile(1));
        Assert.Equal(2, histogram.ValueAtPercentile(50));
        Assert.Equal(100, histogram.ValueAtPercentile(80));
        Assert.Equal(255, histogram.ValueAtPercentile(100));
    }

    [Fact]
    public void Two_point_distribution_splits_where_the_counts_do()
    {
        var histogram = new LatencyHistogram();
        for (var i = 0; i < 990; i++)
        {
            histogram.Record(10_000);
        }

        for (var i = 0; i < 10; i++)
        {
            histogram.Record(5_000_000);
        }

        Assert.InRange(histogram.ValueAtPercentile(50), 10_000, 10_100);
        Assert.InRange(histogram.ValueAtPercentile(99), 10_000, 10_100);
        Assert.InRange(histogram.ValueAtPercentile(99.9), 5_000_000, 5_000_000);
        Assert.Equal(5_000_000, histogram.Max);
    }

    [Fact]
    public void Merged_histograms_equal_one_that_recorded_everything()
    {
        var all = new LatencyHistogram();
        var parts = new[] { new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram() };
        var random = new Random(7);
        for (var i = 0; i < 30_000; i++)
        {
            var value = (long)Math.Exp(random.NextDouble() * 20);
            all.Record(value);
            parts[i % 3].Record(value);
        }

        var merged = new LatencyHistogram();
        foreach (var part in parts)
        {
            merged.Add(part);
        }

        Assert.Equal(all.Count, merged.Count);
        Assert.Equal(all.Min, merged.Min);
        Assert.Equal(all.Max, merged.Max);
        Assert.Equal(all.Sum, merged.Sum, 1);
        foreach (var percentile in new[] { 0.0, 10, 50, 90, 99, 99.9, 99.99, 100 })
        {
            Assert.Equal(all.ValueAtPercentile(percentile), merged.ValueAtPercentile(percentile));
        }
    }

    [Fact]
    public void Extremes_are_recorded_and_negative_values_count_as_zero()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(long.MaxValue);
        histogram.Record(-5);
        Assert.Equal(0, histogram.Min);
        Assert.Equal(long.MaxValue, histogram.Max);
        Assert.Equal(0, histogram.ValueAtPercentile(50));
        Assert.Equal(long.MaxValue, histogram.ValueAtPercentile(100));
    }

    [Fact]
    public void An_empty_histogram_reports_zero()
    {
        var histogram = new LatencyHistogram();
        Assert.Equal(0, histogram.ValueAtPercentile(99));
        Assert.Equal(0, histogram.Mean);
    }

    [Fact]
    public void Every_value_lands_in_a_bucket_whose_bounds_hold_it_within_one_percent()
    {
        var random = new Random(11);
        for (var i = 0; i < 100_000; i++)
        {
            var value = (long)(random.NextDouble() * Math.Pow(2, random.Next(0, 62)));
            var index = LatencyHistogram.IndexOf(value);
            var high = LatencyHistogram.HighestEquivalent(index);
            Assert.InRange(high, value, Math.Max(value, (long)(value * 1.008)) + 1);
            Assert.True(index == 0 || LatencyHistogram.HighestEquivalent(index - 1) < value);
        }
    }
}
