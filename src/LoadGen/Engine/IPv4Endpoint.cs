using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace EchoHost.LoadGen.Engine;

/// <summary>An IPv4 address and port, in host order.</summary>
internal readonly record struct IPv4Endpoint(uint Address, ushort Port)
{
    public static IPv4Endpoint Any => default;

    public bool IsAny => Address == 0 && Port == 0;

    /// <summary>In 127.0.0.0/8.</summary>
    public bool IsLoopback => (Address >> 24) == 127;

    /// <summary><paramref name="host"/>, an IPv4 address, and <paramref name="port"/>; throws <see cref="FormatException"/> for another host.</summary>
    public static IPv4Endpoint Parse(string host, int port) =>
        TryParse(host, out var endpoint) && port is >= 0 and <= ushort.MaxValue
            ? endpoint with { Port = (ushort)port }
            : throw new FormatException($"'{host}' port {port} is not an IPv4 address and port.");

    /// <summary>
    /// <c>ADDRESS</c> (port 0, to be set) or <c>ADDRESS:PORT</c>, as a user types a server; false for anything else.
    /// </summary>
    public static bool TryParse(string text, out IPv4Endpoint endpoint)
    {
        endpoint = default;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var port = 0;
        if (colon >= 0 && !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port))
        {
            return false;
        }

        if (port > ushort.MaxValue || (colon >= 0 && port == 0)
            || !IPAddress.TryParse(colon >= 0 ? text[..colon] : text, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        endpoint = new IPv4Endpoint(BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes()), (ushort)port);
        return true;
    }

    public IPEndPoint ToIPEndPoint() => new(new IPAddress(BinaryPrimitives.ReverseEndianness(Address)), Port);

    public override string ToString() => ToIPEndPoint().ToString();
}
