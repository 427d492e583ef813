using System.Buffers;

namespace EchoHost.Protocol;

/// <summary>Reads frames from a byte stream without copying.</summary>
public static class FrameReader
{
    /// <summary>
    /// Reads the frame at the start of <paramref name="input"/>. On <see cref="FrameReadStatus.Complete"/>,
    /// <paramref name="consumed"/> is the position after the frame; otherwise it is the start of the input.
    /// <paramref name="examined"/> is how far the reader looked (the end of the input when more data is needed).
    /// Never throws for any input.
    /// </summary>
    public static FrameReadStatus TryRead(in ReadOnlySequence<byte> input, int maxFrameBytes, out Frame frame, out SequencePosition consumed, out SequencePosition examined)
        => throw new NotImplementedException();
}
