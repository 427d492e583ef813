using System.Buffers;
using System.Buffers.Binary;

namespace EchoHost.Protocol;

/// <summary>One metadata entry of a parsed message: slices of the payload.</summary>
public readonly record struct MetadataEntry(ReadOnlySequence<byte> Key, ReadOnlySequence<byte> Value);

/// <summary>
/// The metadata of a parsed message: the entries' encoded bytes (without MetadataCount), already validated by
/// <see cref="Message.TryParse"/>, read when enumerated.
/// </summary>
/// <remarks>
/// Built by hand from bytes that were not validated, reading stops quietly at the first entry that does not fit; nothing
/// here throws for any input.
/// </remarks>
public readonly struct MessageMetadata
{
    /// <summary>Metadata of <paramref name="count"/> entries encoded in <paramref name="entries"/> as on the wire.</summary>
    public MessageMetadata(ushort count, ReadOnlySequence<byte> entries)
    {
        Count = count;
        EncodedEntries = entries;
    }

    /// <summary>No entries.</summary>
    public static MessageMetadata Empty => default;

    /// <summary>How many entries there are.</summary>
    public int Count { get; }

    /// <summary>The entries as they are on the wire, after MetadataCount: a writer can pass them on unchanged.</summary>
    public ReadOnlySequence<byte> EncodedEntries { get; }

    /// <summary>The value of <paramref name="utf8Key"/>, if the metadata has that key.</summary>
    public bool TryGetValue(ReadOnlySpan<byte> utf8Key, out ReadOnlySequence<byte> value)
    {
        if (Count != 0 && EncodedEntries.IsSingleSegment)
        {
            // Fast path: walk the span, slice the sequence only for the value found.
            ReadOnlySpan<byte> span = EncodedEntries.FirstSpan;
            int position = 0;
            for (int i = 0; i < Count; i++)
            {
                if (span.Length - position < 4)
                {
                    break;
                }

                int keyLength = BinaryPrimitives.ReadUInt16BigEndian(span.Slice(position));
                int keyStart = position + 2;
                if (keyLength + 2 > span.Length - keyStart)
                {
                    break;
                }

                int valueLength = BinaryPrimitives.ReadUInt16BigEndian(span.Slice(keyStart + keyLength));
                int valueStart = keyStart + keyLength + 2;
                if (valueLength > span.Length - valueStart)
                {
                    break;
                }

                if (span.Slice(keyStart, keyLength).SequenceEqual(utf8Key))
                {
                    value = EncodedEntries.Slice(valueStart, valueLength);
                    return true;
                }

                position = valueStart + valueLength;
            }

            value = default;
            return false;
        }

        foreach (MetadataEntry entry in this)
        {
            if (MetadataCodec.SequenceEquals(entry.Key, utf8Key))
            {
                value = entry.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>The entries in wire order, read one after another without allocating.</summary>
    public Enumerator GetEnumerator() => new(this);

    /// <summary>Reads the entries one after another; allocates nothing.</summary>
    public struct Enumerator
    {
        private readonly MessageMetadata _metadata;

        // The entries not read yet, and how many were read.
        private ReadOnlySequence<byte> _rest;
        private int _read;

        internal Enumerator(MessageMetadata metadata)
        {
            _metadata = metadata;
            _rest = metadata.EncodedEntries;
            _read = 0;
            Current = default;
        }

        /// <summary>The entry the last <see cref="MoveNext"/> read.</summary>
        public MetadataEntry Current { get; private set; }

        /// <summary>Reads the next entry into <see cref="Current"/>; false when every entry has been read.</summary>
        public bool MoveNext()
        {
            if (_read >= _metadata.Count)
            {
                return false;
            }

            ReadOnlySequence<byte> rest = _rest;
            if (!MetadataCodec.TryReadUInt16(rest, 0, out ushort keyLength)
                || !MetadataCodec.TryReadUInt16(rest, 2L + keyLength, out ushort valueLength)
                || rest.Length - (4L + keyLength) < valueLength)
            {
                // Only possible for metadata built by hand from bad bytes: stop rather than throw.
                _read = _metadata.Count;
                Current = default;
                return false;
            }

            ReadOnlySequence<byte> key = rest.Slice(2, keyLength);
            ReadOnlySequence<byte> value = rest.Slice(4L + keyLength, valueLength);
            Current = new MetadataEntry(key, value);
            _rest = rest.Slice(value.End);
            _read++;
            return true;
        }
    }
}

/// <summary>A metadata entry to write: a key (UTF-8 on the wire, 1 to 65535 bytes) and a value (0 to 65535 bytes).</summary>
public readonly record struct MetadataItem(string Key, ReadOnlyMemory<byte> Value);
