using System.Buffers;

namespace EchoHost.Serving.Framed;

/// <summary>
/// A growable <see cref="IBufferWriter{T}"/> over arrays rented from <see cref="ArrayPool{T}.Shared"/>: a response's
/// Data. A buffer outgrown is given back at once; <see cref="Clear"/> gives back one larger than a connection should
/// keep, so that a large answer now and then costs neither an allocation nor memory held for good.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    private byte[] _buffer = [];
    private int _written;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public int WrittenCount => _written;

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _written))
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "Advanced past the end of the span handed out.");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureFree(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureFree(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Forgets what was written; gives the buffer back when it is larger than <paramref name="retainedCapacity"/>.</summary>
    public void Clear(int retainedCapacity)
    {
        _written = 0;
        if (_buffer.Length > retainedCapacity)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private void EnsureFree(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        var needed = (long)_written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        if (needed > Array.MaxLength)
        {
            throw new InvalidOperationException($"A response's Data cannot grow past {Array.MaxLength} bytes.");
        }

        // Doubling keeps a writer that asks for a little at a time from renting once per write.
        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Max(needed, Math.Min(2L * _buffer.Length, Array.MaxLength)));
        WrittenSpan.CopyTo(larger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = larger;
    }
}
