using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal;

/// <summary>Reads a kernel <c>sockaddr</c> (as <c>accept4</c> and <c>getsockname</c> fill it) into an endpoint.</summary>
internal static class SockAddr
{
    /// <summary>Room for any address family: <c>sizeof(struct sockaddr_storage)</c>.</summary>
    public const int StorageSize = 128;

    /// <summary>Room for the addresses a connection keeps: <c>sizeof(struct sockaddr_in6)</c>.</summary>
    public const int BufferSize = 28;

    [InlineArray(BufferSize)]
    public struct Buffer
    {
        private byte _first;
    }

    /// <summary>The endpoint of an IPv4 or IPv6 address; null for other families (Unix domain peers are unnamed).</summary>
    public static IPEndPoint? ToIPEndPoint(ReadOnlySpan<byte> address)
        => ToIPEndPoint(address, Sys.SockAddrHasLength, Sys.AF_INET, Sys.AF_INET6);

    /// <summary>As the kernel of a system with these values lays it out.</summary>
    internal static IPEndPoint? ToIPEndPoint(ReadOnlySpan<byte> address, bool hasLength, int afInet, int afInet6)
    {
        // Linux's sa_family is two bytes in host order; the BSDs' is one byte after sa_len. Ports and IPv4 addresses
        // are in network order, and the rest of the layout is the same.
        int family = hasLength ? address[1] : BitConverter.ToUInt16(address);
        int port = BinaryPrimitives.ReadUInt16BigEndian(address[2..]);
        if (family == afInet)
        {
            return new IPEndPoint(new IPAddress(address.Slice(4, 4)), port);
        }

        if (family == afInet6)
        {
            uint scope = BitConverter.ToUInt32(address[24..]);
            return new IPEndPoint(new IPAddress(address.Slice(8, 16), scope), port);
        }

        return null;
    }
}
