using System.Buffers;
using EchoHost.Protocol;

namespace EchoHost.Serving.Framed.BuiltIn;

/// <summary>
/// A built-in handler: it answers synchronously, writing its Response or Error frame straight into the connection's
/// output, with no allocation: the fast path of docs/protocol.md's Types 0x10 to 0x40.
/// </summary>
internal abstract class BuiltInHandler
{
    /// <summary>Writes the answer to <paramref name="request"/>; returns null, or the code when the answer is an Error.</summary>
    public abstract string? Answer(in Message request, IBufferWriter<byte> output, int maxFrameBytes);

    /// <summary>The data of a message as one span: the input's own memory when it is one segment, else a pooled copy.</summary>
    protected ref struct ContiguousData
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
}
