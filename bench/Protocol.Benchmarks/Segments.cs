using System.Buffers;

namespace EchoHost.Protocol.Benchmarks;

/// <summary>Builds a multi-segment sequence, the shape a pipe hands a parser when a frame spans its blocks.</summary>
internal static class Segments
{
    public static ReadOnlySequence<byte> Split(byte[] bytes, int size)
    {
        Segment? first = null;
        Segment? last = null;
        for (int position = 0; position < bytes.Length; position += size)
        {
            byte[] piece = bytes.AsSpan(position, Math.Min(size, bytes.Length - position)).ToArray();
            var segment = new Segment(piece, last is null ? 0 : last.RunningIndex + last.Memory.Length);
            last?.SetNext(segment);
            first ??= segment;
            last = segment;
        }

        return first is null || last is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
