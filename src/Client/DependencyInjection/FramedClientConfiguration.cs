using System.Globalization;
using System.Security.Authentication;
using Microsoft.Extensions.Configuration;

namespace EchoHost.Client.DependencyInjection;

/// <summary>
/// Reads a <c>FramedClients:&lt;name&gt;</c> section into <see cref="FramedClientOptions"/>: each key by hand, so
/// that a value that does not parse or a key that does not exist fails with the key's full path, and so that the
/// library needs no reflection (the generated binder would descend into the certificate and pipeline objects).
/// </summary>
internal static class FramedClientConfiguration
{
    private static readonly Dictionary<string, Action<FramedResilienceOptions, IConfigurationSection>> ResilienceKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["MaxRetryAttempts"] = (o, s) => o.MaxRetryAttempts = Int(s),
        ["RetryDelay"] = (o, s) => o.RetryDelay = Time(s),
        ["RetryMaxDelay"] = (o, s) => o.RetryMaxDelay = Time(s),
        ["CircuitBreakerEnabled"] = (o, s) => o.CircuitBreakerEnabled = Bool(s),
        ["FailureRatio"] = (o, s) => o.FailureRatio = Parse(s, "a number such as 0.5", v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture)),
        ["MinimumThroughput"] = (o, s) => o.MinimumThroughput = Int(s),
        ["SamplingDuration"] = (o, s) => o.SamplingDuration = Time(s),
        ["BreakDuration"] = (o, s) => o.BreakDuration = Time(s),
        ["PollyTelemetry"] = (o, s) => o.PollyTelemetry = Bool(s),
    };

    private static readonly Dictionary<string, Action<FramedTlsOptions, IConfigurationSection>> TlsKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["TargetHost"] = (o, s) => o.TargetHost = s.Value,
        ["EnabledProtocols"] = (o, s) => o.EnabledProtocols = Parse(s, "TLS versions such as Tls12, Tls13 or Tls12, Tls13", v => Enum.Parse<SslProtocols>(v, ignoreCase: true)),
        ["CertificateAuthorityPath"] = (o, s) => o.CertificateAuthorityPath = s.Value,
        ["ClientCertificatePath"] = (o, s) => o.ClientCertificatePath = s.Value,
        ["ClientKeyPath"] = (o, s) => o.ClientKeyPath = s.Value,
    };

    private static readonly Dictionary<string, Action<FramedClientOptions, IConfigurationSection>> Keys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Host"] = (o, s) => o.Host = s.Value,
        ["Port"] = (o, s) => o.Port = Int(s),
        ["UnixSocketPath"] = (o, s) => o.UnixSocketPath = s.Value,
        ["Name"] = (o, s) => o.Name = s.Value,
        ["RequestTimeout"] = (o, s) => o.RequestTimeout = Time(s),
        ["ConnectTimeout"] = (o, s) => o.ConnectTimeout = Time(s),
        ["PoolSize"] = (o, s) => o.PoolSize = Int(s),
        ["MaxFrameBytes"] = (o, s) => o.MaxFrameBytes = Int(s),
        ["NoDelay"] = (o, s) => o.NoDelay = Bool(s),
        ["TcpKeepAlive"] = (o, s) => o.TcpKeepAlive = Time(s),
        ["HealthCheckInterval"] = (o, s) => o.HealthCheckInterval = Time(s),
        ["HealthCheckTimeout"] = (o, s) => o.HealthCheckTimeout = Time(s),
        ["IdempotentTypes"] = (o, s) => o.IdempotentTypes.UnionWith(Types(s)),
        ["Resilience"] = (o, s) => Bind(s, o.Resilience ??= new FramedResilienceOptions(), ResilienceKeys),
        ["Tls"] = (o, s) => Bind(s, o.Tls ??= new FramedTlsOptions(), TlsKeys),
    };

    /// <summary>Sets what <paramref name="section"/> holds on <paramref name="options"/>, leaving the rest as it is.</summary>
    /// <exception cref="InvalidOperationException">A key is unknown or its value does not parse; the message names it.</exception>
    public static void Bind(IConfigurationSection section, FramedClientOptions options) => Bind(section, options, Keys);

    private static void Bind<T>(IConfigurationSection section, T target, Dictionary<string, Action<T, IConfigurationSection>> keys)
    {
        foreach (var child in section.GetChildren())
        {
            if (!keys.TryGetValue(child.Key, out var set))
            {
                throw new InvalidOperationException(
                    $"{child.Path}: unknown setting; the settings of {section.Path} are {string.Join(", ", keys.Keys)}.");
            }

            set(target, child);
        }
    }

    private static int Int(IConfigurationSection s) => Parse(s, "a whole number", v => int.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture));

    private static bool Bool(IConfigurationSection s) => Parse(s, "true or false", bool.Parse);

    private static TimeSpan Time(IConfigurationSection s) => Parse(s, "a time span such as 00:00:05 (hh:mm:ss)", v => TimeSpan.Parse(v, CultureInfo.InvariantCulture));

    /// <summary>Message types, as an array or a comma-separated list, each decimal or 0x hexadecimal: <c>0x50, 0x51</c>.</summary>
    private static byte[] Types(IConfigurationSection s)
    {
        var values = s.Value is { } list ? list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : s.GetChildren().Select(c => c.Value ?? string.Empty).ToArray();
        return values.Select(v => Parse(s, "message types from 0 to 255, decimal or 0x hexadecimal", _ => v.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? byte.Parse(v.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : byte.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture))).ToArray();
    }

    private static T Parse<T>(IConfigurationSection s, string expected, Func<string, T> parse)
    {
        var value = s.Value ?? string.Empty;
        try
        {
            return parse(value.Trim());
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            throw new InvalidOperationException($"{s.Path}: '{value}' is not {expected}.", ex);
        }
    }
}
