using System.Buffers;

namespace EchoHost.Protocol.Tests;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that hands out spans no larger than it must (the size hint, or a small chunk), as
/// a pipe near the end of a segment does, and checks that the writer honours the contract.
/// </summary>
internal sealed class ChunkyWriter(int chunk) : IBufferWriter<byte>
{
    private readonly List<byte> _written = [];
    private byte[] _span = [];

    public int Spans { get; private set; }

    public byte[] Written => [.. _written];

    public void Advance(int count)
    {
        if (count < 0 || count > _span.Length)
        {
            throw new InvalidOperationException($"Advance({count}) past a span of {_span.Length}.");
        }

        _written.AddRange(_span.AsSpan(0, count).ToArray());
        _span = [];
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Spans++;
        _span = new byte[Math.Max(sizeHint, chunk)];
        return _span;
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
}
