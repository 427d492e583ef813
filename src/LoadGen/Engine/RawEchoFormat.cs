namespace EchoHost.LoadGen.Engine;

/// <summary>Raw echo: a message is <see cref="MessageFormat.Size"/> bytes of the connection's pattern, echoed as they are.</summary>
internal sealed class RawEchoFormat(int size) : MessageFormat(size)
{
    public override int WireSize => Size;

    public override long MaxInFlight => long.MaxValue;

    public override ReadOnlySpan<byte> Outgoing(Connection connection, long sequence) => Pattern.Message(connection.Pattern, sequence, Size);

    public override Span<byte> ReceiveBuffer(Connection connection, Worker worker) => worker.Scratch;

    /// <summary>Compares the bytes, as they come, with the messages sent, in order.</summary>
    public override void Received(Connection connection, Worker worker, int count)
    {
        ReadOnlySpan<byte> received = worker.Scratch.AsSpan(0, count);
        while (!received.IsEmpty)
        {
            if (connection.Received >= connection.Sent + (connection.SendOffset > 0 ? 1 : 0))
            {
                worker.Fail(connection, ErrorKind.Unexpected, "more bytes came back than were sent");
                return;
            }

            var expected = Pattern.Message(connection.Pattern, connection.Received, Size).Slice(connection.ReceiveOffset);
            var length = Math.Min(expected.Length, received.Length);
            if (!received.Slice(0, length).SequenceEqual(expected.Slice(0, length)))
            {
                worker.Fail(connection, ErrorKind.Mismatch, Describe(connection, received.Slice(0, length), expected));
                return;
            }

            received = received.Slice(length);
            connection.ReceiveOffset += length;
            if (connection.ReceiveOffset == Size)
            {
                connection.ReceiveOffset = 0;
                var sequence = connection.Received++;
                worker.Completed(connection, sequence);
                if (connection.State != ConnectionState.Open)
                {
                    return;
                }
            }
        }
    }

    private static string Describe(Connection connection, ReadOnlySpan<byte> got, ReadOnlySpan<byte> expected)
    {
        var at = got.CommonPrefixLength(expected);
        return $"connection {connection.Number}, message {connection.Received}: byte {connection.ReceiveOffset + at} is 0x{got[at]:x2}, expected 0x{expected[at]:x2}";
    }
}
