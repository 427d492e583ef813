using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace EchoHost.Tests.ProxyProtocol;

/// <summary>
/// Makes fuzzing input from a seed: valid PROXY headers of both versions (every family, TLVs, UNKNOWN, LOCAL) and
/// bytes after them, then mutated the ways a parser tends to break: bits flipped, bytes inserted and deleted, the v2
/// length and address fields set to edge values, characters of a v1 line swapped for separators and digits, truncation.
/// </summary>
internal sealed class ProxyHeaderMutator(int seed)
{
    private static readonly ushort[] EdgeLengths = [0, 1, 11, 12, 13, 35, 36, 37, 215, 216, 217, 4096, 65535];
    private static readonly byte[] V1Characters = " \r\n.:0123456789abcdefPROXYTCP46UNKNOWN"u8.ToArray();

    private readonly Random _random = new(seed);

    public byte[] Next()
    {
        byte[] input = [.. ValidHeader(), .. Bytes(_random.Next(0, 8))];
        int mutations = _random.Next(0, 4);
        for (int i = 0; i < mutations; i++)
        {
            input = Mutate(input);
        }

        return input;
    }

    /// <summary>Sizes to split an input into, as reads from a socket would.</summary>
    public int[] ChunkSizes() => [.. Enumerable.Range(0, _random.Next(1, 6)).Select(_ => _random.Next(1, 40))];

    private byte[] ValidHeader()
    {
        var v4 = _random.Next(2) == 0;
        var source = new IPEndPoint(Address(v4), _random.Next(65536));
        var destination = new IPEndPoint(Address(v4), _random.Next(65536));
        return _random.Next(6) switch
        {
            0 => ProxyHeaders.V1(source, destination),
            1 => ProxyHeaders.V1("PROXY UNKNOWN" + (_random.Next(2) == 0 ? "" : " " + Encoding.ASCII.GetString(Bytes(_random.Next(0, 80)).Select(b => (byte)('a' + (b % 26))).ToArray())) + "\r\n"),
            2 => ProxyHeaders.V2(source, destination, local: _random.Next(4) == 0),
            3 => ProxyHeaders.V2(source, destination, tlvs: [.. ProxyHeaders.Tlv((byte)_random.Next(256), Bytes(_random.Next(0, 64)))]),
            4 => ProxyHeaders.V2Raw((byte)(0x20 | _random.Next(2)), (byte)(_random.Next(4) << 4 | _random.Next(3)), Bytes(_random.Next(0, 240))),
            _ => ProxyHeaders.V2Raw(0x21, 0x00, []),
        };
    }

    private IPAddress Address(bool v4) => new(Bytes(v4 ? 4 : 16));

    private byte[] Mutate(byte[] input)
    {
        if (input.Length == 0)
        {
            return Bytes(_random.Next(1, 32));
        }

        int at = _random.Next(input.Length);
        switch (_random.Next(7))
        {
            case 0:
                input[at] ^= (byte)(1 << _random.Next(8));
                return input;
            case 1:
                input[at] = V1Characters[_random.Next(V1Characters.Length)];
                return input;
            case 2:
                return [.. input.AsSpan(0, at), .. Bytes(_random.Next(1, 9)), .. input.AsSpan(at)];
            case 3:
                return [.. input.AsSpan(0, at), .. input.AsSpan(Math.Min(input.Length, at + _random.Next(1, 9)))];
            case 4:
                // The v2 length field, or any 16-bit field, set to an edge value.
                int field = _random.Next(2) == 0 ? 14 : at;
                if (field + 2 <= input.Length)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(input.AsSpan(field), EdgeLengths[_random.Next(EdgeLengths.Length)]);
                }

                return input;
            case 5:
                return input.Length > 13 ? SetNibbles(input) : input;
            default:
                return input[..at];
        }
    }

    private byte[] SetNibbles(byte[] input)
    {
        input[_random.Next(12, 14)] = (byte)_random.Next(256);
        return input;
    }

    private byte[] Bytes(int count)
    {
        byte[] bytes = new byte[count];
        _random.NextBytes(bytes);
        return bytes;
    }
}
