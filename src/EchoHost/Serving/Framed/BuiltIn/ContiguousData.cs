using System.Buffers;

namespace EchoHost.Serving.Framed.BuiltIn;

/// <summary>The data of a message as one span: the input's own memory when it is one segment, else a pooled copy.</summary>
internal ref struct ContiguousData
{
    private byte[]? _rented;

    public ContiguousData(in ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment)
        {
            Span = data.FirstSpan;
            _rented = null;
        }
        else
        {
            _rented = ArrayPool<byte>.Shared.Rent((int)data.Length);
            data.CopyTo(_rented);
            Span = _rented.AsSpan(0, (int)data.Length);
        }
    }

    public ReadOnlySpan<byte> Span { get; }

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }
    }
}
