using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EchoHost.Protocol;

namespace EchoHost.Tests.Support;

/// <summary>A frame as the test client received it, with its message parsed when it carries one.</summary>
internal sealed class ReceivedFrame
{
    public ReceivedFrame(byte kind, byte[] payload)
    {
        RawKind = kind;
        Payload = payload;
        if (kind is (byte)FrameKind.Response or (byte)FrameKind.Error)
        {
            Assert.True(Message.TryParse(new ReadOnlySequence<byte>(payload), out var message), "the server sent a malformed message");
            Id = message.Id;
            Type = message.Type;
            Data = message.Data.ToArray();
            foreach (var entry in message.Metadata)
            {
                Metadata.Add(Encoding.UTF8.GetString(entry.Key.ToArray()), entry.Value.ToArray());
            }
        }
    }

    public byte RawKind { get; }

    public FrameKind Kind => (FrameKind)RawKind;

    public byte[] Payload { get; }

    public ulong Id { get; }

    public byte Type { get; }

    public byte[] Data { get; } = [];

    public Dictionary<string, byte[]> Metadata { get; } = new(StringComparer.Ordinal);

    public string Text => Encoding.UTF8.GetString(Data);

    /// <summary>The Error's code, or null for a frame that is not an Error.</summary>
    public string? Code => Kind == FrameKind.Error && Metadata.TryGetValue(ErrorCodes.MetadataKey, out var code) ? Encoding.ASCII.GetString(code) : null;

    public override string ToString() => Kind switch
    {
        FrameKind.Error => $"Error {Code} (Id {Id}, Type 0x{Type:X2}): {Text}",
        FrameKind.Response => $"Response (Id {Id}, Type 0x{Type:X2}, {Data.Length} bytes)",
        _ => $"{Kind} ({Payload.Length} bytes)",
    };
}

/// <summary>
/// The client's side of the framed protocol for tests, over a real socket: frames are built with the codec's
/// <see cref="FrameWriter"/> (or by hand, for the malformed ones) and read back with its <see cref="FrameReader"/>.
/// Timeouts (those of <see cref="Loopback"/>) only catch hangs.
/// </summary>
internal sealed class FramedTestClient : IDisposable
{
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private FramedTestClient(Socket socket)
    {
        Socket = socket;
    }

    public Socket Socket { get; }

    public static async Task<FramedTestClient> ConnectAsync(EndPoint endPoint, IPAddress? from = null) => new(await Loopback.ConnectAsync(endPoint, from));

    /// <summary>A Request frame's bytes.</summary>
    public static byte[] Request(ulong id, byte type, ReadOnlySpan<byte> data, params MetadataItem[] metadata)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteMessage(writer, FrameKind.Request, id, type, data, metadata);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>A frame written by hand: any Kind, Flags and Reserved, and a Length that may lie.</summary>
    public static byte[] Frame(byte kind, ReadOnlySpan<byte> payload, byte flags = 0, ushort reserved = 0, uint? length = null)
    {
        var bytes = new byte[EchoHost.Protocol.Frame.HeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, length ?? (uint)payload.Length);
        bytes[4] = kind;
        bytes[5] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(6), reserved);
        payload.CopyTo(bytes.AsSpan(EchoHost.Protocol.Frame.HeaderSize));
        return bytes;
    }

    /// <summary>A message's bytes (a Request's payload) written by hand, metadata entries as (key, value) byte pairs.</summary>
    public static byte[] MessageBytes(ulong id, byte type, ReadOnlySpan<byte> data, params (byte[] Key, byte[] Value)[] metadata)
    {
        using var stream = new MemoryStream();
        Span<byte> fixedPart = stackalloc byte[13];
        BinaryPrimitives.WriteUInt64BigEndian(fixedPart, id);
        fixedPart[8] = type;
        BinaryPrimitives.WriteUInt32BigEndian(fixedPart[9..], (uint)data.Length);
        stream.Write(fixedPart);
        stream.Write(data);
        Span<byte> u16 = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(u16, (ushort)metadata.Length);
        stream.Write(u16);
        foreach (var (key, value) in metadata)
        {
            BinaryPrimitives.WriteUInt16BigEndian(u16, (ushort)key.Length);
            stream.Write(u16);
            stream.Write(key);
            BinaryPrimitives.WriteUInt16BigEndian(u16, (ushort)value.Length);
            stream.Write(u16);
            stream.Write(value);
        }

        return stream.ToArray();
    }

    public Task SendAsync(ReadOnlyMemory<byte> bytes) => Loopback.SendAllAsync(Socket, bytes);

    public Task SendAsync(byte[] bytes) => Loopback.SendAllAsync(Socket, bytes);

    public Task SendRequestAsync(ulong id, byte type, ReadOnlySpan<byte> data, params MetadataItem[] metadata) =>
        SendAsync(Request(id, type, data, metadata));

    /// <summary>Sends one request and reads the next frame: for a connection with nothing else in flight.</summary>
    public async Task<ReceivedFrame> CallAsync(ulong id, byte type, byte[] data, params MetadataItem[] metadata)
    {
        await SendRequestAsync(id, type, data, metadata);
        return await ReadFrameAsync();
    }

    /// <summary>Reads the next frame; fails if the server closes the connection first.</summary>
    public async Task<ReceivedFrame> ReadFrameAsync() =>
        await TryReadFrameAsync() ?? throw new EndOfStreamException("The server closed the connection where a frame was expected.");

    /// <summary>Reads the next frame, or null when the server closes the connection at a frame boundary.</summary>
    public async Task<ReceivedFrame?> TryReadFrameAsync()
    {
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        while (true)
        {
            var input = new ReadOnlySequence<byte>(_buffer, _start, _end - _start);
            if (FrameReader.TryRead(input, int.MaxValue, out var frame, out var consumed, out _) == FrameReadStatus.Complete)
            {
                var received = new ReceivedFrame(frame.RawKind, frame.Payload.ToArray());
                _start += (int)input.Slice(0, consumed).Length;
                return received;
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            var read = await Socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                Assert.True(_end == _start, $"The server closed the connection inside a frame ({_end - _start} bytes of it received).");
                return null;
            }

            _end += read;
        }
    }

    /// <summary>Reads frames until the server closes the connection (FIN or reset); returns them.</summary>
    public async Task<List<ReceivedFrame>> ReadUntilClosedAsync()
    {
        var frames = new List<ReceivedFrame>();
        try
        {
            while (await TryReadFrameAsync() is { } frame)
            {
                frames.Add(frame);
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // A server that closes with unread input sends a reset; everything before it has been read.
        }

        return frames;
    }

    public void Dispose() => Socket.Dispose();
}
