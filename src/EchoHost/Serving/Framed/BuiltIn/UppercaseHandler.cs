using System.Buffers;
using System.Text;
using System.Text.Unicode;
using EchoHost.Protocol;

namespace EchoHost.Serving.Framed.BuiltIn;

/// <summary>
/// Uppercase (0x30): each Unicode scalar value mapped with the invariant simple upper-case mapping (one scalar to one
/// scalar, <c>ß</c> stays <c>ß</c>); Data that is not valid UTF-8 gets <c>invalid_utf8</c>.
/// </summary>
internal sealed class UppercaseHandler : BuiltInHandler
{
    private const string InvalidUtf8Text = "Uppercase needs UTF-8 text; the request's Data is not valid UTF-8";
    private const string TooLargeText = "the upper-cased Data does not fit in a frame of MaxFrameBytes";

    public override string? Answer(in Message request, IBufferWriter<byte> output, int maxFrameBytes)
    {
        using var input = new ContiguousData(request.Data);
        var source = input.Span;
        if (!Utf8.IsValid(source))
        {
            FrameWriter.WriteError(output, request.Id, request.Type, ErrorCodes.InvalidUtf8, InvalidUtf8Text);
            return ErrorCodes.InvalidUtf8;
        }

        // A scalar's upper case never needs more than twice its UTF-8 bytes: ASCII maps to ASCII, and a 2-byte scalar
        // maps to at most 3 bytes.
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(source.Length * 2, 4));
        try
        {
            var length = ToUpper(source, rented);
            if ((long)Message.MinimumSize + length > maxFrameBytes)
            {
                FrameWriter.WriteError(output, request.Id, request.Type, ErrorCodes.HandlerFailed, TooLargeText);
                return ErrorCodes.HandlerFailed;
            }

            FrameWriter.WriteMessage(output, FrameKind.Response, request.Id, request.Type, rented.AsSpan(0, length), []);
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
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
