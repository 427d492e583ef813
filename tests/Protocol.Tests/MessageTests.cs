using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace EchoHost.Protocol.Tests;

public class MessageTests
{
    [Fact]
    public void Empty_message_is_fifteen_bytes()
    {
        byte[] bytes = Wire.Message(0, 0, [], 0).ToArray();
        Assert.Equal(15, bytes.Length);
        Assert.Equal(Message.MinimumSize, bytes.Length);
        Assert.True(Shapes.ParseAll(bytes, out Message message));
        Assert.Equal(0UL, message.Id);
        Assert.Equal(0, message.Type);
        Assert.True(message.Data.IsEmpty);
        Assert.Equal(0, message.Metadata.Count);
        Assert.Empty(Shapes.Entries(message.Metadata));
    }

    [Fact]
    public void A_request_with_nothing_in_it_costs_23_bytes_on_the_wire()
    {
        byte[] frame = Wire.Frame(0x01, Wire.Message(7, MessageTypes.Echo, [], 0).ToArray());
        Assert.Equal(23, frame.Length);
        Assert.Equal(23, FrameWriter.MessageFrameLength(0, 0));
    }

    [Fact]
    public void Every_field_is_read_big_endian()
    {
        byte[] bytes = Wire.Message(0x0102030405060708, 0x30, Encoding.UTF8.GetBytes("héllo"), 2)
            .Entry("k", "v").Entry("clé", "valeur").ToArray();
        Assert.True(Shapes.ParseAll(bytes, out Message message));
        Assert.Equal(0x0102030405060708UL, message.Id);
        Assert.Equal(0x30, message.Type);
        Assert.Equal("héllo", Encoding.UTF8.GetString(message.Data.ToArray()));
        Assert.Equal(2, message.Metadata.Count);
        List<(byte[] Key, byte[] Value)> entries = Shapes.Entries(message.Metadata);
        Assert.Equal("k", Encoding.UTF8.GetString(entries[0].Key));
        Assert.Equal("v", Encoding.UTF8.GetString(entries[0].Value));
        Assert.Equal("clé", Encoding.UTF8.GetString(entries[1].Key));
        Assert.Equal("valeur", Encoding.UTF8.GetString(entries[1].Value));
    }

    [Fact]
    public void Largest_id_and_type_are_read_unsigned()
    {
        byte[] bytes = Wire.Message(ulong.MaxValue, 0xFF, [0xFF], 0).ToArray();
        Assert.True(Shapes.ParseAll(bytes, out Message message));
        Assert.Equal(ulong.MaxValue, message.Id);
        Assert.Equal(0xFF, message.Type);
    }

    [Fact]
    public void Data_and_values_are_slices_of_the_input()
    {
        byte[] bytes = Wire.Message(1, 0x10, [1, 2, 3], 1).Entry("k", "vv").ToArray();
        Assert.True(Message.TryParse(new ReadOnlySequence<byte>(bytes), out Message message));
        Assert.True(MemoryMarshal.TryGetArray(message.Data.First, out ArraySegment<byte> data));
        Assert.Same(bytes, data.Array);
        Assert.Equal(13, data.Offset);
        Assert.True(message.Metadata.TryGetValue("k"u8, out ReadOnlySequence<byte> value));
        Assert.True(MemoryMarshal.TryGetArray(value.First, out ArraySegment<byte> valueSegment));
        Assert.Same(bytes, valueSegment.Array);
        Assert.Equal(bytes.Length - 2, valueSegment.Offset);
    }

    [Fact]
    public void Every_payload_shorter_than_fifteen_bytes_is_malformed()
    {
        byte[] bytes = Wire.Message(1, 2, [], 0).ToArray();
        for (int length = 0; length < Message.MinimumSize; length++)
        {
            Assert.False(Shapes.ParseAll(bytes[..length], out _));
        }
    }

    [Fact]
    public void Every_truncation_of_a_valid_message_is_malformed()
    {
        byte[] bytes = Wire.Message(1, 2, [1, 2, 3], 2).Entry("a", "b").Entry("cd", "").ToArray();
        Assert.True(Shapes.ParseAll(bytes, out _));
        for (int length = 0; length < bytes.Length; length++)
        {
            Assert.False(Shapes.ParseAll(bytes[..length], out _), $"length {length}");
        }
    }

    [Fact]
    public void A_trailing_byte_is_malformed()
    {
        Assert.False(Shapes.ParseAll([.. Wire.Message(1, 2, [], 0).ToArray(), 0], out _));
        Assert.False(Shapes.ParseAll([.. Wire.Message(1, 2, [5], 1).Entry("a", "b").ToArray(), 0], out _));
    }

    [Theory]
    [InlineData(4u)]          // one past the data that is there
    [InlineData(3u)]          // the data fits but MetadataCount does not
    [InlineData(0x7FFFFFFFu)] // int overflow if added to an offset
    [InlineData(0xFFFFFFFFu)] // uint overflow if added to an offset
    public void DataLength_past_the_end_is_malformed(uint dataLength)
    {
        // 15-byte message plus 2 bytes: DataLength 2 would be exact.
        byte[] bytes = new Wire().U64(1).U8(2).U32(dataLength).Bytes(1, 2).U16(0).ToArray();
        Assert.False(Shapes.ParseAll(bytes, out _));
    }

    [Fact]
    public void DataLength_short_of_the_data_is_malformed()
    {
        byte[] bytes = new Wire().U64(1).U8(2).U32(1).Bytes(1, 2).U16(0).ToArray();
        Assert.False(Shapes.ParseAll(bytes, out _));
    }

    [Theory]
    [InlineData(2)]      // one entry present, two announced
    [InlineData(0)]      // an entry present, none announced: trailing bytes
    [InlineData(65535)]  // far more than fit
    public void MetadataCount_that_disagrees_with_the_entries_is_malformed(int count)
    {
        byte[] bytes = Wire.Message(1, 2, [], count).Entry("k", "v").ToArray();
        Assert.False(Shapes.ParseAll(bytes, out _));
    }

    [Theory]
    [InlineData(2)]      // one past the key
    [InlineData(65535)]  // far past
    public void KeyLength_past_the_end_is_malformed(int keyLength)
    {
        byte[] bytes = Wire.Message(1, 2, [], 1).U16(keyLength).Text("k").U16(0).ToArray();
        Assert.False(Shapes.ParseAll(bytes, out _));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(65535)]
    public void ValueLength_past_the_end_is_malformed(int valueLength)
    {
        byte[] bytes = Wire.Message(1, 2, [], 1).U16(1).Text("k").U16(valueLength).Text("v").ToArray();
        Assert.False(Shapes.ParseAll(bytes, out _));
    }

    [Fact]
    public void ValueLength_short_of_the_value_is_malformed()
    {
        byte[] bytes = Wire.Message(1, 2, [], 1).U16(1).Text("k").U16(1).Text("vv").ToArray();
        Assert.False(Shapes.ParseAll(bytes, out _));
    }

    [Fact]
    public void Empty_key_is_malformed()
    {
        Assert.False(Shapes.ParseAll(Wire.Message(1, 2, [], 1).Entry([], [1]).ToArray(), out _));
        Assert.False(Shapes.ParseAll(Wire.Message(1, 2, [], 2).Entry("a", "").Entry([], []).ToArray(), out _));
    }

    [Fact]
    public void Empty_value_is_valid()
    {
        Assert.True(Shapes.ParseAll(Wire.Message(1, 2, [], 1).Entry("k", "").ToArray(), out Message message));
        Assert.True(message.Metadata.TryGetValue("k"u8, out ReadOnlySequence<byte> value));
        Assert.True(value.IsEmpty);
    }

    [Fact]
    public void Values_are_bytes_not_text()
    {
        Assert.True(Shapes.ParseAll(Wire.Message(1, 2, [0xFF], 1).Entry([(byte)'k'], [0xFF, 0xC0, 0x80]).ToArray(), out _));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]                    // never valid in UTF-8
    [InlineData(new byte[] { 0x80 })]                    // lone continuation byte
    [InlineData(new byte[] { 0xC0, 0x80 })]              // overlong NUL
    [InlineData(new byte[] { 0xE2, 0x82 })]              // truncated 3-byte sequence
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]        // UTF-16 surrogate encoded
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })]  // above U+10FFFF
    [InlineData(new byte[] { (byte)'a', 0xFE })]         // valid start, invalid end
    public void Key_that_is_not_valid_UTF8_is_malformed(byte[] key)
    {
        Assert.False(Shapes.ParseAll(Wire.Message(1, 2, [], 1).Entry(key, []).ToArray(), out _));
    }

    [Theory]
    [InlineData("é")]
    [InlineData("€uro")]
    [InlineData("𝄞")]
    [InlineData("\0")]
    public void Key_in_any_valid_UTF8_is_accepted(string key)
    {
        Assert.True(Shapes.ParseAll(Wire.Message(1, 2, [], 1).Entry(key, "v").ToArray(), out Message message));
        Assert.True(message.Metadata.TryGetValue(Encoding.UTF8.GetBytes(key), out _));
    }

    [Fact]
    public void Key_of_65535_bytes_is_valid()
    {
        byte[] key = Enumerable.Repeat((byte)'k', 65535).ToArray();
        byte[] value = new byte[65535];
        Assert.True(Shapes.ParseAll(Wire.Message(1, 2, [], 1).Entry(key, value).ToArray(), out Message message));
        Assert.True(message.Metadata.TryGetValue(key, out ReadOnlySequence<byte> found));
        Assert.Equal(65535, found.Length);
    }

    [Fact]
    public void Repeated_key_is_malformed()
    {
        Assert.False(Shapes.ParseAll(Wire.Message(1, 2, [], 2).Entry("k", "1").Entry("k", "2").ToArray(), out _));
        Assert.False(Shapes.ParseAll(Wire.Message(1, 2, [], 3).Entry("a", "").Entry("bb", "").Entry("a", "").ToArray(), out _));
    }

    [Fact]
    public void Keys_are_case_sensitive()
    {
        Assert.True(Shapes.ParseAll(Wire.Message(1, 2, [], 2).Entry("k", "1").Entry("K", "2").ToArray(), out Message message));
        Assert.True(message.Metadata.TryGetValue("K"u8, out ReadOnlySequence<byte> value));
        Assert.Equal("2"u8.ToArray(), value.ToArray());
    }

    [Fact]
    public void Keys_alike_in_length_and_first_and_last_byte_are_distinct()
    {
        // Such keys share a fingerprint in the check for a few entries: they must still be compared in full.
        Assert.True(Shapes.ParseAll(Wire.Message(1, 2, [], 3).Entry("abc", "").Entry("axc", "").Entry("ayc", "").ToArray(), out _));
        Assert.False(Shapes.ParseAll(Wire.Message(1, 2, [], 3).Entry("abc", "").Entry("axc", "").Entry("axc", "").ToArray(), out _));
        Assert.False(Shapes.ParseAll(Wire.Message(1, 2, [], 4).Entry("x", "").Entry("abc", "").Entry("y", "").Entry("abc", "").ToArray(), out _));
    }

    [Fact]
    public void Keys_that_are_prefixes_of_each_other_are_distinct()
    {
        Assert.True(Shapes.ParseAll(Wire.Message(1, 2, [], 3).Entry("ab", "").Entry("a", "").Entry("abc", "").ToArray(), out _));
    }

    [Theory]
    [InlineData(8)]     // the last count compared pairwise
    [InlineData(9)]     // the first count that uses the hash table
    [InlineData(100)]
    [InlineData(65535)] // the most a message can hold
    public void Many_distinct_keys_are_valid_and_one_repeat_is_not(int count)
    {
        byte[] Build(bool repeatLast)
        {
            Wire wire = Wire.Message(1, 2, [], count);
            for (int i = 0; i < count; i++)
            {
                int k = repeatLast && i == count - 1 ? 0 : i;
                wire.Entry(Encoding.UTF8.GetBytes("k" + k.ToString(System.Globalization.CultureInfo.InvariantCulture)), []);
            }

            return wire.ToArray();
        }

        Assert.True(Message.TryParse(new ReadOnlySequence<byte>(Build(false)), out Message message));
        Assert.Equal(count, message.Metadata.Count);
        Assert.False(Message.TryParse(new ReadOnlySequence<byte>(Build(true)), out _));
        Assert.False(Message.TryParse(TestSequences.Split(Build(true), [7]), out _));
        Assert.True(Message.TryParse(TestSequences.Split(Build(false), [7]), out _));
    }

    [Fact]
    public void Hostile_metadata_of_65535_short_keys_is_checked_in_linear_time()
    {
        // 65,535 distinct 3-byte keys, then the same with the last key repeating the first: a quadratic check would
        // compare two billion pairs; this one finishes at once.
        byte[] Build(bool repeat)
        {
            Wire wire = Wire.Message(1, 2, [], 65535);
            for (int i = 0; i < 65535; i++)
            {
                int k = repeat && i == 65534 ? 0 : i;
                wire.Entry([(byte)(k & 0x7F), (byte)((k >> 7) & 0x7F), (byte)(k >> 14)], []);
            }

            return wire.ToArray();
        }

        Assert.True(Message.TryParse(new ReadOnlySequence<byte>(Build(false)), out _));
        Assert.False(Message.TryParse(new ReadOnlySequence<byte>(Build(true)), out _));
    }
}
