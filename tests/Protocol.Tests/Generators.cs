using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace EchoHost.Protocol.Tests;

/// <summary>A message to write: what the round-trip property generates.</summary>
public sealed record MessageSample(FrameKind Kind, ulong Id, byte Type, byte[] Data, (string Key, byte[] Value)[] Metadata)
{
    public MetadataItem[] Items => Metadata.Select(e => new MetadataItem(e.Key, e.Value)).ToArray();

    /// <summary>The payload built by hand from docs/protocol.md's layout.</summary>
    public byte[] Payload()
    {
        Wire wire = Wire.Message(Id, Type, Data, Metadata.Length);
        foreach ((string key, byte[] value) in Metadata)
        {
            wire.Entry(Encoding.UTF8.GetBytes(key), value);
        }

        return wire.ToArray();
    }

    public override string ToString()
        => $"{Kind} id={Id} type={Type} data[{Data.Length}] metadata=[{string.Join(", ", Metadata.Select(e => $"{e.Key}={Convert.ToHexString(e.Value)}"))}]";
}

/// <summary>One frame of a generated stream: header fields as sent (not necessarily valid) and payload.</summary>
public sealed record FrameSample(byte Kind, byte Flags, ushort Reserved, byte[] Payload)
{
    public byte[] Bytes() => Wire.Frame(Kind, Payload, Flags, Reserved);

    public override string ToString() => $"kind={Kind} flags={Flags} reserved={Reserved} payload[{Payload.Length}]";
}

/// <summary>A stream of frames and the sizes of the chunks it arrives in.</summary>
public sealed record StreamSample(FrameSample[] Frames, int[] ChunkSizes, int MaxFrameBytes)
{
    public override string ToString() => $"max={MaxFrameBytes} chunks=[{string.Join(",", ChunkSizes)}] frames=[{string.Join("; ", Frames.AsEnumerable())}]";
}

/// <summary>Bytes that are mostly not a protocol unit, the chunks they arrive in, and a bound.</summary>
public sealed record NoiseSample(byte[] Bytes, int[] ChunkSizes, int MaxFrameBytes)
{
    public override string ToString() => $"max={MaxFrameBytes} chunks=[{string.Join(",", ChunkSizes)}] bytes={Convert.ToHexString(Bytes)}";
}

/// <summary>A valid message's payload with some edits: a byte set, bytes cut off the end, or bytes appended.</summary>
public sealed record MutatedSample(MessageSample Original, byte[] Payload, int[] ChunkSizes)
{
    public override string ToString() => $"from {Original}: chunks=[{string.Join(",", ChunkSizes)}] payload={Convert.ToHexString(Payload)}";
}

public static class Generators
{
    // Valid Unicode scalars of 1 to 4 UTF-8 bytes, so distinct strings are distinct bytes.
    private static readonly string[] KeyPieces = ["a", "b", "k", "0", "-", "\0", "é", "Ω", "€", "中", "𝄞"];

    private static Gen<byte> Byte => Gen.Choose(0, 255).Select(i => (byte)i);

    private static Gen<byte[]> BytesUpTo(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Byte, n));

    private static Gen<byte[]> Bytes => Gen.Frequency((6, BytesUpTo(40)), (3, BytesUpTo(300)), (1, BytesUpTo(5000)));

    private static Gen<string> Key =>
        Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(Gen.Elements(KeyPieces), n)).Select(string.Concat);

    private static Gen<(string, byte[])[]> Metadata =>
        Gen.Frequency((3, Gen.Choose(0, 0)), (6, Gen.Choose(1, 8)), (2, Gen.Choose(9, 40)))
            .SelectMany(n => Gen.ArrayOf(Key.SelectMany(k => BytesUpTo(20).Select(v => (k, v))), n))
            .Select(entries => entries.DistinctBy(e => e.Item1, StringComparer.Ordinal).ToArray());

    private static Gen<ulong> Id => Gen.Frequency(
        (1, Gen.Elements(0UL, 1UL, ulong.MaxValue)),
        (4, Gen.Choose(int.MinValue, int.MaxValue).Two().Select(t => ((ulong)(uint)t.Item1 << 32) | (uint)t.Item2)));

    private static Gen<MessageSample> Message =>
        from kind in Gen.Elements(FrameKind.Request, FrameKind.Response, FrameKind.Error)
        from id in Id
        from type in Byte
        from data in Bytes
        from metadata in Metadata
        select new MessageSample(kind, id, type, data, metadata);

    private static Gen<int[]> ChunkSizes => Gen.Frequency(
        (1, Gen.Constant(new[] { 1 })),
        (4, Gen.NonEmptyListOf(Gen.Choose(0, 64)).Select(l => l.ToArray())),
        (2, Gen.NonEmptyListOf(Gen.Choose(1, 4096)).Select(l => l.ToArray())))
        .Where(sizes => sizes.Any(s => s > 0));

    private static Gen<FrameSample> Frame => Gen.Frequency(
        (3, Message.Select(m => new FrameSample((byte)m.Kind, 0, 0, m.Payload()))),
        (1, from kind in Byte
            from flags in Gen.Frequency((3, Gen.Constant((byte)0)), (1, Byte))
            from reserved in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(0, 65535)))
            from payload in Bytes
            select new FrameSample(kind, flags, (ushort)reserved, payload)));

    public static Arbitrary<MessageSample> MessageArbitrary() => Arb.From(Message);

    public static Arbitrary<StreamSample> StreamArbitrary() => Arb.From(
        from frames in Gen.Choose(0, 8).SelectMany(n => Gen.ArrayOf(Frame, n))
        from chunks in ChunkSizes
        from max in Gen.Frequency((4, Gen.Constant(global::EchoHost.Protocol.Frame.DefaultMaxFrameBytes)), (1, Gen.Choose(0, 400)))
        select new StreamSample(frames, chunks, max));

    public static Arbitrary<NoiseSample> NoiseArbitrary() => Arb.From(
        from bytes in Gen.Frequency(
            (3, BytesUpTo(64)),
            (2, BytesUpTo(600)),
            // Small lengths and few distinct byte values make plausible headers and entries more likely.
            (3, Gen.Choose(0, 200).SelectMany(n => Gen.ArrayOf(Gen.Elements<byte>(0, 0, 0, 1, 2, 3, 0x10, 0xFF, (byte)'k'), n))))
        from chunks in ChunkSizes
        from max in Gen.Elements(int.MinValue, -1, 0, 1, 16, 300, int.MaxValue)
        select new NoiseSample(bytes, chunks, max));

    private static Gen<byte[]> Mutate(byte[] payload)
    {
        // Set one to four bytes to arbitrary values.
        Gen<byte[]> setBytes =
            from edits in Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, payload.Length - 1).Zip(Byte), n))
            select Apply(payload, copy =>
            {
                foreach ((int i, byte b) in edits)
                {
                    copy[i] = b;
                }
            });

        // Move one 16-bit field by a little (off by one is where bounds bugs live).
        Gen<byte[]> nudge =
            from i in Gen.Choose(0, payload.Length - 2)
            from d in Gen.Choose(-2, 2)
            select Apply(payload, copy =>
            {
                int value = ((copy[i] << 8) | copy[i + 1]) + d;
                copy[i] = (byte)(value >> 8);
                copy[i + 1] = (byte)value;
            });

        Gen<byte[]> truncate = Gen.Choose(0, payload.Length - 1).Select(n => payload[..n]);
        Gen<byte[]> append = Gen.Choose(1, 3).SelectMany(n => Gen.ArrayOf(Byte, n)).Select(extra => (byte[])[.. payload, .. extra]);
        return Gen.Frequency((5, setBytes), (3, nudge), (1, truncate), (1, append));
    }

    private static byte[] Apply(byte[] payload, Action<byte[]> edit)
    {
        byte[] copy = payload.ToArray();
        edit(copy);
        return copy;
    }

    public static Arbitrary<MutatedSample> MutatedArbitrary() => Arb.From(
        from message in Message
        from payload in Mutate(message.Payload())
        from chunks in ChunkSizes
        select new MutatedSample(message, payload, chunks));
}
