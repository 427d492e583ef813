using System.Buffers;
using EchoHost.Serving.Framed;

namespace EchoHost.Tests.Framed;

/// <summary>The pooled buffer behind a response's Data: it keeps what was written as it grows, and empties on Clear.</summary>
public sealed class PooledBufferWriterTests
{
    [Fact]
    public void Growing_in_small_and_large_steps_keeps_every_byte_in_order()
    {
        var writer = new PooledBufferWriter();
        var expected = new List<byte>();
        for (var i = 0; i < 300; i++)
        {
            var chunk = Enumerable.Repeat((byte)i, i % 7 == 0 ? 1000 : 3).ToArray();
            writer.Write(chunk);
            expected.AddRange(chunk);
        }

        Assert.Equal(expected.Count, writer.WrittenCount);
        Assert.Equal(expected.ToArray(), writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Clear_forgets_what_was_written_whether_the_buffer_is_kept_or_given_back()
    {
        var writer = new PooledBufferWriter();
        writer.Write(new byte[100]);
        writer.Clear(retainedCapacity: 1024);
        Assert.Equal(0, writer.WrittenCount);

        writer.Write(new byte[5000]);
        writer.Clear(retainedCapacity: 1024);
        Assert.Equal(0, writer.WrittenCount);
        writer.Write("after"u8);
        Assert.Equal("after"u8.ToArray(), writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Advancing_past_the_span_handed_out_or_a_negative_size_is_refused()
    {
        var writer = new PooledBufferWriter();
        var length = writer.GetSpan(10).Length;

        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(length + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.GetSpan(-1));
        Assert.Equal(0, writer.WrittenCount);
    }
}
