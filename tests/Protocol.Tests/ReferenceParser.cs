using System.Buffers.Binary;
using System.Text;

namespace EchoHost.Protocol.Tests;

/// <summary>
/// A deliberately plain reading of docs/protocol.md's Message (arrays, a strict decoder, a hash set): the model the real
/// parser is compared with on generated and mutated input.
/// </summary>
internal static class ReferenceParser
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal sealed record Parsed(ulong Id, byte Type, byte[] Data, List<(byte[] Key, byte[] Value)> Entries);

    public static Parsed? Parse(byte[] p)
    {
        if (p.Length < 15)
        {
            return null;
        }

        ulong id = BinaryPrimitives.ReadUInt64BigEndian(p);
        byte type = p[8];
        long dataLength = BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(9));
        long position = 13;
        if (position + dataLength + 2 > p.Length)
        {
            return null;
        }

        byte[] data = p[13..(int)(13 + dataLength)];
        position += dataLength;
        int count = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan((int)position));
        position += 2;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<(byte[], byte[])>();
        for (int i = 0; i < count; i++)
        {
            if (position + 2 > p.Length)
            {
                return null;
            }

            int keyLength = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan((int)position));
            position += 2;
            if (keyLength == 0 || position + keyLength > p.Length)
            {
                return null;
            }

            byte[] key = p[(int)position..(int)(position + keyLength)];
            position += keyLength;
            try
            {
                _ = Strict.GetString(key);
            }
            catch (DecoderFallbackException)
            {
                return null;
            }

            if (!seen.Add(Convert.ToHexString(key)))
            {
                return null;
            }

            if (position + 2 > p.Length)
            {
                return null;
            }

            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan((int)position));
            position += 2;
            if (position + valueLength > p.Length)
            {
                return null;
            }

            entries.Add((key, p[(int)position..(int)(position + valueLength)]));
            position += valueLength;
        }

        return position == p.Length ? new Parsed(id, type, data, entries) : null;
    }
}
