using System.Buffers;
using System.Runtime.InteropServices;

namespace EchoHost.Protocol.Tests;

public class FrameReaderTests
{
    private const int Max = Frame.DefaultMaxFrameBytes;

    [Fact]
    public void Empty_input_needs_more_data()
    {
        ReadOnlySequence<byte> input = ReadOnlySequence<byte>.Empty;
        Assert.Equal(FrameReadStatus.NeedMoreData, FrameReader.TryRead(input, Max, out _, out SequencePosition consumed, out SequencePosition examined));
        Assert.Equal(input.Start, consumed);
        Assert.Equal(input.End, examined);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void Partial_header_needs_more_data_and_examines_everything(int length)
    {
        byte[] frame = Wire.Frame(0x01, new byte[4]);
        foreach ((string _, ReadOnlySequence<byte> input) in Shapes.Of(frame[..length]))
        {
            Assert.Equal(FrameReadStatus.NeedMoreData, FrameReader.TryRead(input, Max, out _, out SequencePosition consumed, out SequencePosition examined));
            Assert.Equal(0, input.GetOffset(consumed));
            Assert.Equal(input.Length, input.GetOffset(examined));
        }
    }

    [Fact]
    public void Partial_payload_needs_more_data_and_examines_everything()
    {
        byte[] frame = Wire.Frame(0x01, [1, 2, 3, 4, 5]);
        for (int length = 8; length < frame.Length; length++)
        {
            foreach ((string _, ReadOnlySequence<byte> input) in Shapes.Of(frame[..length]))
            {
                Assert.Equal(FrameReadStatus.NeedMoreData, FrameReader.TryRead(input, Max, out _, out SequencePosition consumed, out SequencePosition examined));
                Assert.Equal(0, input.GetOffset(consumed));
                Assert.Equal(input.Length, input.GetOffset(examined));
            }
        }
    }

    [Fact]
    public void Header_fields_are_read_big_endian_and_not_judged()
    {
        byte[] bytes = new Wire().U32(3).U8(0x7F).U8(0x81).U16(0x0102).Bytes(9, 8, 7).ToArray();
        foreach ((string name, ReadOnlySequence<byte> input) in Shapes.Of(bytes))
        {
            Assert.Equal(FrameReadStatus.Complete, FrameReader.TryRead(input, Max, out Frame frame, out SequencePosition consumed, out SequencePosition examined));
            Assert.Equal(0x7F, frame.RawKind);
            Assert.Equal((FrameKind)0x7F, frame.Kind);
            Assert.Equal(0x81, frame.Flags);
            Assert.Equal(0x0102, frame.Reserved);
            Assert.False(frame.HasValidHeader);
            Assert.Equal(new byte[] { 9, 8, 7 }, frame.Payload.ToArray());
            Assert.True(input.GetOffset(consumed) == 11, name);
            Assert.Equal(consumed, examined);
        }
    }

    [Theory]
    [InlineData(0x01, FrameKind.Request)]
    [InlineData(0x02, FrameKind.Response)]
    [InlineData(0x03, FrameKind.Error)]
    [InlineData(0x04, FrameKind.Ping)]
    [InlineData(0x05, FrameKind.Pong)]
    [InlineData(0x06, FrameKind.GoAway)]
    public void Kinds_have_the_values_of_the_protocol(byte value, FrameKind kind)
    {
        FrameReader.TryRead(new ReadOnlySequence<byte>(Wire.Frame(value, [])), Max, out Frame frame, out _, out _);
        Assert.Equal(kind, frame.Kind);
        Assert.True(frame.HasValidHeader);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(0x80, 0)]
    [InlineData(0, 1)]
    [InlineData(0, 0x8000)]
    public void Nonzero_flags_or_reserved_make_the_header_invalid(byte flags, ushort reserved)
    {
        FrameReader.TryRead(new ReadOnlySequence<byte>(Wire.Frame(0x01, [], flags, reserved)), Max, out Frame frame, out _, out _);
        Assert.False(frame.HasValidHeader);
    }

    [Fact]
    public void Empty_payload_is_a_complete_frame_of_eight_bytes()
    {
        ReadOnlySequence<byte> input = new(Wire.Frame(0x04, []));
        Assert.Equal(FrameReadStatus.Complete, FrameReader.TryRead(input, Max, out Frame frame, out SequencePosition consumed, out _));
        Assert.True(frame.Payload.IsEmpty);
        Assert.Equal(8, input.GetOffset(consumed));
    }

    [Fact]
    public void Length_of_exactly_max_frame_bytes_is_valid()
    {
        byte[] bytes = Wire.Frame(0x01, new byte[100]);
        Assert.Equal(FrameReadStatus.Complete, FrameReader.TryRead(new ReadOnlySequence<byte>(bytes), 100, out Frame frame, out _, out _));
        Assert.Equal(100, frame.Payload.Length);
    }

    [Fact]
    public void Length_of_exactly_the_default_max_is_valid()
    {
        byte[] bytes = Wire.Frame(0x01, new byte[Frame.DefaultMaxFrameBytes]);
        Assert.Equal(FrameReadStatus.Complete, FrameReader.TryRead(new ReadOnlySequence<byte>(bytes), Frame.DefaultMaxFrameBytes, out Frame frame, out _, out _));
        Assert.Equal(Frame.DefaultMaxFrameBytes, frame.Payload.Length);
    }

    [Fact]
    public void Length_one_past_max_is_too_large_as_soon_as_the_header_is_read()
    {
        // Only the header: the reader must not wait for a payload it will never accept.
        byte[] header = new Wire().U32(Frame.DefaultMaxFrameBytes + 1).U8(1).U8(0).U16(0).ToArray();
        foreach ((string _, ReadOnlySequence<byte> input) in Shapes.Of(header))
        {
            Assert.Equal(FrameReadStatus.FrameTooLarge, FrameReader.TryRead(input, Frame.DefaultMaxFrameBytes, out Frame frame, out SequencePosition consumed, out SequencePosition examined));
            Assert.Equal(0, input.GetOffset(consumed));
            Assert.Equal(8, input.GetOffset(examined));
            Assert.Equal(FrameKind.Request, frame.Kind);
            Assert.True(frame.Payload.IsEmpty);
        }
    }

    [Theory]
    [InlineData(uint.MaxValue, int.MaxValue)]
    [InlineData(0x80000000u, int.MaxValue)]
    [InlineData(1u, 0)]
    [InlineData(1u, -1)]
    public void Huge_lengths_do_not_overflow(uint length, int max)
    {
        byte[] header = new Wire().U32(length).U8(1).U8(0).U16(0).ToArray();
        Assert.Equal(FrameReadStatus.FrameTooLarge, FrameReader.TryRead(new ReadOnlySequence<byte>(header), max, out _, out _, out _));
    }

    [Fact]
    public void Frames_back_to_back_are_read_one_at_a_time()
    {
        byte[] bytes = [.. Wire.Frame(0x04, [1]), .. Wire.Frame(0x01, [2, 3]), .. Wire.Frame(0x04, [])];
        foreach ((string name, ReadOnlySequence<byte> all) in Shapes.Of(bytes))
        {
            ReadOnlySequence<byte> input = all;
            var payloads = new List<byte[]>();
            while (FrameReader.TryRead(input, Max, out Frame frame, out SequencePosition consumed, out _) == FrameReadStatus.Complete)
            {
                payloads.Add(frame.Payload.ToArray());
                input = input.Slice(consumed);
            }

            Assert.True(payloads.Count == 3, name);
            Assert.Equal(new byte[] { 1 }, payloads[0]);
            Assert.Equal(new byte[] { 2, 3 }, payloads[1]);
            Assert.Empty(payloads[2]);
            Assert.True(input.IsEmpty);
        }
    }

    [Fact]
    public void Payload_is_a_slice_of_the_input_not_a_copy()
    {
        byte[] bytes = Wire.Frame(0x01, [1, 2, 3]);
        FrameReader.TryRead(new ReadOnlySequence<byte>(bytes), Max, out Frame frame, out _, out _);
        Assert.True(MemoryMarshal.TryGetArray(frame.Payload.First, out ArraySegment<byte> segment));
        Assert.Same(bytes, segment.Array);
        Assert.Equal(8, segment.Offset);
    }
}
