using System.Buffers;

namespace EchoHost.Protocol;

/// <summary>Writes frames to an <see cref="IBufferWriter{T}"/> in one pass (the header's Length is known up front).</summary>
public static class FrameWriter
{
    /// <summary>Writes a Request, Response or Error frame holding one message.</summary>
    public static void WriteMessage(IBufferWriter<byte> writer, FrameKind kind, ulong id, byte type, ReadOnlySpan<byte> data, ReadOnlySpan<MetadataItem> metadata)
        => throw new NotImplementedException();

    /// <summary>Writes a message whose data and metadata come from a parsed message (an echo), copied as they are.</summary>
    public static void WriteMessage(IBufferWriter<byte> writer, FrameKind kind, ulong id, byte type, in ReadOnlySequence<byte> data, in MessageMetadata metadata)
        => throw new NotImplementedException();

    /// <summary>Writes an Error frame: <paramref name="text"/> as Data, <paramref name="code"/> as Metadata <c>code</c>.</summary>
    public static void WriteError(IBufferWriter<byte> writer, ulong id, byte type, string code, string text)
        => throw new NotImplementedException();

    /// <summary>Writes a frame whose payload is raw bytes: Ping, Pong, GoAway.</summary>
    public static void WriteFrame(IBufferWriter<byte> writer, FrameKind kind, in ReadOnlySequence<byte> payload)
        => throw new NotImplementedException();

    /// <summary>Writes a frame whose payload is raw bytes: Ping, Pong, GoAway.</summary>
    public static void WriteFrame(IBufferWriter<byte> writer, FrameKind kind, ReadOnlySpan<byte> payload)
        => throw new NotImplementedException();

    /// <summary>The bytes on the wire of a message frame with these parts.</summary>
    public static long MessageFrameLength(long dataLength, long encodedMetadataLength) => Frame.HeaderSize + Message.MinimumSize + dataLength + encodedMetadataLength;
}
