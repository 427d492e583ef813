using System.Text;
using System.Text.Unicode;
using EchoHost.Protocol;

namespace EchoHost.Serving.Framed.BuiltIn;

/// <summary>
/// Uppercase (0x30): each Unicode scalar value mapped with the invariant simple upper-case mapping (one scalar to one
/// scalar, <c>ß</c> stays <c>ß</c>); Data that is not valid UTF-8 gets <c>invalid_utf8</c>.
/// </summary>
internal sealed class UppercaseHandler : ImmediateHandler
{
    private const string InvalidUtf8Text = "Uppercase needs UTF-8 text; the request's Data is not valid UTF-8";

    protected override void Answer(in FramedRequest request, FramedServerResponse response)
    {
        using var input = new ContiguousData(request.Data);
        var source = input.Span;
        if (!Utf8.IsValid(source))
        {
            response.SetError(ErrorCodes.InvalidUtf8, InvalidUtf8Text);
            return;
        }

        // A scalar's upper case never needs more than twice its UTF-8 bytes: ASCII maps to ASCII, and a 2-byte scalar
        // maps to at most 3 bytes. Upper-cased Data too long for a frame gets handler_failed, as any handler's does.
        var written = ToUpper(source, response.Data.GetSpan(source.Length * 2));
        response.Data.Advance(written);
    }

    /// <summary>Upper-cases valid UTF-8 <paramref name="source"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    internal static int ToUpper(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var read = 0;
        var written = 0;
        while (read < source.Length)
        {
            Rune.DecodeFromUtf8(source[read..], out var rune, out var length);
            written += Rune.ToUpperInvariant(rune).EncodeToUtf8(destination[written..]);
            read += length;
        }

        return written;
    }
}
