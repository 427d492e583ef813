using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace EchoHost.Configuration;

/// <summary>
/// One <c>Limits</c> section as bound: <c>EchoHost:Limits</c> (the server's, and every endpoint's defaults) or
/// <c>EchoHost:Endpoints:&lt;name&gt;:Limits</c> (that endpoint's own). Null is "not set in this section".
/// </summary>
internal sealed class LimitsSection
{
    public static readonly string[] Keys =
    [
        nameof(MaxConnections), nameof(MaxConnectionsPerAddress), nameof(ConnectionsPerSecondPerAddress),
        nameof(ConnectionBurstPerAddress), nameof(RequestsPerSecondPerAddress), nameof(RequestBurstPerAddress),
        nameof(MaxTrackedAddresses), nameof(IdleTimeout), nameof(MinFrameBytesPerSecond), nameof(FrameGracePeriod),
    ];

    public int? MaxConnections { get; set; }

    public int? MaxConnectionsPerAddress { get; set; }

    public double? ConnectionsPerSecondPerAddress { get; set; }

    public int? ConnectionBurstPerAddress { get; set; }

    public double? RequestsPerSecondPerAddress { get; set; }

    public int? RequestBurstPerAddress { get; set; }

    public int? MaxTrackedAddresses { get; set; }

    public TimeSpan? IdleTimeout { get; set; }

    public int? MinFrameBytesPerSecond { get; set; }

    public TimeSpan? FrameGracePeriod { get; set; }
}

/// <summary>The limits one endpoint runs with: its own section over <c>EchoHost:Limits</c> over the built-in defaults.</summary>
internal sealed record EndpointLimits(
    int MaxConnections,
    int MaxConnectionsPerAddress,
    double ConnectionsPerSecondPerAddress,
    int ConnectionBurstPerAddress,
    double RequestsPerSecondPerAddress,
    int RequestBurstPerAddress,
    int MaxTrackedAddresses,
    TimeSpan IdleTimeout,
    int MinFrameBytesPerSecond,
    TimeSpan FrameGracePeriod);

/// <summary>
/// <c>EchoHost:Limits</c> and the <c>Limits</c> section of each endpoint, validated: a negative or nonsensical value,
/// a key that is not a limit, or a framed-only limit on another protocol stops start-up with a message naming the key.
/// </summary>
internal sealed class LimitsSettings
{
    public const string SectionName = "EchoHost:Limits";

    public const double MinRate = 0.001;
    public const double MaxRate = 1_000_000;
    public const int MaxBurst = 1_000_000;
    public const int MaxTrackedAddressesLimit = 10_000_000;

    private static readonly EndpointLimits BuiltIn = new(
        MaxConnections: 0,
        MaxConnectionsPerAddress: 0,
        ConnectionsPerSecondPerAddress: 0,
        ConnectionBurstPerAddress: 10,
        RequestsPerSecondPerAddress: 0,
        RequestBurstPerAddress: 100,
        MaxTrackedAddresses: 65536,
        IdleTimeout: TimeSpan.FromMinutes(5),
        MinFrameBytesPerSecond: 240,
        FrameGracePeriod: TimeSpan.FromSeconds(5));

    private readonly Dictionary<string, EndpointLimits> _endpoints;

    private LimitsSettings(int maxConnections, Dictionary<string, EndpointLimits> endpoints)
    {
        MaxConnections = maxConnections;
        _endpoints = endpoints;
    }

    /// <summary><c>EchoHost:Limits:MaxConnections</c>: connections of all endpoints together; 0 is unlimited.</summary>
    public int MaxConnections { get; }

    public EndpointLimits For(EndpointDefinition endpoint) => _endpoints[endpoint.Name];

    public static LimitsSettings Load(IConfiguration configuration, IReadOnlyList<EndpointDefinition> endpoints)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var defaults = Bind(configuration.GetSection(SectionName));
        Validate(SectionName, defaults, endpoint: null);

        var resolved = new Dictionary<string, EndpointLimits>(StringComparer.OrdinalIgnoreCase);
        foreach (var endpoint in endpoints)
        {
            var path = $"{EchoHostOptions.SectionName}:Endpoints:{endpoint.Name}:Limits";
            var own = Bind(configuration.GetSection(path));
            Validate(path, own, endpoint);
            resolved.Add(endpoint.Name, new EndpointLimits(
                // The server-wide MaxConnections is no endpoint's default: an endpoint is unlimited unless it says.
                own.MaxConnections ?? BuiltIn.MaxConnections,
                own.MaxConnectionsPerAddress ?? defaults.MaxConnectionsPerAddress ?? BuiltIn.MaxConnectionsPerAddress,
                own.ConnectionsPerSecondPerAddress ?? defaults.ConnectionsPerSecondPerAddress ?? BuiltIn.ConnectionsPerSecondPerAddress,
                own.ConnectionBurstPerAddress ?? defaults.ConnectionBurstPerAddress ?? BuiltIn.ConnectionBurstPerAddress,
                own.RequestsPerSecondPerAddress ?? defaults.RequestsPerSecondPerAddress ?? BuiltIn.RequestsPerSecondPerAddress,
                own.RequestBurstPerAddress ?? defaults.RequestBurstPerAddress ?? BuiltIn.RequestBurstPerAddress,
                own.MaxTrackedAddresses ?? defaults.MaxTrackedAddresses ?? BuiltIn.MaxTrackedAddresses,
                own.IdleTimeout ?? defaults.IdleTimeout ?? BuiltIn.IdleTimeout,
                own.MinFrameBytesPerSecond ?? defaults.MinFrameBytesPerSecond ?? BuiltIn.MinFrameBytesPerSecond,
                own.FrameGracePeriod ?? defaults.FrameGracePeriod ?? BuiltIn.FrameGracePeriod));
        }

        return new LimitsSettings(defaults.MaxConnections ?? 0, resolved);
    }

    private static LimitsSection Bind(IConfigurationSection section)
    {
        foreach (var child in section.GetChildren())
        {
            // The binder ignores keys it does not know: a misspelt limit would silently be no limit.
            if (!LimitsSection.Keys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new EchoHostConfigurationException(
                    $"{section.Path}:{child.Key} is not a limit; expected {string.Join(", ", LimitsSection.Keys)}");
            }
        }

        try
        {
            return section.Get<LimitsSection>() ?? new LimitsSection();
        }
        catch (InvalidOperationException ex)
        {
            throw new EchoHostConfigurationException($"Invalid configuration: {ex.Message}", ex);
        }
    }

    private static void Validate(string path, LimitsSection section, EndpointDefinition? endpoint)
    {
        NotNegative(path, nameof(LimitsSection.MaxConnections), section.MaxConnections);
        NotNegative(path, nameof(LimitsSection.MaxConnectionsPerAddress), section.MaxConnectionsPerAddress);
        Rate(path, nameof(LimitsSection.ConnectionsPerSecondPerAddress), section.ConnectionsPerSecondPerAddress);
        Range(path, nameof(LimitsSection.ConnectionBurstPerAddress), section.ConnectionBurstPerAddress, 1, MaxBurst);
        Rate(path, nameof(LimitsSection.RequestsPerSecondPerAddress), section.RequestsPerSecondPerAddress);
        Range(path, nameof(LimitsSection.RequestBurstPerAddress), section.RequestBurstPerAddress, 1, MaxBurst);
        Range(path, nameof(LimitsSection.MaxTrackedAddresses), section.MaxTrackedAddresses, 1, MaxTrackedAddressesLimit);
        Time(path, nameof(LimitsSection.IdleTimeout), section.IdleTimeout, zeroAllowed: true);
        NotNegative(path, nameof(LimitsSection.MinFrameBytesPerSecond), section.MinFrameBytesPerSecond);
        Time(path, nameof(LimitsSection.FrameGracePeriod), section.FrameGracePeriod, zeroAllowed: false);

        if (endpoint is null)
        {
            return;
        }

        // In EchoHost:Limits these are defaults that only framed endpoints take; set on another endpoint they are a mistake.
        if (!endpoint.Protocol.Applies(ProtocolLimits.RequestRate))
        {
            FramedOnly(path, endpoint, nameof(LimitsSection.RequestsPerSecondPerAddress), section.RequestsPerSecondPerAddress);
            FramedOnly(path, endpoint, nameof(LimitsSection.RequestBurstPerAddress), section.RequestBurstPerAddress);
        }

        if (!endpoint.Protocol.Applies(ProtocolLimits.SlowFrame))
        {
            FramedOnly(path, endpoint, nameof(LimitsSection.MinFrameBytesPerSecond), section.MinFrameBytesPerSecond);
            FramedOnly(path, endpoint, nameof(LimitsSection.FrameGracePeriod), section.FrameGracePeriod);
        }
    }

    private static void NotNegative(string path, string key, int? value)
    {
        if (value < 0)
        {
            throw new EchoHostConfigurationException($"{path}:{key} is {value}; it must be 0 (no limit) or more");
        }
    }

    private static void Range(string path, string key, int? value, int min, int max)
    {
        if (value < min || value > max)
        {
            throw new EchoHostConfigurationException(
                string.Create(CultureInfo.InvariantCulture, $"{path}:{key} is {value}; it must be from {min} to {max}"));
        }
    }

    private static void Rate(string path, string key, double? value)
    {
        if (value is { } rate && rate != 0 && !(rate >= MinRate && rate <= MaxRate))
        {
            throw new EchoHostConfigurationException(
                string.Create(CultureInfo.InvariantCulture, $"{path}:{key} is {rate}; it must be 0 (no limit) or from {MinRate} to {MaxRate} per second"));
        }
    }

    private static void Time(string path, string key, TimeSpan? value, bool zeroAllowed)
    {
        // Below 24 days, so that it fits the milliseconds of a timer.
        if (value is { } time && (time < TimeSpan.Zero || (time == TimeSpan.Zero && !zeroAllowed) || time.TotalMilliseconds >= int.MaxValue))
        {
            var expected = zeroAllowed ? "00:00:00 (off) or a positive time below 24 days" : "a positive time below 24 days";
            throw new EchoHostConfigurationException($"{path}:{key} is {time}; it must be {expected}");
        }
    }

    private static void FramedOnly<T>(string path, EndpointDefinition endpoint, string key, T? value)
        where T : struct
    {
        if (value is not null)
        {
            throw new EchoHostConfigurationException(
                $"{path}:{key} applies to framed endpoints only; endpoint '{endpoint.Name}' speaks {endpoint.ProtocolName}");
        }
    }
}
