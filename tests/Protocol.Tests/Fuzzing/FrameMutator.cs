using System.Buffers;
using System.Buffers.Binary;

namespace EchoHost.Protocol.Tests.Fuzzing;

/// <summary>
/// Makes fuzzing input from a seed: streams of valid frames (messages with metadata, pings, oversized and odd
/// headers) that are then mutated the ways a parser tends to break: bits flipped, bytes inserted and deleted, length
/// fields replaced by edge values, pieces of one input spliced into another, truncation. The same seed makes the same
/// sequence of inputs, so that a finding can be replayed.
/// </summary>
internal sealed class FrameMutator(int seed)
{
    private static readonly uint[] EdgeLengths = [0, 1, 7, 8, 14, 15, 16, 255, 256, 65535, 65536, 1048576, 1048577, int.MaxValue, uint.MaxValue];

    private readonly Random _random = new(seed);
    private byte[] _previous = [];

    public byte[] Next()
    {
        byte[] input = ValidStream();
        int mutations = _random.Next(0, 5);
        for (int i = 0; i < mutations; i++)
        {
            input = Mutate(input);
        }

        _previous = input;
        return input;
    }

    /// <summary>Sizes to split an input into, as reads from a socket would.</summary>
    public int[] ChunkSizes() => [.. Enumerable.Range(0, _random.Next(1, 6)).Select(_ => _random.Next(1, 64))];

    /// <summary>A limit on frame length: small ones make oversized frames common.</summary>
    public int MaxFrameBytes() => _random.Next(4) == 0 ? Frame.DefaultMaxFrameBytes : _random.Next(15, 512);

    private byte[] ValidStream()
    {
        var writer = new ArrayBufferWriter<byte>();
        int frames = _random.Next(1, 4);
        for (int f = 0; f < frames; f++)
        {
            switch (_random.Next(4))
            {
                case 0:
                    FrameWriter.WriteFrame(writer, FrameKind.Ping, Bytes(_random.Next(0, 16)));
                    break;
                default:
                    var metadata = Enumerable.Range(0, _random.Next(0, 4))
                        .Select(i => new MetadataItem($"k{i}", Bytes(_random.Next(0, 8))))
                        .ToArray();
                    FrameWriter.WriteMessage(writer, (FrameKind)_random.Next(1, 7), (ulong)_random.NextInt64(), (byte)_random.Next(256), Bytes(_random.Next(0, 64)), metadata);
                    break;
            }
        }

        return writer.WrittenSpan.ToArray();
    }

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
                input[at] = (byte)_random.Next(256);
                return input;
            case 2:
                return [.. input.AsSpan(0, at), .. Bytes(_random.Next(1, 9)), .. input.AsSpan(at)];
            case 3:
                return [.. input.AsSpan(0, at), .. input.AsSpan(Math.Min(input.Length, at + _random.Next(1, 9)))];
            case 4:
                // A length field (frame length, data length, key or value length) set to an edge value.
                if (at + 4 <= input.Length)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(at), EdgeLengths[_random.Next(EdgeLengths.Length)]);
                }

                return input;
            case 5:
                return _previous.Length == 0 ? input : [.. input.AsSpan(0, at), .. _previous.AsSpan(_random.Next(_previous.Length))];
            default:
                return input[..at];
        }
    }

    private byte[] Bytes(int count)
    {
        byte[] bytes = new byte[count];
        _random.NextBytes(bytes);
        return bytes;
    }
}
