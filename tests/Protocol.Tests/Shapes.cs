using System.Buffers;

namespace EchoHost.Protocol.Tests;

/// <summary>The same bytes as one segment and as several, for tests that must give identical results for each.</summary>
internal static class Shapes
{
    public static IEnumerable<(string Name, ReadOnlySequence<byte> Sequence)> Of(byte[] bytes)
    {
        yield return ("single", new ReadOnlySequence<byte>(bytes));
        yield return ("halves", TestSequences.Split(bytes, [Math.Max(1, bytes.Length / 2)]));
        yield return ("3-byte pieces", TestSequences.Split(bytes, [3]));
        yield return ("1-byte pieces with empty segments", TestSequences.OneBytePerSegment(bytes));
    }

    public static bool ParseAll(byte[] bytes, out Message single)
    {
        bool expected = Message.TryParse(new ReadOnlySequence<byte>(bytes), out single);
        foreach ((string name, ReadOnlySequence<byte> sequence) in Of(bytes))
        {
            bool actual = Message.TryParse(sequence, out Message message);
            Assert.True(expected == actual, $"{name}: {actual}, single segment: {expected}");
            if (actual)
            {
                Assert.Equal(single.Id, message.Id);
                Assert.Equal(single.Type, message.Type);
                Assert.Equal(single.Data.ToArray(), message.Data.ToArray());
                Assert.Equal(single.Metadata.Count, message.Metadata.Count);
                Assert.Equal(single.Metadata.EncodedEntries.ToArray(), message.Metadata.EncodedEntries.ToArray());
            }
        }

        return expected;
    }

    public static List<(byte[] Key, byte[] Value)> Entries(MessageMetadata metadata)
    {
        var list = new List<(byte[], byte[])>();
        foreach (MetadataEntry entry in metadata)
        {
            list.Add((entry.Key.ToArray(), entry.Value.ToArray()));
        }

        return list;
    }
}
