using System.Buffers;

namespace EchoHost.Protocol;

/// <summary>One metadata entry of a parsed message: slices of the payload.</summary>
public readonly record struct MetadataEntry(ReadOnlySequence<byte> Key, ReadOnlySequence<byte> Value);

/// <summary>
/// The metadata of a parsed message: the entries' encoded bytes (without MetadataCount), already validated by
/// <see cref="Message.TryParse"/>, read when enumerated.
/// </summary>
public readonly struct MessageMetadata
{
    public MessageMetadata(ushort count, ReadOnlySequence<byte> entries)
    {
        Count = count;
        EncodedEntries = entries;
    }

    /// <summary>No entries.</summary>
    public static MessageMetadata Empty => default;

    public int Count { get; }

    /// <summary>The entries as they are on the wire, after MetadataCount: a writer can pass them on unchanged.</summary>
    public ReadOnlySequence<byte> EncodedEntries { get; }

    /// <summary>The value of <paramref name="utf8Key"/>, if the metadata has that key.</summary>
    public bool TryGetValue(ReadOnlySpan<byte> utf8Key, out ReadOnlySequence<byte> value) => throw new NotImplementedException();

    public Enumerator GetEnumerator() => new(this);

    /// <summary>Reads the entries one after another; allocates nothing.</summary>
    public struct Enumerator
    {
        private readonly MessageMetadata _metadata;

        internal Enumerator(MessageMetadata metadata)
        {
            _metadata = metadata;
            Current = default;
        }

        public MetadataEntry Current { get; private set; }

        public bool MoveNext() => throw new NotImplementedException();
    }
}

/// <summary>A metadata entry to write: a key (UTF-8 on the wire, 1 to 65535 bytes) and a value (0 to 65535 bytes).</summary>
public readonly record struct MetadataItem(string Key, ReadOnlyMemory<byte> Value);
