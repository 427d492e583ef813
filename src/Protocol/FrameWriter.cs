using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace EchoHost.Protocol;

/// <summary>Writes frames to an <see cref="IBufferWriter{T}"/> in one pass (the header's Length is known up front).</summary>
/// <remarks>
/// Nothing is buffered on the side: the header and fixed fields go into one span, data is copied straight into the
/// writer (in as many spans as the writer hands out), and keys are encoded to UTF-8 in place. Metadata keys are not
/// checked for uniqueness: keeping them unique is the caller's part (and tests can thus produce a repeated key).
/// </remarks>
public static class FrameWriter
{
    /// <summary>Frame header plus a message's fields up to Data: Id (8), Type (1), DataLength (4).</summary>
    private const int MessagePrefixSize = Frame.HeaderSize + 13;

    private const int MaxFieldLength = ushort.MaxValue;

    /// <summary>The UTF-8 bytes of <see cref="ErrorCodes.MetadataKey"/>.</summary>
    private static ReadOnlySpan<byte> CodeKey => "code"u8;

    /// <summary>Writes a Request, Response or Error frame holding one message.</summary>
    /// <exception cref="ArgumentException">
    /// A key is empty or longer than 65,535 UTF-8 bytes, a value is longer than 65,535 bytes, there are more than 65,535
    /// entries, or the payload would be longer than <see cref="uint.MaxValue"/>.
    /// </exception>
    public static void WriteMessage(IBufferWriter<byte> writer, FrameKind kind, ulong id, byte type, ReadOnlySpan<byte> data, ReadOnlySpan<MetadataItem> metadata)
    {
        ArgumentNullException.ThrowIfNull(writer);
        long metadataLength = EncodedLength(metadata);
        uint payloadLength = CheckedPayloadLength(Message.MinimumSize + (long)data.Length + metadataLength);
        long frameLength = Frame.HeaderSize + (long)payloadLength;

        Span<byte> span = writer.GetSpan(MessagePrefixSize);
        WriteMessagePrefix(span, payloadLength, kind, id, type, (uint)data.Length);
        if (span.Length >= frameLength)
        {
            // Fast path: the whole frame fits in the span at hand.
            Span<byte> rest = span.Slice(MessagePrefixSize);
            data.CopyTo(rest);
            WriteEntries(rest.Slice(data.Length), metadata);
            writer.Advance((int)frameLength);
            return;
        }

        writer.Advance(MessagePrefixSize);
        WriteBytes(writer, data);
        WriteMetadata(writer, metadata);
    }

    /// <summary>Writes a message whose data and metadata come from a parsed message (an echo), copied as they are.</summary>
    /// <exception cref="ArgumentException">The payload would be longer than <see cref="uint.MaxValue"/>.</exception>
    public static void WriteMessage(IBufferWriter<byte> writer, FrameKind kind, ulong id, byte type, in ReadOnlySequence<byte> data, in MessageMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ReadOnlySequence<byte> entries = metadata.EncodedEntries;
        if (data.Length > uint.MaxValue)
        {
            throw new ArgumentException("The data is longer than a frame can carry.", nameof(data));
        }

        uint payloadLength = CheckedPayloadLength(Message.MinimumSize + data.Length + entries.Length);
        long frameLength = Frame.HeaderSize + (long)payloadLength;

        Span<byte> span = writer.GetSpan(MessagePrefixSize);
        WriteMessagePrefix(span, payloadLength, kind, id, type, (uint)data.Length);
        if (span.Length >= frameLength)
        {
            Span<byte> rest = span.Slice(MessagePrefixSize);
            data.CopyTo(rest);
            rest = rest.Slice((int)data.Length);
            BinaryPrimitives.WriteUInt16BigEndian(rest, (ushort)metadata.Count);
            entries.CopyTo(rest.Slice(2));
            writer.Advance((int)frameLength);
            return;
        }

        writer.Advance(MessagePrefixSize);
        WriteBytes(writer, data);
        BinaryPrimitives.WriteUInt16BigEndian(writer.GetSpan(2), (ushort)metadata.Count);
        writer.Advance(2);
        WriteBytes(writer, entries);
    }

    /// <summary>Writes an Error frame: <paramref name="text"/> as Data, <paramref name="code"/> as Metadata <c>code</c>.</summary>
    /// <exception cref="ArgumentException">The code is longer than 65,535 UTF-8 bytes or the payload too long.</exception>
    public static void WriteError(IBufferWriter<byte> writer, ulong id, byte type, string code, string text)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(text);
        int codeLength = Encoding.UTF8.GetByteCount(code);
        if (codeLength > MaxFieldLength)
        {
            throw new ArgumentException("A metadata value is at most 65,535 bytes.", nameof(code));
        }

        int textLength = Encoding.UTF8.GetByteCount(text);
        int metadataLength = 2 + 2 + CodeKey.Length + 2 + codeLength; // count, then one entry
        uint payloadLength = CheckedPayloadLength(Message.MinimumSize - 2 + (long)textLength + metadataLength);
        if (Frame.HeaderSize + (long)payloadLength > Array.MaxLength)
        {
            // The frame is written into one span, and no span is this long.
            throw new ArgumentException("The error text is too long.", nameof(text));
        }

        // Error texts are short: the writer is asked for one span that holds the whole frame.
        Span<byte> span = writer.GetSpan(MessagePrefixSize + textLength + metadataLength);
        WriteMessagePrefix(span, payloadLength, FrameKind.Error, id, type, (uint)textLength);
        int position = MessagePrefixSize + Encoding.UTF8.GetBytes(text, span.Slice(MessagePrefixSize));
        BinaryPrimitives.WriteUInt16BigEndian(span.Slice(position), 1);
        BinaryPrimitives.WriteUInt16BigEndian(span.Slice(position + 2), (ushort)CodeKey.Length);
        CodeKey.CopyTo(span.Slice(position + 4));
        position += 4 + CodeKey.Length;
        BinaryPrimitives.WriteUInt16BigEndian(span.Slice(position), (ushort)codeLength);
        position += 2 + Encoding.UTF8.GetBytes(code, span.Slice(position + 2));
        writer.Advance(position);
    }

    /// <summary>Writes a frame whose payload is raw bytes: Ping, Pong, GoAway.</summary>
    /// <exception cref="ArgumentException">The payload is longer than <see cref="uint.MaxValue"/>.</exception>
    public static void WriteFrame(IBufferWriter<byte> writer, FrameKind kind, in ReadOnlySequence<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(writer);
        uint length = CheckedPayloadLength(payload.Length);
        Span<byte> span = writer.GetSpan(Frame.HeaderSize);
        WriteFrameHeader(span, length, kind);
        if (span.Length - Frame.HeaderSize >= payload.Length)
        {
            payload.CopyTo(span.Slice(Frame.HeaderSize));
            writer.Advance(Frame.HeaderSize + (int)length);
            return;
        }

        writer.Advance(Frame.HeaderSize);
        WriteBytes(writer, payload);
    }

    /// <summary>Writes a frame whose payload is raw bytes: Ping, Pong, GoAway.</summary>
    public static void WriteFrame(IBufferWriter<byte> writer, FrameKind kind, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> span = writer.GetSpan(Frame.HeaderSize);
        WriteFrameHeader(span, (uint)payload.Length, kind);
        if (span.Length - Frame.HeaderSize >= payload.Length)
        {
            payload.CopyTo(span.Slice(Frame.HeaderSize));
            writer.Advance(Frame.HeaderSize + payload.Length);
            return;
        }

        writer.Advance(Frame.HeaderSize);
        WriteBytes(writer, payload);
    }

    /// <summary>The bytes on the wire of a message frame with these parts.</summary>
    public static long MessageFrameLength(long dataLength, long encodedMetadataLength) => Frame.HeaderSize + Message.MinimumSize + dataLength + encodedMetadataLength;

    /// <summary>
    /// The encoded length of <paramref name="metadata"/> after MetadataCount (what <see cref="MessageFrameLength"/> takes),
    /// checking every limit of the protocol.
    /// </summary>
    /// <exception cref="ArgumentException">An entry or the number of entries is past the protocol's limits.</exception>
    public static long EncodedLength(ReadOnlySpan<MetadataItem> metadata)
    {
        if (metadata.Length > MaxFieldLength)
        {
            throw new ArgumentException("A message holds at most 65,535 metadata entries.", nameof(metadata));
        }

        long length = 0;
        foreach (MetadataItem item in metadata)
        {
            int keyLength = string.IsNullOrEmpty(item.Key) ? 0 : Encoding.UTF8.GetByteCount(item.Key);
            if (keyLength is 0 or > MaxFieldLength)
            {
                throw new ArgumentException("A metadata key is 1 to 65,535 UTF-8 bytes.", nameof(metadata));
            }

            if (item.Value.Length > MaxFieldLength)
            {
                throw new ArgumentException("A metadata value is at most 65,535 bytes.", nameof(metadata));
            }

            length += 4 + keyLength + item.Value.Length;
        }

        return length;
    }

    private static uint CheckedPayloadLength(long length)
    {
        if ((ulong)length > uint.MaxValue)
        {
            throw new ArgumentException("The payload is longer than a frame can carry (4,294,967,295 bytes).");
        }

        return (uint)length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteFrameHeader(Span<byte> span, uint length, FrameKind kind)
    {
        // Length, Kind, Flags = 0, Reserved = 0 as one big-endian store.
        BinaryPrimitives.WriteUInt64BigEndian(span, ((ulong)length << 32) | ((ulong)(byte)kind << 24));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteMessagePrefix(Span<byte> span, uint payloadLength, FrameKind kind, ulong id, byte type, uint dataLength)
    {
        _ = span[MessagePrefixSize - 1]; // one bounds check for the stores below
        WriteFrameHeader(span, payloadLength, kind);
        BinaryPrimitives.WriteUInt64BigEndian(span.Slice(8), id);
        span[16] = type;
        BinaryPrimitives.WriteUInt32BigEndian(span.Slice(17), dataLength);
    }

    /// <summary>Writes MetadataCount and the entries into a span known to be large enough.</summary>
    private static void WriteEntries(Span<byte> span, ReadOnlySpan<MetadataItem> metadata)
    {
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)metadata.Length);
        int position = 2;
        foreach (MetadataItem item in metadata)
        {
            int keyLength = Encoding.UTF8.GetBytes(item.Key, span.Slice(position + 2));
            BinaryPrimitives.WriteUInt16BigEndian(span.Slice(position), (ushort)keyLength);
            position += 2 + keyLength;
            ReadOnlySpan<byte> value = item.Value.Span;
            BinaryPrimitives.WriteUInt16BigEndian(span.Slice(position), (ushort)value.Length);
            value.CopyTo(span.Slice(position + 2));
            position += 2 + value.Length;
        }
    }

    /// <summary>Writes MetadataCount and the entries span by span, each key with its lengths in one span.</summary>
    private static void WriteMetadata(IBufferWriter<byte> writer, ReadOnlySpan<MetadataItem> metadata)
    {
        BinaryPrimitives.WriteUInt16BigEndian(writer.GetSpan(2), (ushort)metadata.Length);
        writer.Advance(2);
        foreach (MetadataItem item in metadata)
        {
            int keyLength = Encoding.UTF8.GetByteCount(item.Key);
            Span<byte> span = writer.GetSpan(4 + keyLength);
            BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)keyLength);
            Encoding.UTF8.GetBytes(item.Key, span.Slice(2));
            ReadOnlySpan<byte> value = item.Value.Span;
            BinaryPrimitives.WriteUInt16BigEndian(span.Slice(2 + keyLength), (ushort)value.Length);
            writer.Advance(4 + keyLength);
            WriteBytes(writer, value);
        }
    }

    private static void WriteBytes(IBufferWriter<byte> writer, ReadOnlySpan<byte> source)
    {
        while (!source.IsEmpty)
        {
            Span<byte> span = writer.GetSpan();
            int count = Math.Min(span.Length, source.Length);
            source.Slice(0, count).CopyTo(span);
            writer.Advance(count);
            source = source.Slice(count);
        }
    }

    private static void WriteBytes(IBufferWriter<byte> writer, in ReadOnlySequence<byte> source)
    {
        foreach (ReadOnlyMemory<byte> segment in source)
        {
            WriteBytes(writer, segment.Span);
        }
    }
}
