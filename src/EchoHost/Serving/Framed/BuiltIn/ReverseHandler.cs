using System.Buffers;
using System.Text;
using System.Text.Unicode;
using EchoHost.Protocol;

namespace EchoHost.Serving.Framed.BuiltIn;

/// <summary>
/// Reverse (0x20): valid UTF-8 has its Unicode scalar values reversed (so that text stays text); anything else has
/// its bytes reversed. Either way the result has the length of the input.
/// </summary>
internal sealed class ReverseHandler : BuiltInHandler
{
    public override string? Answer(in Message request, IBufferWriter<byte> output, int maxFrameBytes)
    {
        using var input = new ContiguousData(request.Data);
        var source = input.Span;
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(source.Length, 1));
        try
        {
            var reversed = rented.AsSpan(0, source.Length);
            Reverse(source, reversed);
            FrameWriter.WriteMessage(output, FrameKind.Response, request.Id, request.Type, reversed, []);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return null;
    }

    /// <summary>Writes <paramref name="source"/> reversed into <paramref name="destination"/>, of the same length.</summary>
    internal static void Reverse(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (!Utf8.IsValid(source))
        {
            source.CopyTo(destination);
            destination.Reverse();
            return;
        }

        // Each scalar's bytes keep their order and go to the mirror position of the output.
        var offset = 0;
        while (offset < source.Length)
        {
            Rune.DecodeFromUtf8(source[offset..], out _, out var length);
            source.Slice(offset, length).CopyTo(destination[(source.Length - offset - length)..]);
            offset += length;
        }
    }
}
