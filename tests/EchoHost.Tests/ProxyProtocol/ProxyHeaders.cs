using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace EchoHost.Tests.ProxyProtocol;

/// <summary>PROXY protocol headers as a proxy writes them, built from HAProxy's specification.</summary>
internal static class ProxyHeaders
{
    public static readonly byte[] V2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary><c>PROXY TCP4 src dst sport dport\r\n</c> (TCP6 for IPv6 addresses).</summary>
    public static byte[] V1(IPEndPoint source, IPEndPoint destination)
    {
        var family = source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? "TCP4" : "TCP6";
        return Encoding.ASCII.GetBytes($"PROXY {family} {source.Address} {destination.Address} {source.Port} {destination.Port}\r\n");
    }

    public static byte[] V1(string line) => Encoding.ASCII.GetBytes(line);

    /// <summary>A version 2 PROXY (or LOCAL) header over TCP, with <paramref name="tlvs"/> after the address block.</summary>
    public static byte[] V2(IPEndPoint source, IPEndPoint destination, bool local = false, byte[]? tlvs = null)
    {
        var v4 = source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        var size = v4 ? 4 : 16;
        var block = new byte[(2 * size) + 4];
        source.Address.TryWriteBytes(block, out _);
        destination.Address.TryWriteBytes(block.AsSpan(size), out _);
        BinaryPrimitives.WriteUInt16BigEndian(block.AsSpan(2 * size), (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(block.AsSpan((2 * size) + 2), (ushort)destination.Port);
        return V2Raw(local ? (byte)0x20 : (byte)0x21, v4 ? (byte)0x11 : (byte)0x21, [.. block, .. tlvs ?? []]);
    }

    /// <summary>A version 2 header from its version-and-command and family bytes and what follows the fixed part.</summary>
    public static byte[] V2Raw(byte versionCommand, byte family, byte[] rest, int? length = null)
    {
        var header = new byte[16];
        V2Signature.CopyTo(header, 0);
        header[12] = versionCommand;
        header[13] = family;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)(length ?? rest.Length));
        return [.. header, .. rest];
    }

    /// <summary>A TLV: type, 16-bit length, value.</summary>
    public static byte[] Tlv(byte type, byte[] value)
    {
        var tlv = new byte[3 + value.Length];
        tlv[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(tlv.AsSpan(1), (ushort)value.Length);
        value.CopyTo(tlv, 3);
        return tlv;
    }
}
