using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace EchoHost.Protocol;

/// <summary>
/// The payload of a Request, Response or Error frame (docs/protocol.md, "Message"), parsed without copying: Data and the
/// metadata's keys and values are slices of the frame's payload.
/// </summary>
public readonly struct Message
{
    /// <summary>Bytes of a message with no data and no metadata: Id (8), Type (1), DataLength (4), MetadataCount (2).</summary>
    public const int MinimumSize = 15;

    /// <summary>Offset of Data: after Id (8), Type (1), DataLength (4).</summary>
    private const int DataOffset = 13;

    /// <summary>A message with its fields as given; <see cref="TryParse"/> makes one from a payload.</summary>
    public Message(ulong id, byte type, ReadOnlySequence<byte> data, MessageMetadata metadata)
    {
        Id = id;
        Type = type;
        Data = data;
        Metadata = metadata;
    }

    /// <summary>The Id that pairs a Response or Error with its Request.</summary>
    public ulong Id { get; }

    /// <summary>The message Type: which handler serves the request (<see cref="MessageTypes"/>).</summary>
    public byte Type { get; }

    /// <summary>The message's data, a slice of the payload it was parsed from.</summary>
    public ReadOnlySequence<byte> Data { get; }

    /// <summary>The message's metadata entries, read in place from the payload.</summary>
    public MessageMetadata Metadata { get; }

    /// <summary>
    /// Parses <paramref name="payload"/> as exactly one message. False (<c>malformed_message</c>) when the payload is
    /// shorter or longer than its fields say, or a metadata key is empty, repeated or not valid UTF-8. Never throws.
    /// </summary>
    // Inlined into the caller (the single-segment path is small), which saves copying the message out by reference.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParse(in ReadOnlySequence<byte> payload, out Message message)
    {
        if (payload.IsSingleSegment)
        {
            return TryParseSingleSegment(payload, out message);
        }

        // By value and without an out parameter, so that the caller's locals are not exposed once this is inlined.
        message = ParseMultiSegment(payload, out bool valid);
        return valid;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryParseSingleSegment(in ReadOnlySequence<byte> payload, out Message message)
    {
        ReadOnlySpan<byte> span = payload.FirstSpan;
        if (span.Length < MinimumSize)
        {
            message = default;
            return false;
        }

        // Data and MetadataCount must fit in what follows DataLength (span.Length >= 15, so no underflow).
        uint dataLength = BinaryPrimitives.ReadUInt32BigEndian(span.Slice(9));
        if (dataLength > (uint)(span.Length - MinimumSize))
        {
            message = default;
            return false;
        }

        int countAt = DataOffset + (int)dataLength;
        ushort count = BinaryPrimitives.ReadUInt16BigEndian(span.Slice(countAt));
        int entriesAt = countAt + 2;

        // No metadata, the common case, needs no call: the count must be followed by nothing.
        if (count == 0 ? entriesAt != span.Length : !MetadataCodec.Validate(span.Slice(entriesAt), count))
        {
            message = default;
            return false;
        }

        ReadOnlySequence<byte> entries = count == 0 ? default : payload.Slice(entriesAt);
        message = new Message(
            BinaryPrimitives.ReadUInt64BigEndian(span),
            span[8],
            payload.Slice(DataOffset, dataLength),
            new MessageMetadata(count, entries));
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Message ParseMultiSegment(ReadOnlySequence<byte> payload, out bool valid)
    {
        long length = payload.Length;
        if (length < MinimumSize)
        {
            valid = false;
            return default;
        }

        Span<byte> head = stackalloc byte[DataOffset];
        payload.Slice(0, DataOffset).CopyTo(head);
        uint dataLength = BinaryPrimitives.ReadUInt32BigEndian(head.Slice(9));
        if (dataLength > length - MinimumSize)
        {
            valid = false;
            return default;
        }

        ReadOnlySequence<byte> data = payload.Slice(DataOffset, dataLength);
        ReadOnlySequence<byte> rest = payload.Slice(data.End);
        if (!MetadataCodec.TryReadUInt16(rest, 0, out ushort count))
        {
            valid = false;
            return default;
        }

        ReadOnlySequence<byte> entries = rest.Slice(2);
        if (!MetadataCodec.Validate(entries, count))
        {
            valid = false;
            return default;
        }

        valid = true;
        return new Message(
            BinaryPrimitives.ReadUInt64BigEndian(head),
            head[8],
            data,
            new MessageMetadata(count, count == 0 ? default : entries));
    }
}
