using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Unicode;

namespace EchoHost.Protocol;

/// <summary>
/// Validation of a message's encoded metadata entries (after MetadataCount), over one contiguous span. Every length is
/// checked against what remains before it is used, so no input can make it read out of bounds or throw.
/// </summary>
internal static class MetadataCodec
{
    /// <summary>Up to this many entries, repeated keys are found with a 64-bit fingerprint set (no allocation); beyond, a hash table.</summary>
    internal const int PairwiseLimit = 8;

    /// <summary>The smallest encoded entry: KeyLength (2), a 1-byte key, ValueLength (2).</summary>
    internal const int MinimumEntrySize = 5;

    /// <summary>The largest encoded entry: KeyLength (2), 65535-byte key, ValueLength (2), 65535-byte value.</summary>
    internal const long MaximumEntrySize = 4 + (2 * (long)ushort.MaxValue);

    /// <summary>Below this many encoded bytes a multi-segment metadata region is copied to the stack to be validated.</summary>
    private const int StackCopyLimit = 512;

    /// <summary>
    /// True when <paramref name="entries"/> is exactly <paramref name="count"/> well-formed entries with unique, non-empty,
    /// valid UTF-8 keys. For multi-segment input the region is validated on a contiguous copy: the caller still hands out
    /// slices of the original sequence, and the copy costs no more than the validation's own pass over those bytes.
    /// </summary>
    internal static bool Validate(in ReadOnlySequence<byte> entries, int count)
    {
        if (count == 0)
        {
            return entries.IsEmpty;
        }

        if (entries.IsSingleSegment)
        {
            return Validate(entries.FirstSpan, count);
        }

        long length = entries.Length;
        if (length < (long)count * MinimumEntrySize || length > count * MaximumEntrySize || length > Array.MaxLength)
        {
            return false;
        }

        if (length <= StackCopyLimit)
        {
            Span<byte> copy = stackalloc byte[StackCopyLimit];
            copy = copy.Slice(0, (int)length);
            entries.CopyTo(copy);
            return Validate(copy, count);
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            Span<byte> copy = rented.AsSpan(0, (int)length);
            entries.CopyTo(copy);
            return Validate(copy, count);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    internal static bool Validate(ReadOnlySpan<byte> entries, int count)
    {
        if (count == 0)
        {
            return entries.IsEmpty;
        }

        // Cheap rejection before any work: each entry takes at least 5 bytes.
        if (entries.Length < count * MinimumEntrySize)
        {
            return false;
        }

        return count <= PairwiseLimit ? ValidateFew(entries, count) : ValidateMany(entries, count);
    }

    private static bool ValidateFew(ReadOnlySpan<byte> entries, int count)
    {
        // One bit per (length, first byte, last byte) fingerprint: keys are compared only when a fingerprint repeats,
        // which for distinct keys is rare, so the usual message costs no comparisons at all.
        ulong seen = 0;
        int position = 0;
        for (int i = 0; i < count; i++)
        {
            if (!TryReadEntry(entries, ref position, out int keyStart, out int keyLength))
            {
                return false;
            }

            ReadOnlySpan<byte> key = entries.Slice(keyStart, keyLength);
            ulong bit = 1UL << (((keyLength * 7) + (key[0] * 3) + key[keyLength - 1]) & 63);
            if ((seen & bit) != 0 && IsEarlierKey(entries, i, key))
            {
                return false;
            }

            seen |= bit;
        }

        return position == entries.Length;
    }

    /// <summary>
    /// True when one of the first <paramref name="before"/> entries (already validated) has <paramref name="key"/>: found
    /// again by walking them, cheaper for a few entries than keeping their offsets.
    /// </summary>
    private static bool IsEarlierKey(ReadOnlySpan<byte> entries, int before, ReadOnlySpan<byte> key)
    {
        int position = 0;
        for (int j = 0; j < before; j++)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(entries.Slice(position));
            if (length == key.Length && key.SequenceEqual(entries.Slice(position + 2, length)))
            {
                return true;
            }

            position += 4 + length + BinaryPrimitives.ReadUInt16BigEndian(entries.Slice(position + 2 + length));
        }

        return false;
    }

    /// <summary>
    /// Many entries: an open-addressing table of key offsets, so that 65,535 hostile entries cost linear time. The hash is
    /// <see cref="HashCode"/>, seeded per process, so a peer cannot choose keys that collide.
    /// </summary>
    private static bool ValidateMany(ReadOnlySpan<byte> entries, int count)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)count * 2);
        int mask = size - 1;
        int[] table = ArrayPool<int>.Shared.Rent(size);
        try
        {
            Span<int> slots = table.AsSpan(0, size);
            slots.Clear();
            int position = 0;
            for (int i = 0; i < count; i++)
            {
                if (!TryReadEntry(entries, ref position, out int keyStart, out int keyLength))
                {
                    return false;
                }

                ReadOnlySpan<byte> key = entries.Slice(keyStart, keyLength);
                HashCode hash = default;
                hash.AddBytes(key);
                int index = hash.ToHashCode() & mask;
                while (slots[index] != 0)
                {
                    // A slot holds the key's start + 1 (0 is empty); its length is in the 2 bytes before it.
                    int otherStart = slots[index] - 1;
                    int otherLength = BinaryPrimitives.ReadUInt16BigEndian(entries.Slice(otherStart - 2));
                    if (otherLength == keyLength && key.SequenceEqual(entries.Slice(otherStart, otherLength)))
                    {
                        return false;
                    }

                    index = (index + 1) & mask;
                }

                slots[index] = keyStart + 1;
            }

            return position == entries.Length;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(table);
        }
    }

    /// <summary>Reads one entry at <paramref name="position"/> and moves past it; false if it is malformed or truncated.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryReadEntry(ReadOnlySpan<byte> entries, ref int position, out int keyStart, out int keyLength)
    {
        int remaining = entries.Length - position;
        keyStart = position + 2;
        keyLength = 0;
        if (remaining < MinimumEntrySize)
        {
            return false;
        }

        keyLength = BinaryPrimitives.ReadUInt16BigEndian(entries.Slice(position));

        // Key and ValueLength must fit in what follows KeyLength; ints cannot overflow (both terms are < 2^17).
        if (keyLength == 0 || keyLength + 2 > remaining - 2)
        {
            return false;
        }

        if (!IsValidUtf8(entries.Slice(keyStart, keyLength)))
        {
            return false;
        }

        int valueLengthAt = keyStart + keyLength;
        int valueLength = BinaryPrimitives.ReadUInt16BigEndian(entries.Slice(valueLengthAt));
        int valueStart = valueLengthAt + 2;
        if (valueLength > entries.Length - valueStart)
        {
            return false;
        }

        position = valueStart + valueLength;
        return true;
    }

    /// <summary>
    /// UTF-8 validation with a shortcut for short ASCII keys (most keys), where the vectorised validator's fixed cost
    /// would dominate.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsValidUtf8(ReadOnlySpan<byte> key)
    {
        const ulong HighBits = 0x8080_8080_8080_8080;
        ulong any;
        if (key.Length >= 8 && key.Length <= 16)
        {
            // Two overlapping 8-byte reads cover the key.
            any = MemoryMarshal.Read<ulong>(key) | MemoryMarshal.Read<ulong>(key.Slice(key.Length - 8));
        }
        else if (key.Length >= 4 && key.Length < 8)
        {
            any = MemoryMarshal.Read<uint>(key) | MemoryMarshal.Read<uint>(key.Slice(key.Length - 4));
        }
        else if (key.Length < 4)
        {
            any = 0;
            foreach (byte b in key)
            {
                any |= b;
            }
        }
        else
        {
            return Utf8.IsValid(key);
        }

        return (any & HighBits) == 0 || Utf8.IsValid(key);
    }

    /// <summary>Reads a big-endian UInt16 at <paramref name="offset"/> of a sequence; false if it runs past the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryReadUInt16(in ReadOnlySequence<byte> sequence, long offset, out ushort value)
    {
        ReadOnlySpan<byte> first = sequence.FirstSpan;
        if ((ulong)offset + 2 <= (ulong)first.Length)
        {
            value = BinaryPrimitives.ReadUInt16BigEndian(first.Slice((int)offset));
            return true;
        }

        return TryReadUInt16Slow(sequence, offset, out value);
    }

    private static bool TryReadUInt16Slow(in ReadOnlySequence<byte> sequence, long offset, out ushort value)
    {
        if (offset < 0 || sequence.Length - offset < 2)
        {
            value = 0;
            return false;
        }

        Span<byte> bytes = stackalloc byte[2];
        sequence.Slice(offset, 2).CopyTo(bytes);
        value = BinaryPrimitives.ReadUInt16BigEndian(bytes);
        return true;
    }

    /// <summary>True when <paramref name="sequence"/> holds exactly the bytes of <paramref name="span"/>.</summary>
    internal static bool SequenceEquals(in ReadOnlySequence<byte> sequence, ReadOnlySpan<byte> span)
    {
        if (sequence.Length != span.Length)
        {
            return false;
        }

        if (sequence.IsSingleSegment)
        {
            return sequence.FirstSpan.SequenceEqual(span);
        }

        foreach (ReadOnlyMemory<byte> segment in sequence)
        {
            ReadOnlySpan<byte> part = segment.Span;
            if (!part.SequenceEqual(span.Slice(0, part.Length)))
            {
                return false;
            }

            span = span.Slice(part.Length);
        }

        return true;
    }
}
