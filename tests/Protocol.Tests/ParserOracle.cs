using System.Buffers;

namespace EchoHost.Protocol.Tests;

/// <summary>
/// What any input must do to the codec, whoever makes the input (the property tests' generators, the fuzzer's
/// mutations): frames read the same whatever the stream's shape, and payloads parse exactly as the reference says.
/// </summary>
internal static class ParserOracle
{
    /// <summary>The whole contract for arbitrary bytes: as a stream of frames, and as one payload.</summary>
    public static void AssertAnyInputBehaves(byte[] bytes, int[] chunkSizes, int maxFrameBytes)
    {
        (List<byte[]> expected, FrameReadStatus expectedEnd) = ReadAll(new ReadOnlySequence<byte>(bytes), maxFrameBytes);
        (List<byte[]> actual, FrameReadStatus actualEnd) = ReadAll(TestSequences.Split(bytes, chunkSizes), maxFrameBytes);
        Assert.Equal(expectedEnd, actualEnd);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }

        // The bytes as a payload: same answer as the reference, whatever the shape.
        AssertParsesLikeReference(bytes, chunkSizes);
    }

    public static void AssertParsesLikeReference(byte[] payload, int[] chunkSizes)
    {
        ReferenceParser.Parsed? reference = ReferenceParser.Parse(payload);
        ReadOnlySequence<byte>[] shapes = [new(payload), TestSequences.Split(payload, chunkSizes), TestSequences.OneBytePerSegment(payload)];
        foreach (ReadOnlySequence<byte> input in shapes)
        {
            bool parsed = Message.TryParse(input, out Message message);
            Assert.Equal(reference is not null, parsed);
            if (reference is null)
            {
                continue;
            }

            Assert.Equal(reference.Id, message.Id);
            Assert.Equal(reference.Type, message.Type);
            Assert.Equal(reference.Data, message.Data.ToArray());
            List<(byte[] Key, byte[] Value)> entries = Shapes.Entries(message.Metadata);
            Assert.Equal(reference.Entries.Count, entries.Count);
            for (int i = 0; i < entries.Count; i++)
            {
                Assert.Equal(reference.Entries[i].Key, entries[i].Key);
                Assert.Equal(reference.Entries[i].Value, entries[i].Value);
                Assert.True(message.Metadata.TryGetValue(entries[i].Key, out ReadOnlySequence<byte> value));
                Assert.Equal(reference.Entries[i].Value, value.ToArray());
            }
        }
    }

    /// <summary>Reads frames until the input runs out or a frame is too large; each frame as header bytes + payload.</summary>
    public static (List<byte[]> Frames, FrameReadStatus End) ReadAll(ReadOnlySequence<byte> input, int maxFrameBytes)
    {
        var frames = new List<byte[]>();
        while (true)
        {
            FrameReadStatus status = FrameReader.TryRead(input, maxFrameBytes, out Frame frame, out SequencePosition consumed, out _);
            if (status != FrameReadStatus.Complete)
            {
                return (frames, status);
            }

            frames.Add(Describe(frame));
            if (Message.TryParse(frame.Payload, out Message message))
            {
                // Parsing in place (possibly multi-segment) agrees with parsing a contiguous copy.
                Assert.True(Message.TryParse(new ReadOnlySequence<byte>(frame.Payload.ToArray()), out Message copy));
                Assert.Equal(copy.Id, message.Id);
                Assert.Equal(copy.Data.ToArray(), message.Data.ToArray());
            }

            input = input.Slice(consumed);
        }
    }

    /// <summary>Bytes from the start of <paramref name="sequence"/> to <paramref name="position"/>.</summary>
    /// <remarks>Not GetOffset: for a slice of a multi-segment sequence it counts from the first segment, not the slice.</remarks>
    public static long Offset(ReadOnlySequence<byte> sequence, SequencePosition position) => sequence.Slice(sequence.Start, position).Length;

    public static byte[] Describe(Frame frame)
        => [frame.RawKind, frame.Flags, (byte)(frame.Reserved >> 8), (byte)frame.Reserved, .. frame.Payload.ToArray()];
}
