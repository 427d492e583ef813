using System.Buffers;
using System.Text;

namespace EchoHost.Protocol.Tests;

public class FrameWriterTests
{
    private static byte[] Write(Action<IBufferWriter<byte>> write)
    {
        var writer = new ArrayBufferWriter<byte>();
        write(writer);
        byte[] contiguous = writer.WrittenSpan.ToArray();

        // The same frame through writers that hand out small spans must give the same bytes.
        foreach (int chunk in new[] { 1, 3, 16, 64 })
        {
            var chunky = new ChunkyWriter(chunk);
            write(chunky);
            Assert.Equal(contiguous, chunky.Written);
        }

        return contiguous;
    }

    [Fact]
    public void Ping_frame_is_header_and_payload()
    {
        byte[] bytes = Write(w => FrameWriter.WriteFrame(w, FrameKind.Ping, [1, 2, 3]));
        Assert.Equal(new byte[] { 0, 0, 0, 3, 0x04, 0, 0, 0, 1, 2, 3 }, bytes);
    }

    [Fact]
    public void Raw_frame_from_a_sequence_equals_the_span_overload()
    {
        byte[] payload = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        byte[] expected = Write(w => FrameWriter.WriteFrame(w, FrameKind.Pong, payload));
        foreach ((string _, ReadOnlySequence<byte> sequence) in Shapes.Of(payload))
        {
            Assert.Equal(expected, Write(w => FrameWriter.WriteFrame(w, FrameKind.Pong, sequence)));
        }

        Assert.Equal(new byte[] { 0, 0, 1, 44, 0x05, 0, 0, 0 }, expected[..8]);
    }

    [Fact]
    public void GoAway_with_an_empty_reason_is_eight_bytes()
    {
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0x06, 0, 0, 0 }, Write(w => FrameWriter.WriteFrame(w, FrameKind.GoAway, ReadOnlySpan<byte>.Empty)));
    }

    [Fact]
    public void Message_frame_has_the_layout_of_the_protocol()
    {
        byte[] bytes = Write(w => FrameWriter.WriteMessage(w, FrameKind.Request, 0x0102030405060708, 0x10, "hi"u8, [new MetadataItem("k", "v"u8.ToArray()), new MetadataItem("é", Array.Empty<byte>())]));
        byte[] expected =
        [
            0, 0, 0, 29, 0x01, 0, 0, 0,          // Length = 15 + 2 + 6 + 6, Request, Flags, Reserved
            1, 2, 3, 4, 5, 6, 7, 8,              // Id
            0x10,                                // Type
            0, 0, 0, 2, (byte)'h', (byte)'i',    // DataLength, Data
            0, 2,                                // MetadataCount
            0, 1, (byte)'k', 0, 1, (byte)'v',    // entry 1
            0, 2, 0xC3, 0xA9, 0, 0,              // entry 2: é is 2 bytes of UTF-8
        ];
        Assert.Equal(expected, bytes);
        Assert.Equal(FrameWriter.MessageFrameLength(2, 12), bytes.Length);
    }

    [Fact]
    public void Empty_message_frame_is_23_bytes()
    {
        byte[] bytes = Write(w => FrameWriter.WriteMessage(w, FrameKind.Response, 5, 0x20, ReadOnlySpan<byte>.Empty, ReadOnlySpan<MetadataItem>.Empty));
        Assert.Equal(23, bytes.Length);
        Assert.Equal(Wire.Frame(0x02, Wire.Message(5, 0x20, [], 0).ToArray()), bytes);
    }

    [Fact]
    public void Error_frame_carries_text_as_data_and_the_code()
    {
        byte[] bytes = Write(w => FrameWriter.WriteError(w, 42, 0x30, ErrorCodes.InvalidUtf8, "Data n'est pas UTF-8 — désolé"));
        Assert.Equal(FrameReadStatus.Complete, FrameReader.TryRead(new ReadOnlySequence<byte>(bytes), Frame.DefaultMaxFrameBytes, out Frame frame, out SequencePosition consumed, out _));
        Assert.Equal(bytes.Length, new ReadOnlySequence<byte>(bytes).GetOffset(consumed));
        Assert.Equal(FrameKind.Error, frame.Kind);
        Assert.True(frame.HasValidHeader);
        Assert.True(Message.TryParse(frame.Payload, out Message message));
        Assert.Equal(42UL, message.Id);
        Assert.Equal(0x30, message.Type);
        Assert.Equal("Data n'est pas UTF-8 — désolé", Encoding.UTF8.GetString(message.Data.ToArray()));
        Assert.Equal(1, message.Metadata.Count);
        Assert.True(message.Metadata.TryGetValue("code"u8, out ReadOnlySequence<byte> code));
        Assert.Equal("invalid_utf8", Encoding.ASCII.GetString(code.ToArray()));
        Assert.Equal(Wire.Frame(0x03, Wire.Message(42, 0x30, Encoding.UTF8.GetBytes("Data n'est pas UTF-8 — désolé"), 1).Entry("code", "invalid_utf8").ToArray()), bytes);
    }

    [Fact]
    public void Error_frame_for_an_unreadable_request_has_id_and_type_zero()
    {
        byte[] bytes = Write(w => FrameWriter.WriteError(w, 0, 0, ErrorCodes.MalformedMessage, ""));
        Assert.Equal(Wire.Frame(0x03, Wire.Message(0, 0, [], 1).Entry("code", "malformed_message").ToArray()), bytes);
    }

    [Fact]
    public void Echo_overload_copies_data_and_encoded_metadata_unchanged()
    {
        byte[] payload = Wire.Message(77, 0x10, Enumerable.Range(0, 200).Select(i => (byte)i).ToArray(), 2).Entry("x", "1").Entry("y", "22").ToArray();
        foreach ((string _, ReadOnlySequence<byte> input) in Shapes.Of(payload))
        {
            Assert.True(Message.TryParse(input, out Message request));
            byte[] bytes = Write(w => FrameWriter.WriteMessage(w, FrameKind.Response, request.Id, request.Type, request.Data, request.Metadata));
            Assert.Equal(Wire.Frame(0x02, payload), bytes);
        }
    }

    [Fact]
    public void Echo_overload_with_empty_metadata()
    {
        byte[] bytes = Write(w => FrameWriter.WriteMessage(w, FrameKind.Response, 1, 2, ReadOnlySequence<byte>.Empty, MessageMetadata.Empty));
        Assert.Equal(Wire.Frame(0x02, Wire.Message(1, 2, [], 0).ToArray()), bytes);
    }

    [Fact]
    public void Large_data_is_written_across_many_spans()
    {
        byte[] data = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7)).ToArray();
        var chunky = new ChunkyWriter(4096);
        FrameWriter.WriteMessage(chunky, FrameKind.Request, 3, 0x10, data, [new MetadataItem("k", new byte[5000])]);
        Assert.True(chunky.Spans > 10);
        Assert.Equal(Wire.Frame(0x01, Wire.Message(3, 0x10, data, 1).Entry("k"u8.ToArray(), new byte[5000]).ToArray()), chunky.Written);
    }

    [Fact]
    public void Keys_and_values_at_their_limits_are_written()
    {
        string key = new('k', 65535);
        byte[] bytes = Write(w => FrameWriter.WriteMessage(w, FrameKind.Request, 1, 2, ReadOnlySpan<byte>.Empty, [new MetadataItem(key, new byte[65535])]));
        Assert.True(Message.TryParse(new ReadOnlySequence<byte>(bytes, 8, bytes.Length - 8), out Message message));
        Assert.True(message.Metadata.TryGetValue(Encoding.UTF8.GetBytes(key), out ReadOnlySequence<byte> value));
        Assert.Equal(65535, value.Length);
    }

    [Fact]
    public void Empty_or_null_key_throws()
    {
        var writer = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteMessage(writer, FrameKind.Request, 1, 2, ReadOnlySpan<byte>.Empty, [new MetadataItem("", Array.Empty<byte>())]));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteMessage(writer, FrameKind.Request, 1, 2, ReadOnlySpan<byte>.Empty, [default(MetadataItem)]));
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void Key_longer_than_65535_UTF8_bytes_throws()
    {
        var writer = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteMessage(writer, FrameKind.Request, 1, 2, ReadOnlySpan<byte>.Empty, [new MetadataItem(new string('k', 65536), Array.Empty<byte>())]));

        // 32,768 characters but 65,536 bytes of UTF-8: the limit is in bytes.
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteMessage(writer, FrameKind.Request, 1, 2, ReadOnlySpan<byte>.Empty, [new MetadataItem(new string('é', 32768), Array.Empty<byte>())]));
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void Value_longer_than_65535_bytes_throws()
    {
        var writer = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteMessage(writer, FrameKind.Request, 1, 2, ReadOnlySpan<byte>.Empty, [new MetadataItem("k", new byte[65536])]));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteError(writer, 1, 2, new string('c', 65536), "text"));
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void More_than_65535_entries_throws()
    {
        var writer = new ArrayBufferWriter<byte>();
        MetadataItem[] items = Enumerable.Range(0, 65536).Select(i => new MetadataItem("k" + i, Array.Empty<byte>())).ToArray();
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteMessage(writer, FrameKind.Request, 1, 2, ReadOnlySpan<byte>.Empty, items));
        Assert.Equal(0, writer.WrittenCount);

        FrameWriter.WriteMessage(writer, FrameKind.Request, 1, 2, ReadOnlySpan<byte>.Empty, items.AsSpan(1));
        Assert.True(Message.TryParse(new ReadOnlySequence<byte>(writer.WrittenMemory[8..]), out Message message));
        Assert.Equal(65535, message.Metadata.Count);
    }

    [Fact]
    public void Payload_longer_than_uint_max_throws()
    {
        var writer = new ArrayBufferWriter<byte>();
        ReadOnlySequence<byte> huge = TestSequences.Huge((long)uint.MaxValue + 1);
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteFrame(writer, FrameKind.Ping, huge));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteMessage(writer, FrameKind.Response, 1, 2, huge, MessageMetadata.Empty));

        // Data that fits alone but not with the message's own 15 bytes.
        ReadOnlySequence<byte> almost = TestSequences.Huge(uint.MaxValue - 14);
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteMessage(writer, FrameKind.Response, 1, 2, almost, MessageMetadata.Empty));
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void Null_arguments_throw()
    {
        Assert.Throws<ArgumentNullException>(() => FrameWriter.WriteFrame(null!, FrameKind.Ping, ReadOnlySpan<byte>.Empty));
        Assert.Throws<ArgumentNullException>(() => FrameWriter.WriteError(new ArrayBufferWriter<byte>(), 1, 2, null!, ""));
        Assert.Throws<ArgumentNullException>(() => FrameWriter.WriteError(new ArrayBufferWriter<byte>(), 1, 2, "x", null!));
    }

    [Fact]
    public void EncodedLength_counts_UTF8_bytes()
    {
        Assert.Equal(0, FrameWriter.EncodedLength([]));
        Assert.Equal(4 + 2 + 3, FrameWriter.EncodedLength([new MetadataItem("é", new byte[3])]));
    }
}
