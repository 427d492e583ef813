using System.Buffers;

namespace EchoHost.Protocol;

/// <summary>
/// One frame as read off the wire: its header fields and its payload, a slice of the input (nothing is copied).
/// The header is checked only for its length; whether the kind is one the reader may receive, and whether Flags and
/// Reserved are 0, is the reader's to decide (see <see cref="HasValidHeader"/>).
/// </summary>
public readonly struct Frame
{
    /// <summary>Bytes of the header: Length (4), Kind (1), Flags (1), Reserved (2).</summary>
    public const int HeaderSize = 8;

    /// <summary>The default bound on a payload's length; a payload of exactly this many bytes is valid.</summary>
    public const int DefaultMaxFrameBytes = 1_048_576;

    /// <summary>A frame of Kind byte <paramref name="kind"/>, with its header's Flags and Reserved and its payload.</summary>
    public Frame(byte kind, byte flags, ushort reserved, ReadOnlySequence<byte> payload)
    {
        RawKind = kind;
        Flags = flags;
        Reserved = reserved;
        Payload = payload;
    }

    /// <summary>The Kind byte as sent; see <see cref="Kind"/>.</summary>
    public byte RawKind { get; }

    /// <summary>The Kind byte as a <see cref="FrameKind"/>; a value outside the enumeration is a kind version 1 does not define.</summary>
    public FrameKind Kind => (FrameKind)RawKind;

    /// <summary>The header's Flags byte; 0 in version 1.</summary>
    public byte Flags { get; }

    /// <summary>The header's Reserved field; 0 in version 1.</summary>
    public ushort Reserved { get; }

    /// <summary>The payload: a slice of the input, valid until the input is advanced past it.</summary>
    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>True when Flags and Reserved are 0, as version 1 requires.</summary>
    public bool HasValidHeader => Flags == 0 && Reserved == 0;
}

/// <summary>What <see cref="FrameReader.TryRead"/> found at the start of its input.</summary>
public enum FrameReadStatus
{
    /// <summary>A whole frame: <c>frame</c> and <c>consumed</c> are set.</summary>
    Complete,

    /// <summary>Not a whole frame yet: read more; <c>examined</c> is the end of the input.</summary>
    NeedMoreData,

    /// <summary>The header says Length &gt; maxFrameBytes: the connection cannot go on (<c>frame_too_large</c>).</summary>
    FrameTooLarge,
}
