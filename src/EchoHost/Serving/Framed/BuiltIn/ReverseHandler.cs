using System.Text;
using System.Text.Unicode;

namespace EchoHost.Serving.Framed.BuiltIn;

/// <summary>
/// Reverse (0x20): valid UTF-8 has its Unicode scalar values reversed (so that text stays text); anything else has
/// its bytes reversed. Either way the result has the length of the input.
/// </summary>
internal sealed class ReverseHandler : ImmediateHandler
{
    protected override void Answer(in FramedRequest request, FramedServerResponse response)
    {
        using var input = new ContiguousData(request.Data);
        var source = input.Span;
        Reverse(source, response.Data.GetSpan(source.Length)[..source.Length]);
        response.Data.Advance(source.Length);
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
