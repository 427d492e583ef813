using System.Buffers;
using System.Text;
using FsCheck.Xunit;

namespace EchoHost.Protocol.Tests;

/// <summary>
/// Properties over generated input. Test counts keep the whole project well under a minute; a failure prints the
/// sample and the seed to replay it with (<c>Replay = "..."</c>).
/// </summary>
[Properties(Arbitrary = [typeof(Generators)])]
public class PropertyTests
{
    [Property(MaxTest = 500)]
    public void Any_message_round_trips_through_writer_and_parser(MessageSample sample)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteMessage(writer, sample.Kind, sample.Id, sample.Type, sample.Data, sample.Items);
        byte[] bytes = writer.WrittenSpan.ToArray();

        // The writer produces exactly the layout built by hand, in one span or many.
        Assert.Equal(Wire.Frame((byte)sample.Kind, sample.Payload()), bytes);
        var chunky = new ChunkyWriter(7);
        FrameWriter.WriteMessage(chunky, sample.Kind, sample.Id, sample.Type, sample.Data, sample.Items);
        Assert.Equal(bytes, chunky.Written);
        Assert.Equal(bytes.Length, FrameWriter.MessageFrameLength(sample.Data.Length, FrameWriter.EncodedLength(sample.Items)));

        foreach ((string name, ReadOnlySequence<byte> input) in Shapes.Of(bytes))
        {
            Assert.Equal(FrameReadStatus.Complete, FrameReader.TryRead(input, Frame.DefaultMaxFrameBytes, out Frame frame, out SequencePosition consumed, out _));
            Assert.True(ParserOracle.Offset(input, consumed) == bytes.Length, name);
            Assert.Equal(sample.Kind, frame.Kind);
            Assert.True(frame.HasValidHeader);
            Assert.True(Message.TryParse(frame.Payload, out Message message), name);
            Assert.Equal(sample.Id, message.Id);
            Assert.Equal(sample.Type, message.Type);
            Assert.Equal(sample.Data, message.Data.ToArray());
            List<(byte[] Key, byte[] Value)> entries = Shapes.Entries(message.Metadata);
            Assert.Equal(sample.Metadata.Length, entries.Count);
            for (int i = 0; i < entries.Count; i++)
            {
                Assert.Equal(sample.Metadata[i].Key, Encoding.UTF8.GetString(entries[i].Key));
                Assert.Equal(sample.Metadata[i].Value, entries[i].Value);
                Assert.True(message.Metadata.TryGetValue(Encoding.UTF8.GetBytes(sample.Metadata[i].Key), out ReadOnlySequence<byte> value));
                Assert.Equal(sample.Metadata[i].Value, value.ToArray());
            }

            // An echo of the parsed message writes the same payload again.
            var echo = new ArrayBufferWriter<byte>();
            FrameWriter.WriteMessage(echo, sample.Kind, message.Id, message.Type, message.Data, message.Metadata);
            Assert.Equal(bytes, echo.WrittenSpan.ToArray());
        }
    }

    [Property(MaxTest = 300)]
    public void Any_split_of_a_stream_into_chunks_reads_the_same_frames(StreamSample sample)
    {
        byte[] stream = sample.Frames.SelectMany(f => f.Bytes()).ToArray();
        (List<byte[]> expected, FrameReadStatus expectedEnd) = ParserOracle.ReadAll(new ReadOnlySequence<byte>(stream), sample.MaxFrameBytes);

        // Chunks arrive one after another, as from a socket; the reader sees everything not yet consumed, as
        // a multi-segment sequence, and must ask for more until a frame is whole.
        var pieces = new List<byte[]>();
        var actual = new List<byte[]>();
        FrameReadStatus end = FrameReadStatus.NeedMoreData;
        long consumedOffset = 0;
        int position = 0;
        int next = 0;
        while (position < stream.Length && end != FrameReadStatus.FrameTooLarge)
        {
            int size = Math.Min(sample.ChunkSizes[next++ % sample.ChunkSizes.Length], stream.Length - position);
            pieces.Add(stream[position..(position + size)]);
            position += size;
            ReadOnlySequence<byte> buffer = TestSequences.FromPieces(pieces).Slice(consumedOffset);
            while (true)
            {
                end = FrameReader.TryRead(buffer, sample.MaxFrameBytes, out Frame frame, out SequencePosition consumed, out SequencePosition examined);
                if (end != FrameReadStatus.Complete)
                {
                    Assert.Equal(0, ParserOracle.Offset(buffer, consumed));
                    if (end == FrameReadStatus.NeedMoreData)
                    {
                        Assert.Equal(buffer.Length, ParserOracle.Offset(buffer, examined));
                    }

                    break;
                }

                actual.Add(ParserOracle.Describe(frame));
                consumedOffset += ParserOracle.Offset(buffer, consumed);
                buffer = buffer.Slice(consumed);
            }
        }

        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }

        Assert.Equal(expectedEnd, end);
    }

    [Property(MaxTest = 500)]
    public void Random_bytes_never_throw_and_read_the_same_in_any_shape(NoiseSample sample)
        => ParserOracle.AssertAnyInputBehaves(sample.Bytes, sample.ChunkSizes, sample.MaxFrameBytes);

    [Property(MaxTest = 1000)]
    public void Edited_messages_parse_exactly_as_the_reference_says(MutatedSample sample)
        => ParserOracle.AssertParsesLikeReference(sample.Payload, sample.ChunkSizes);
}
