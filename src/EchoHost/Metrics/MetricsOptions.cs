using EchoHost.Configuration;
using Microsoft.Extensions.Configuration;

namespace EchoHost.Metrics;

/// <summary>The metrics endpoint: the <c>EchoHost:Metrics</c> configuration section.</summary>
internal sealed class MetricsOptions
{
    public const string SectionName = "EchoHost:Metrics";

    /// <summary>The service's meter and the native transport's.</summary>
    public static readonly IReadOnlyList<string> DefaultMeters = ["EchoHost", "EchoHost.Transport.Native"];

    /// <summary>Seconds, from 100 µs (a handler answering inline) to 10 s (one near its timeout).</summary>
    public static readonly IReadOnlyList<double> DefaultHistogramBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>The path the http endpoints serve the metrics on.</summary>
    public string Path { get; set; } = "/metrics";

    /// <summary>The meters whose instruments are exported; unset means <see cref="DefaultMeters"/>.</summary>
    /// <remarks>An array left null by default: the binder would append configured items to a non-empty default.</remarks>
    public string[]? Meters { get; set; }

    /// <summary>The upper bounds of every histogram's buckets, ascending; unset means <see cref="DefaultHistogramBuckets"/>.</summary>
    public double[]? HistogramBuckets { get; set; }

    public IReadOnlyList<string> EffectiveMeters => Meters is { Length: > 0 } meters ? meters : DefaultMeters;

    public IReadOnlyList<double> EffectiveHistogramBuckets =>
        HistogramBuckets is { Length: > 0 } buckets ? buckets : DefaultHistogramBuckets;

    /// <summary>Binds and validates <c>EchoHost:Metrics</c>; throws <see cref="EchoHostConfigurationException"/> naming the key.</summary>
    public static MetricsOptions Load(IConfiguration configuration)
    {
        var options = SectionBinding.Bind(configuration, SectionName, static section => section.Get<MetricsOptions>());
        options.Validate();
        return options;
    }

    private void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path) || !Path.StartsWith('/'))
        {
            throw new EchoHostConfigurationException($"{SectionName}:Path is '{Path}'; it must start with '/'");
        }

        var buckets = EffectiveHistogramBuckets;
        for (var i = 0; i < buckets.Count; i++)
        {
            if (!double.IsFinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1]))
            {
                throw new EchoHostConfigurationException(
                    $"{SectionName}:HistogramBuckets must be finite numbers in ascending order; item {i} is {buckets[i]}");
            }
        }
    }
}
