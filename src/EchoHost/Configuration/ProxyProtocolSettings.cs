using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace EchoHost.Configuration;

/// <summary>
/// The PROXY protocol of one endpoint (<c>EchoHost:Endpoints:&lt;name&gt;:ProxyProtocol</c>, <c>TrustedProxies</c>,
/// <c>ProxyProtocolTimeout</c>), checked at start-up. Off unless asked for; then only the trusted proxies may connect.
/// </summary>
internal sealed record ProxyProtocolSettings(IReadOnlyList<IPNetwork> TrustedProxies, TimeSpan Timeout)
{
    /// <summary>How long a proxy may take to send the header before its connection is closed.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether <paramref name="peer"/> may send a header: one within a trusted range, or any peer of a Unix domain
    /// socket endpoint, which has no ranges (its file's permissions decide who connects).
    /// </summary>
    public bool Trusts(EndPoint? peer)
    {
        if (TrustedProxies.Count == 0)
        {
            return true;
        }

        if (peer is not IPEndPoint { Address: var address })
        {
            return false;
        }

        // A dual-mode socket reports IPv4 peers as ::ffff:a.b.c.d; the ranges are written as IPv4.
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in TrustedProxies)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Reads the keys from the endpoint's section; null when the PROXY protocol is off. Throws
    /// <see cref="EchoHostConfigurationException"/>, prefixed with <paramref name="subject"/>, on the first problem.
    /// </summary>
    public static ProxyProtocolSettings? Load(string subject, string name, EndpointAddress address, IConfigurationSection endpoint)
    {
        var key = $"EchoHost:Endpoints:{name}";
        var enabledText = endpoint["ProxyProtocol"];
        var on = false;
        if (!string.IsNullOrWhiteSpace(enabledText) && !bool.TryParse(enabledText.Trim(), out on))
        {
            throw new EchoHostConfigurationException($"{subject}: {key}:ProxyProtocol is '{enabledText}'; expected true or false");
        }

        var trusted = endpoint.GetSection("TrustedProxies");
        var timeoutText = endpoint["ProxyProtocolTimeout"];
        if (!on)
        {
            if (trusted.Exists() || timeoutText is not null)
            {
                throw new EchoHostConfigurationException(
                    $"{subject}: {key}:{(trusted.Exists() ? "TrustedProxies" : "ProxyProtocolTimeout")} is set but {key}:ProxyProtocol is not true; set it to true, or remove the key");
            }

            return null;
        }

        var unix = address is UnixSocketEndpoint;
        var networks = ParseNetworks(subject, key, trusted);
        if (unix && networks.Count > 0)
        {
            throw new EchoHostConfigurationException(
                $"{subject}: {key}:TrustedProxies cannot apply to a Unix domain socket, whose peers have no address (its file's permissions decide who connects); remove it");
        }

        if (!unix && networks.Count == 0)
        {
            throw new EchoHostConfigurationException(
                $"{subject}: {key}:ProxyProtocol is true but no proxy is trusted; set {key}:TrustedProxies:0 to the proxy's address or range, e.g. 10.0.0.0/8");
        }

        return new ProxyProtocolSettings(networks, ParseTimeout(subject, key, timeoutText));
    }

    /// <summary>A list (<c>TrustedProxies:0=10.0.0.0/8</c>) or one value with commas, each an address or a CIDR range.</summary>
    private static List<IPNetwork> ParseNetworks(string subject, string key, IConfigurationSection section)
    {
        var items = section.Value is { } value
            ? value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : section.GetChildren().Select(c => c.Value?.Trim() ?? "").Where(v => v.Length > 0).ToArray();
        var networks = new List<IPNetwork>();
        foreach (var item in items)
        {
            // IPNetwork would quietly clear host bits (10.0.0.1/8): a range written so is more likely a mistake.
            if (IPNetwork.TryParse(item, out var network) && IPAddress.TryParse(item.AsSpan(0, item.IndexOf('/', StringComparison.Ordinal)), out var written)
                && written.Equals(network.BaseAddress))
            {
                networks.Add(network);
            }
            else if (!item.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(item, out var single) && !item.Contains('%', StringComparison.Ordinal))
            {
                networks.Add(new IPNetwork(single, single.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                throw new EchoHostConfigurationException(
                    $"{subject}: {key}:TrustedProxies has '{item}', which is neither an address nor a CIDR range with its host bits zero (e.g. 127.0.0.1, 10.0.0.0/8, ::1/128)");
            }
        }

        return networks;
    }

    private static TimeSpan ParseTimeout(string subject, string key, string? text)
    {
        if (text is null)
        {
            return DefaultTimeout;
        }

        if (!TimeSpan.TryParse(text.Trim(), CultureInfo.InvariantCulture, out var timeout) || timeout <= TimeSpan.Zero || timeout.TotalMilliseconds >= int.MaxValue)
        {
            throw new EchoHostConfigurationException(
                $"{subject}: {key}:ProxyProtocolTimeout is '{text}'; it must be a positive time below 24 days, e.g. 00:00:05");
        }

        return timeout;
    }
}
