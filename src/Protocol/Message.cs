using System.Buffers;

namespace EchoHost.Protocol;

/// <summary>
/// The payload of a Request, Response or Error frame (PROTOCOL.md, "Message"), parsed without copying: Data and the
/// metadata's keys and values are slices of the frame's payload.
/// </summary>
public readonly struct Message
{
    /// <summary>Bytes of a message with no data and no metadata: Id (8), Type (1), DataLength (4), MetadataCount (2).</summary>
    public const int MinimumSize = 15;

    public Message(ulong id, byte type, ReadOnlySequence<byte> data, MessageMetadata metadata)
    {
        Id = id;
        Type = type;
        Data = data;
        Metadata = metadata;
    }

    public ulong Id { get; }

    public byte Type { get; }

    public ReadOnlySequence<byte> Data { get; }

    public MessageMetadata Metadata { get; }

    /// <summary>
    /// Parses <paramref name="payload"/> as exactly one message. False (<c>malformed_message</c>) when the payload is
    /// shorter or longer than its fields say, or a metadata key is empty, repeated or not valid UTF-8. Never throws.
    /// </summary>
    public static bool TryParse(in ReadOnlySequence<byte> payload, out Message message) => throw new NotImplementedException();
}
