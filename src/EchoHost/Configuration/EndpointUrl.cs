using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EchoHost.Configuration;

/// <summary>
/// Parses an endpoint's Url: <c>tcp://HOST:PORT</c>, <c>http://HOST:PORT</c>, <c>unix:/path</c>, or with TLS
/// <c>tls://HOST:PORT</c> and <c>https://HOST:PORT</c>.
/// Written by hand rather than with <see cref="Uri"/> so that each mistake gets a message that says what is wrong.
/// </summary>
internal static class EndpointUrl
{
    public const string ExpectedForms = "tcp://HOST:PORT, tls://HOST:PORT, http://HOST:PORT, https://HOST:PORT or unix:/path";

    // sun_path holds 108 bytes including the terminating NUL.
    private const int MaxUnixPathBytes = 107;

    /// <summary>Parses <paramref name="url"/>; on failure, <paramref name="problem"/> says why, in lower case.</summary>
    public static bool TryParse(string url, out UrlScheme scheme, out EndpointAddress? address, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(url);
        scheme = default;
        address = null;

        if (url.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            scheme = UrlScheme.Unix;
            return TryParseUnix(url["unix:".Length..], out address, out problem);
        }

        if (!TryStripScheme(url, out scheme, out var rest))
        {
            problem = $"not a valid URL; expected {ExpectedForms}";
            return false;
        }

        // "http://0.0.0.0:9464/" is how people write a base address; a longer path is not supported.
        if (scheme is UrlScheme.Http or UrlScheme.Https && rest.EndsWith('/'))
        {
            rest = rest[..^1];
        }

        if (rest.IndexOfAny(['/', '?', '#']) >= 0)
        {
            problem = "a path, query or fragment is not supported; write only HOST:PORT after the scheme";
            return false;
        }

        return TryParseHostAndPort(rest, out address, out problem);
    }

    /// <summary>How a Url of <paramref name="scheme"/> begins: <c>tcp://</c>, <c>tls://</c>, <c>http://</c>, <c>https://</c>, <c>unix:</c>.</summary>
    public static string Prefix(UrlScheme scheme) => scheme switch
    {
        UrlScheme.Tcp => "tcp://",
        UrlScheme.Tls => "tls://",
        UrlScheme.Http => "http://",
        UrlScheme.Https => "https://",
        UrlScheme.Unix => "unix:",
        _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Unknown scheme."),
    };

    private static bool TryStripScheme(string url, out UrlScheme scheme, out string rest)
    {
        foreach (var candidate in (ReadOnlySpan<UrlScheme>)[UrlScheme.Tcp, UrlScheme.Tls, UrlScheme.Http, UrlScheme.Https])
        {
            var prefix = Prefix(candidate);
            if (url.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                scheme = candidate;
                rest = url[prefix.Length..];
                return true;
            }
        }

        scheme = default;
        rest = string.Empty;
        return false;
    }

    private static bool TryParseHostAndPort(string text, out EndpointAddress? address, out string? problem)
    {
        address = null;
        string host;
        string? portText;
        IPAddress? ip = null;

        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                problem = "the IPv6 address has no closing ']'";
                return false;
            }

            host = text[1..close];
            if (!IPAddress.TryParse(host, out ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
            {
                problem = $"'{host}' is not an IPv6 address";
                return false;
            }

            var after = text[(close + 1)..];
            portText = after.StartsWith(':') ? after[1..] : null;
            if (portText is null && after.Length > 0)
            {
                problem = $"unexpected '{after}' after the IPv6 address";
                return false;
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            host = colon < 0 ? text : text[..colon];
            portText = colon < 0 ? null : text[(colon + 1)..];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                problem = "an IPv6 address must be written in brackets, as in tcp://[::1]:1512";
                return false;
            }
        }

        if (host.Length == 0)
        {
            problem = "the URL has no host; use an IP address of this machine, 0.0.0.0, [::] or localhost";
            return false;
        }

        if (portText is null)
        {
            problem = "the URL has no port; write HOST:PORT (port 0 picks a free port)";
            return false;
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            problem = $"'{portText}' is not a port (0 to 65535)";
            return false;
        }

        if (ip is null)
        {
            if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                address = new LocalhostEndpoint(port);
                problem = null;
                return true;
            }

            // IPAddress.TryParse also takes shorthands such as "1" (0.0.0.1) and "127.1"; a listen address written
            // like that is more likely a typo than intent, so only the dotted quad counts.
            if (!IsDottedQuad(host) || !IPAddress.TryParse(host, out ip))
            {
                problem = $"'{host}' is not an IP address or localhost; use an address of this machine, 0.0.0.0, [::] or localhost";
                return false;
            }
        }

        address = new IPAddressEndpoint(ip, port);
        problem = null;
        return true;
    }

    private static bool IsDottedQuad(string host)
    {
        var dots = 0;
        foreach (var c in host)
        {
            if (c == '.')
            {
                dots++;
            }
            else if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return dots == 3;
    }

    private static bool TryParseUnix(string path, out EndpointAddress? address, out string? problem)
    {
        address = null;

        // Accept the URI form with an empty authority, unix:///run/echohost.sock, as well as unix:/run/echohost.sock.
        if (path.StartsWith("///", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        if (!path.StartsWith('/'))
        {
            problem = "the socket path must be absolute, as in unix:/run/echohost/echo.sock";
            return false;
        }

        if (path.EndsWith('/'))
        {
            problem = "the socket path names a directory";
            return false;
        }

        if (Encoding.UTF8.GetByteCount(path) > MaxUnixPathBytes)
        {
            problem = $"the socket path is longer than {MaxUnixPathBytes} bytes, the limit of Unix domain sockets";
            return false;
        }

        address = new UnixSocketEndpoint(path);
        problem = null;
        return true;
    }
}
