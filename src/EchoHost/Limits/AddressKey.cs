using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace EchoHost.Limits;

/// <summary>
/// Whose connection it is, for the limits per address: an IPv4 address (also when it reaches a dual-mode socket as
/// <c>::ffff:a.b.c.d</c>), or the /64 prefix of an IPv6 address, since one host or home network is usually given a
/// whole /64 and could otherwise take a fresh address for every connection. Made without allocating.
/// </summary>
internal readonly struct AddressKey : IEquatable<AddressKey>
{
    // IPv4 is kept in its mapped form, ::ffff:a.b.c.d; an IPv6 key has the prefix in _high and 0 in _low.
    private const ulong MappedPrefix = 0x0000_FFFF_0000_0000;

    private readonly ulong _high;
    private readonly ulong _low;

    private AddressKey(ulong high, ulong low)
    {
        _high = high;
        _low = low;
    }

    /// <summary>False for a peer without an IP address (a Unix domain socket): such connections are not limited per address.</summary>
    public static bool TryGet(EndPoint? endPoint, out AddressKey key)
    {
        key = default;
        if (endPoint is not IPEndPoint { Address: var address })
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out _))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            key = new AddressKey(0, MappedPrefix | BinaryPrimitives.ReadUInt32BigEndian(bytes));
        }
        else if (address.IsIPv4MappedToIPv6)
        {
            key = new AddressKey(0, BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
        }
        else
        {
            key = new AddressKey(BinaryPrimitives.ReadUInt64BigEndian(bytes), 0);
        }

        return true;
    }

    public bool Equals(AddressKey other) => _high == other._high && _low == other._low;

    public override bool Equals(object? obj) => obj is AddressKey other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_high, _low);
}
