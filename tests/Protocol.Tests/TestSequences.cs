using System.Buffers;

namespace EchoHost.Protocol.Tests;

/// <summary>Builds multi-segment sequences, the shape a pipe hands a parser, from arbitrary cut points.</summary>
internal static class TestSequences
{
    /// <summary>One segment per piece; each piece is copied into its own array so that no slice can cross segments by accident.</summary>
    public static ReadOnlySequence<byte> FromPieces(IReadOnlyList<byte[]> pieces)
    {
        if (pieces.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(pieces[0].ToArray(), 0);
        Segment last = first;
        for (int i = 1; i < pieces.Count; i++)
        {
            last = last.Append(pieces[i].ToArray());
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Cuts <paramref name="bytes"/> into pieces of the given sizes (cycled; 0 makes an empty segment).</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, IReadOnlyList<int> sizes)
    {
        var pieces = new List<byte[]>();
        int position = 0;
        int next = 0;
        while (position < bytes.Length)
        {
            int size = sizes.Count == 0 ? bytes.Length : Math.Min(sizes[next++ % sizes.Count], bytes.Length - position);
            pieces.Add(bytes.AsSpan(position, size).ToArray());
            position += size;
        }

        return FromPieces(pieces);
    }

    /// <summary>Every byte in its own segment, with an empty segment between each: the hardest shape for a parser.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] bytes)
    {
        var pieces = new List<byte[]> { Array.Empty<byte>() };
        foreach (byte b in bytes)
        {
            pieces.Add([b]);
            pieces.Add([]);
        }

        return FromPieces(pieces);
    }

    /// <summary>A sequence whose claimed length is <paramref name="length"/> without having that memory (for size limits).</summary>
    public static ReadOnlySequence<byte> Huge(long length)
    {
        var first = new Segment(new byte[1], 0);
        var last = new Segment(new byte[1], length - 1);
        first.SetNext(last);
        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
