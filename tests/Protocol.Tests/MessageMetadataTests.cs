using System.Buffers;
using System.Text;

namespace EchoHost.Protocol.Tests;

public class MessageMetadataTests
{
    private static readonly byte[] ThreeEntries = Wire.Message(9, 0x10, [1], 3)
        .Entry("content-type", "text/plain").Entry("a", "").Entry("trace", "abc").ToArray();

    [Fact]
    public void Enumerates_entries_in_wire_order_in_every_shape()
    {
        foreach ((string _, ReadOnlySequence<byte> input) in Shapes.Of(ThreeEntries))
        {
            Assert.True(Message.TryParse(input, out Message message));
            List<(byte[] Key, byte[] Value)> entries = Shapes.Entries(message.Metadata);
            Assert.Equal(["content-type", "a", "trace"], entries.Select(e => Encoding.UTF8.GetString(e.Key)));
            Assert.Equal(["text/plain", "", "abc"], entries.Select(e => Encoding.UTF8.GetString(e.Value)));
        }
    }

    [Fact]
    public void TryGetValue_finds_each_key_and_only_exact_keys_in_every_shape()
    {
        foreach ((string _, ReadOnlySequence<byte> input) in Shapes.Of(ThreeEntries))
        {
            Assert.True(Message.TryParse(input, out Message message));
            Assert.True(message.Metadata.TryGetValue("content-type"u8, out ReadOnlySequence<byte> value));
            Assert.Equal("text/plain"u8.ToArray(), value.ToArray());
            Assert.True(message.Metadata.TryGetValue("a"u8, out value));
            Assert.True(value.IsEmpty);
            Assert.True(message.Metadata.TryGetValue("trace"u8, out value));
            Assert.Equal("abc"u8.ToArray(), value.ToArray());
            Assert.False(message.Metadata.TryGetValue("content"u8, out value));
            Assert.True(value.IsEmpty);
            Assert.False(message.Metadata.TryGetValue("Content-Type"u8, out _));
            Assert.False(message.Metadata.TryGetValue("tracer"u8, out _));
            Assert.False(message.Metadata.TryGetValue(""u8, out _));
        }
    }

    [Fact]
    public void Empty_metadata_has_nothing()
    {
        MessageMetadata empty = MessageMetadata.Empty;
        Assert.Equal(0, empty.Count);
        Assert.Empty(Shapes.Entries(empty));
        Assert.False(empty.TryGetValue("code"u8, out _));
        Assert.Empty(Shapes.Entries(default));
    }

    [Fact]
    public void Metadata_built_from_bad_bytes_stops_without_throwing()
    {
        byte[][] bad =
        [
            [],
            [0],
            [0, 5, (byte)'k'],
            [0, 1, (byte)'k', 0],
            [0, 1, (byte)'k', 0, 9, 1],
            [0xFF, 0xFF, 0xFF],
        ];
        foreach (byte[] bytes in bad)
        {
            foreach ((string _, ReadOnlySequence<byte> input) in Shapes.Of(bytes))
            {
                var metadata = new MessageMetadata(3, input);
                Assert.Empty(Shapes.Entries(metadata));
                Assert.False(metadata.TryGetValue("k"u8, out _));
            }
        }
    }

    [Fact]
    public void Count_bounds_the_entries_read()
    {
        byte[] entries = new Wire().Entry("a", "1").Entry("b", "2").ToArray();
        var metadata = new MessageMetadata(1, new ReadOnlySequence<byte>(entries));
        Assert.Single(Shapes.Entries(metadata));
        Assert.False(metadata.TryGetValue("b"u8, out _));
    }
}
