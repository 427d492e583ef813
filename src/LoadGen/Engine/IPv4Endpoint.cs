using System.Buffers.Binary;
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

    public static IPv4Endpoint Parse(string host, int port)
    {
        if (!IPAddress.TryParse(host, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new UsageException($"'{host}' is not an IPv4 address.");
        }

        if (port is < 0 or > ushort.MaxValue)
        {
            throw new UsageException($"{port} is not a port.");
        }

        return new IPv4Endpoint(BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes()), (ushort)port);
    }

    public IPEndPoint ToIPEndPoint() => new(new IPAddress(BinaryPrimitives.ReverseEndianness(Address)), Port);

    public override string ToString() => ToIPEndPoint().ToString();
}
