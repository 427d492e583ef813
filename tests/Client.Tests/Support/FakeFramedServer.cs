using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using EchoHost.Protocol;

namespace EchoHost.Client.Tests.Support;

/// <summary>A request as the fake server read it.</summary>
internal sealed record FakeRequest(FakeConnection Connection, ulong Id, byte Type, byte[] Data);

/// <summary>
/// A framed server of the tests' own, built on the codec, for what the real server cannot be made to do on demand:
/// drop a connection mid-request, send GoAway at a chosen moment, never answer. By default it echoes every request
/// and answers every Ping; <see cref="OnRequest"/> replaces the echo.
/// </summary>
internal sealed class FakeFramedServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentBag<FakeConnection> _connections = [];
    private readonly Task _accepting;
    private int _accepted;

    /// <summary>Listens on loopback, on <paramref name="port"/> or (0) any free port.</summary>
    public FakeFramedServer(int port = 0)
    {
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        _accepting = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Called for every request, on the connection's reading task; the default echoes it.</summary>
    public Action<FakeRequest> OnRequest { get; set; } = request => request.Connection.Respond(request.Id, request.Type, request.Data);

    /// <summary>The payload of the Pong that answers a Ping's, or null for no Pong (yet); the default echoes it, as a server must.</summary>
    public Func<byte[], byte[]?> OnPing { get; set; } = payload => payload;

    /// <summary>Completes with each connection the server accepts, in order.</summary>
    public Channel<FakeConnection> Connections { get; } = Channel.CreateUnbounded<FakeConnection>();

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        foreach (var connection in _connections)
        {
            connection.Abort();
        }

        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stopping.Token);
            Interlocked.Increment(ref _accepted);
            var connection = new FakeConnection(socket, this);
            _connections.Add(connection);
            Connections.Writer.TryWrite(connection);
            _ = connection.RunAsync();
        }
    }

    internal void Dispatch(FakeRequest request) => OnRequest(request);
}

/// <summary>The fake server's side of one connection. Writes are serialized; each method sends one frame at once.</summary>
internal sealed class FakeConnection
{
    private readonly Socket _socket;
    private readonly FakeFramedServer _server;
    private readonly Lock _writing = new();
    private readonly TaskCompletionSource _clientFinished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeConnection(Socket socket, FakeFramedServer server)
    {
        _socket = socket;
        _server = server;
    }

    /// <summary>Completes when the client shuts down its sending side or the connection ends.</summary>
    public Task ClientFinished => _clientFinished.Task;

    public void Respond(ulong id, byte type, ReadOnlySpan<byte> data, params MetadataItem[] metadata)
    {
        var bytes = data.ToArray();
        Send(writer => FrameWriter.WriteMessage(writer, FrameKind.Response, id, type, bytes, metadata));
    }

    public void Error(ulong id, byte type, string code, string text) =>
        Send(writer => FrameWriter.WriteError(writer, id, type, code, text));

    public void GoAway(string reason) =>
        Send(writer => FrameWriter.WriteFrame(writer, FrameKind.GoAway, System.Text.Encoding.UTF8.GetBytes(reason).AsSpan()));

    public void Pong(ReadOnlySpan<byte> payload)
    {
        var bytes = payload.ToArray();
        Send(writer => FrameWriter.WriteFrame(writer, FrameKind.Pong, bytes));
    }

    /// <summary>Closes with a FIN, as a server does after a GoAway.</summary>
    public void Close()
    {
        lock (_writing)
        {
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }

            _socket.Dispose();
        }
    }

    /// <summary>Closes with a reset, as a crashed server would.</summary>
    public void Abort()
    {
        lock (_writing)
        {
            try
            {
                _socket.LingerState = new LingerOption(true, 0);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }

            _socket.Dispose();
        }
    }

    internal async Task RunAsync()
    {
        var input = PipeReader.Create(new NetworkStream(_socket, ownsSocket: false));
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                while (FrameReader.TryRead(buffer, Frame.DefaultMaxFrameBytes, out var frame, out var consumed, out _) == FrameReadStatus.Complete)
                {
                    if (frame.Kind == FrameKind.Ping)
                    {
                        if (_server.OnPing(frame.Payload.ToArray()) is { } pong)
                        {
                            Pong(pong);
                        }
                    }
                    else if (frame.Kind == FrameKind.Request && Message.TryParse(frame.Payload, out var message))
                    {
                        _server.Dispatch(new FakeRequest(this, message.Id, message.Type, message.Data.ToArray()));
                    }

                    buffer = buffer.Slice(consumed);
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            _clientFinished.TrySetResult();
            await input.CompleteAsync();
        }
    }

    private void Send(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        lock (_writing)
        {
            try
            {
                _socket.Send(buffer.WrittenSpan);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // The connection is gone; the test sees that from the client's side.
            }
        }
    }
}
