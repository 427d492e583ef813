using System.Buffers;

namespace EchoHost.LoadGen.Engine;

/// <summary>An <see cref="IBufferWriter{T}"/> over one array allocated up front, reset for each frame.</summary>
internal sealed class FixedBufferWriter(int capacity) : IBufferWriter<byte>
{
    private readonly byte[] _buffer = new byte[capacity];
    private int _written;

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _written);

    public void Reset() => _written = 0;

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0) => _buffer.AsMemory(_written);

    public Span<byte> GetSpan(int sizeHint = 0) => _buffer.AsSpan(_written);
}
