using System.Buffers;
using EchoHost.Protocol;

namespace EchoHost.LoadGen.Engine;

/// <summary>
/// Framed Echo (PROTOCOL.md): message <c>n</c> is a Request frame with Id <c>n + 1</c>, Type Echo, the pattern's bytes
/// as Data and no metadata, written and read with the protocol's codec. An answer must be a Response with an Id in
/// flight, Type Echo, the same Data and no metadata; answers may come in any order within the window of
/// <see cref="Window"/> messages in flight.
/// </summary>
internal sealed class FramedEchoFormat(int size) : MessageFormat(size)
{
    /// <summary>Messages a connection may have unanswered: the width of its answer bitmap.</summary>
    public const int Window = 4096;

    public override int WireSize { get; } = (int)FrameWriter.MessageFrameLength(size, 0);

    public override long MaxInFlight => Window;

    public override void Attach(Connection connection) =>
        connection.Framed = new FramedConnectionState(WireSize, Math.Max(4 * WireSize, 16 * 1024));

    public override ReadOnlySpan<byte> Outgoing(Connection connection, long sequence)
    {
        var state = connection.Framed!;
        if (connection.SendOffset == 0)
        {
            state.Out.Reset();
            FrameWriter.WriteMessage(state.Out, FrameKind.Request, (ulong)sequence + 1, MessageTypes.Echo, Pattern.Message(connection.Pattern, sequence, Size), ReadOnlySpan<MetadataItem>.Empty);
        }

        return state.Out.Written;
    }

    public override Span<byte> ReceiveBuffer(Connection connection, Worker worker)
    {
        var state = connection.Framed!;
        return state.In.AsSpan(state.InLength);
    }

    public override void Received(Connection connection, Worker worker, int count)
    {
        var state = connection.Framed!;
        state.InLength += count;
        var consumedTotal = 0;
        while (connection.State == ConnectionState.Open)
        {
            var input = new ReadOnlySequence<byte>(state.In, consumedTotal, state.InLength - consumedTotal);
            var status = FrameReader.TryRead(input, state.In.Length, out var frame, out var consumed, out _);
            if (status == FrameReadStatus.NeedMoreData)
            {
                break;
            }

            if (status != FrameReadStatus.Complete)
            {
                worker.Fail(connection, ErrorKind.Unexpected, $"connection {connection.Number}: a frame larger than any answer ({frame.Kind})");
                return;
            }

            consumedTotal += (int)input.Slice(0, consumed).Length;
            if (!Verify(connection, worker, frame))
            {
                return;
            }
        }

        if (consumedTotal > 0 && connection.State == ConnectionState.Open)
        {
            state.In.AsSpan(consumedTotal, state.InLength - consumedTotal).CopyTo(state.In);
            state.InLength -= consumedTotal;
        }
    }

    private bool Verify(Connection connection, Worker worker, in Frame frame)
    {
        if (frame.Kind != FrameKind.Response || !frame.HasValidHeader || !Message.TryParse(frame.Payload, out var message))
        {
            worker.Fail(connection, ErrorKind.Unexpected, $"connection {connection.Number}: a {frame.Kind} frame where an Echo response was expected");
            return false;
        }

        var sequence = (long)message.Id - 1;
        var state = connection.Framed!;
        if (sequence < connection.Received || sequence >= connection.Sent || !state.MarkAnswered(sequence))
        {
            worker.Fail(connection, ErrorKind.Unexpected, $"connection {connection.Number}: a response to Id {message.Id}, which is not in flight");
            return false;
        }

        if (message.Type != MessageTypes.Echo || message.Metadata.Count != 0 || !message.Data.FirstSpan.SequenceEqual(Pattern.Message(connection.Pattern, sequence, Size)) || message.Data.Length != Size)
        {
            worker.Fail(connection, ErrorKind.Mismatch, $"connection {connection.Number}: the response to Id {message.Id} is not its request's echo");
            return false;
        }

        connection.Received = state.AdvancePast(connection.Received);
        worker.Completed(connection, sequence);
        return connection.State == ConnectionState.Open;
    }
}

/// <summary>A framed connection's outgoing frame, incoming bytes, and which messages in its window were answered.</summary>
internal sealed class FramedConnectionState(int frameSize, int receiveSize)
{
    private readonly ulong[] _answered = new ulong[FramedEchoFormat.Window / 64];

    public FixedBufferWriter Out { get; } = new(frameSize);

    public byte[] In { get; } = new byte[receiveSize];

    public int InLength { get; set; }

    /// <summary>Marks <paramref name="sequence"/> answered; false when it already was.</summary>
    public bool MarkAnswered(long sequence)
    {
        var bit = (int)(sequence % FramedEchoFormat.Window);
        var mask = 1UL << (bit & 63);
        ref var word = ref _answered[bit >> 6];
        if ((word & mask) != 0)
        {
            return false;
        }

        word |= mask;
        return true;
    }

    /// <summary>Clears the answered messages from <paramref name="lowest"/> on; returns the first one not answered.</summary>
    public long AdvancePast(long lowest)
    {
        while (true)
        {
            var bit = (int)(lowest % FramedEchoFormat.Window);
            var mask = 1UL << (bit & 63);
            ref var word = ref _answered[bit >> 6];
            if ((word & mask) == 0)
            {
                return lowest;
            }

            word &= ~mask;
            lowest++;
        }
    }
}
