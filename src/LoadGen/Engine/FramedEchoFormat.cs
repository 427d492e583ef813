using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using EchoHost.Protocol;

namespace EchoHost.LoadGen.Engine;

/// <summary>
/// Framed Echo (docs/protocol.md): message <c>n</c> is a Request frame with Id <c>n + 1</c>, Type Echo, the pattern's bytes
/// as Data and no metadata, written and read with the protocol's codec. An answer must be a Response with an Id in
/// flight, Type Echo, the same Data and no metadata; answers may come in any order within the window of
/// <see cref="Window"/> messages in flight. <paramref name="mixed"/> (the soak) cycles the built-in handlers instead:
/// Echo, Reverse, Uppercase (of lower-case ASCII letters made from the pattern), Echo, Stats (no Data; its answer must
/// be a JSON object with the protocol's fields), each answer checked against what that handler must give.
/// </summary>
internal sealed class FramedEchoFormat(int size, bool mixed = false) : MessageFormat(size)
{
    /// <summary>Messages a connection may have unanswered: the width of its answer bitmap.</summary>
    public const int Window = 4096;

    private static readonly byte[] s_mix = [MessageTypes.Echo, MessageTypes.Reverse, MessageTypes.Uppercase, MessageTypes.Echo, MessageTypes.Stats];

    private static readonly string[] s_statsFields = ["activeConnections", "totalConnections", "messagesHandled", "errors", "bytesReceived", "bytesSent", "uptimeSeconds"];

    public override int WireSize { get; } = (int)FrameWriter.MessageFrameLength(size, 0);

    public override long MaxInFlight => Window;

    public override void Attach(Connection connection) =>
        connection.Framed = new FramedConnectionState(WireSize, Math.Max(4 * WireSize, 16 * 1024), mixed ? Size : 0);

    public override ReadOnlySpan<byte> Outgoing(Connection connection, long sequence)
    {
        var state = connection.Framed!;
        if (connection.SendOffset == 0)
        {
            state.Out.Reset();
            var type = TypeOf(sequence);
            FrameWriter.WriteMessage(state.Out, FrameKind.Request, (ulong)sequence + 1, type, RequestData(connection, sequence, type), ReadOnlySpan<MetadataItem>.Empty);
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

        var type = TypeOf(sequence);
        if (message.Type != type || message.Metadata.Count != 0 || !IsAnswer(connection, sequence, type, message.Data))
        {
            worker.Fail(connection, ErrorKind.Mismatch, $"connection {connection.Number}: the response to Id {message.Id} is not its request's {(type == MessageTypes.Echo ? "echo" : $"answer (type 0x{type:x2})")}");
            return false;
        }

        connection.Received = state.AdvancePast(connection.Received);
        worker.Completed(connection, sequence);
        return connection.State == ConnectionState.Open;
    }

    private byte TypeOf(long sequence) => mixed ? s_mix[sequence % s_mix.Length] : MessageTypes.Echo;

    private ReadOnlySpan<byte> RequestData(Connection connection, long sequence, byte type)
    {
        var pattern = Pattern.Message(connection.Pattern, sequence, Size);
        switch (type)
        {
            case MessageTypes.Stats:
                return [];
            case MessageTypes.Uppercase:
                var letters = connection.Framed!.Scratch.AsSpan(0, Size);
                for (var i = 0; i < letters.Length; i++)
                {
                    letters[i] = (byte)('a' + (pattern[i] % 26));
                }

                return letters;
            default:
                return pattern;
        }
    }

    /// <summary>Whether <paramref name="data"/> is what handler <paramref name="type"/> answers to message <paramref name="sequence"/>.</summary>
    private bool IsAnswer(Connection connection, long sequence, byte type, in ReadOnlySequence<byte> data)
    {
        if (type == MessageTypes.Stats)
        {
            return IsStats(data);
        }

        var pattern = Pattern.Message(connection.Pattern, sequence, Size);
        if (data.Length != Size)
        {
            return false;
        }

        if (type == MessageTypes.Echo)
        {
            return data.FirstSpan.SequenceEqual(pattern);
        }

        var expected = connection.Framed!.Scratch.AsSpan(0, Size);
        if (type == MessageTypes.Uppercase)
        {
            for (var i = 0; i < expected.Length; i++)
            {
                expected[i] = (byte)('A' + (pattern[i] % 26));
            }
        }
        else
        {
            Reverse(pattern, expected);
        }

        return data.FirstSpan.SequenceEqual(expected);
    }

    /// <summary>Reverse's answer: the Unicode scalar values reversed when the bytes are UTF-8, else the bytes.</summary>
    private static void Reverse(ReadOnlySpan<byte> data, Span<byte> into)
    {
        if (!Utf8.IsValid(data))
        {
            data.CopyTo(into);
            into.Slice(0, data.Length).Reverse();
            return;
        }

        var written = 0;
        while (!data.IsEmpty)
        {
            Rune.DecodeLastFromUtf8(data, out var rune, out var length);
            rune.EncodeToUtf8(into.Slice(written));
            written += length;
            data = data.Slice(0, data.Length - length);
        }
    }

    /// <summary>Stats' answer: one JSON object that has each of the protocol's integer fields.</summary>
    private static bool IsStats(in ReadOnlySequence<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        var found = 0;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = -1;
                for (var i = 0; i < s_statsFields.Length && field < 0; i++)
                {
                    field = reader.ValueTextEquals(s_statsFields[i]) ? i : -1;
                }

                if (!reader.Read())
                {
                    return false;
                }

                if (field >= 0)
                {
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out _))
                    {
                        return false;
                    }

                    found |= 1 << field;
                }

                reader.Skip();
            }

            return reader.TokenType == JsonTokenType.EndObject && found == (1 << s_statsFields.Length) - 1;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>A framed connection's outgoing frame, incoming bytes, and which messages in its window were answered.</summary>
internal sealed class FramedConnectionState(int frameSize, int receiveSize, int scratchSize)
{
    private readonly ulong[] _answered = new ulong[FramedEchoFormat.Window / 64];

    public FixedBufferWriter Out { get; } = new(frameSize);

    public byte[] In { get; } = new byte[receiveSize];

    public int InLength { get; set; }

    /// <summary>Mixed handlers: where a request's Data or an expected answer is made.</summary>
    public byte[] Scratch { get; } = new byte[scratchSize];

    /// <summary>Forgets the bytes and answers of a connection that ended, for its next connect.</summary>
    public void Clear()
    {
        InLength = 0;
        Array.Clear(_answered);
    }

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
