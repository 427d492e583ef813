using System.Buffers;
using System.Collections.Concurrent;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// One piece of a <see cref="ConnectionPipe"/>'s data: a block of the transport's pool, or an array of the shared
/// array pool for a request larger than a block. Segments are pooled process-wide, without their memory, so a
/// connection holds segments and blocks only while data is in flight and keeps nothing once it has none.
/// </summary>
internal sealed class PipeSegment : ReadOnlySequenceSegment<byte>
{
    // Enough for the segments in flight at once on a busy server; more are dropped, their memory still pooled.
    private const int MaxPooled = 4096;

    private static readonly ConcurrentQueue<PipeSegment> s_pool = new();
    private static int s_pooled;

    private IMemoryOwner<byte>? _block;
    private byte[]? _array;
    private Memory<byte> _available;

    /// <summary>Bytes written into the segment so far, committed or not; the reader sees only <see cref="ReadOnlySequenceSegment{T}.Memory"/>.</summary>
    public int End { get; private set; }

    /// <summary>What is left to write into.</summary>
    public Memory<byte> Writable => _available[End..];

    public new PipeSegment? Next => (PipeSegment?)base.Next;

    /// <summary>A segment with at least <paramref name="sizeHint"/> bytes, from <paramref name="pool"/> when a block is enough.</summary>
    public static PipeSegment Rent(MemoryPool<byte> pool, int sizeHint, long runningIndex)
    {
        PipeSegment segment;
        if (s_pool.TryDequeue(out PipeSegment? pooled))
        {
            Interlocked.Decrement(ref s_pooled);
            segment = pooled;
        }
        else
        {
            segment = new PipeSegment();
        }

        if (sizeHint <= pool.MaxBufferSize)
        {
            segment._block = pool.Rent();
            segment._available = segment._block.Memory;
        }
        else
        {
            segment._array = ArrayPool<byte>.Shared.Rent(sizeHint);
            segment._available = segment._array;
        }

        segment.RunningIndex = runningIndex;
        return segment;
    }

    /// <summary>The writer wrote <paramref name="bytes"/> more.</summary>
    public void Advance(int bytes) => End += bytes;

    /// <summary>Makes what was written visible to the reader. Only the length of <c>Memory</c> changes, so a reader that copies it meanwhile sees the old or the new length, both valid.</summary>
    public void Commit() => Memory = _available[..End];

    /// <summary>Links <paramref name="next"/> after this segment, whose length is final.</summary>
    public void Append(PipeSegment next) => base.Next = next;

    /// <summary>Gives the memory back to its pool and the segment to the segments' pool.</summary>
    public void Return()
    {
        if (_block is { } block)
        {
            block.Dispose();
        }
        else if (_array is { } array)
        {
            ArrayPool<byte>.Shared.Return(array);
        }

        _block = null;
        _array = null;
        _available = default;
        Memory = default;
        End = 0;
        base.Next = null;
        if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
        {
            s_pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref s_pooled);
        }
    }
}
