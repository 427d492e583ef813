using System.Globalization;

namespace EchoHost.Client.Cli;

/// <summary>
/// A server as a user types it: <c>HOST</c>, <c>HOST:PORT</c>, <c>[IPv6]</c> or <c>[IPv6]:PORT</c>; a bare IPv6
/// address (two colons or more) is a host without a port.
/// </summary>
internal readonly record struct ServerAddress(string Host, int? Port)
{
    public static bool TryParse(string text, out ServerAddress address, out string? problem)
    {
        address = default;
        problem = null;
        string host;
        string? port = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 2 || (close + 1 < text.Length && text[close + 1] != ':'))
            {
                problem = $"'{text}' is not HOST, HOST:PORT or [IPv6]:PORT";
                return false;
            }

            host = text[1..close];
            port = close + 1 < text.Length ? text[(close + 2)..] : null;
        }
        else if (text.Count(c => c == ':') == 1)
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            host = text[..colon];
            port = text[(colon + 1)..];
        }
        else
        {
            host = text;
        }

        if (host.Length == 0)
        {
            problem = $"'{text}' names no host";
            return false;
        }

        if (port is null)
        {
            address = new ServerAddress(host, null);
            return true;
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
        {
            problem = $"'{port}' in '{text}' is not a port (1 to 65535)";
            return false;
        }

        address = new ServerAddress(host, number);
        return true;
    }
}
