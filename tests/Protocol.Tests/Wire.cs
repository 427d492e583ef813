using System.Buffers.Binary;
using System.Text;

namespace EchoHost.Protocol.Tests;

/// <summary>
/// Builds wire bytes by hand, independently of <see cref="FrameWriter"/>, so that the parser is tested against the
/// layout of docs/protocol.md rather than against the writer.
/// </summary>
internal sealed class Wire
{
    private readonly List<byte> _bytes = [];

    public Wire U8(int value)
    {
        _bytes.Add((byte)value);
        return this;
    }

    public Wire U16(int value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)value);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public Wire U32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public Wire U64(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public Wire Bytes(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public Wire Text(string text) => Bytes(Encoding.UTF8.GetBytes(text));

    /// <summary>An entry: KeyLength, Key, ValueLength, Value.</summary>
    public Wire Entry(byte[] key, byte[] value) => U16(key.Length).Bytes(key).U16(value.Length).Bytes(value);

    public Wire Entry(string key, string value) => Entry(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value));

    public byte[] ToArray() => [.. _bytes];

    /// <summary>A message's fields up to MetadataCount.</summary>
    public static Wire Message(ulong id, byte type, byte[] data, int metadataCount)
        => new Wire().U64(id).U8(type).U32((uint)data.Length).Bytes(data).U16(metadataCount);

    /// <summary>A frame: header then payload.</summary>
    public static byte[] Frame(byte kind, byte[] payload, byte flags = 0, ushort reserved = 0)
        => new Wire().U32((uint)payload.Length).U8(kind).U8(flags).U16(reserved).Bytes(payload).ToArray();
}
