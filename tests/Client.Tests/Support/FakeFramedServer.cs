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
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentBag<FakeConnection> _connections = [];
    private Task _accepting = Task.CompletedTask;
    private int _accepted;
    private int _requests;

    /// <summary>
    /// Binds to loopback, on <paramref name="port"/> or (0) any free port, and listens unless <paramref name="listen"/>
    /// is false: then its port is held but refuses connections until <see cref="Listen"/>.
    /// </summary>
    public FakeFramedServer(int port = 0, bool listen = true)
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        if (listen)
        {
            Listen();
        }
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Requests read so far, on all connections.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Closes the listening socket, so that new connections are refused; those open stay.</summary>
    public void StopListening() => _listener.Dispose();

    /// <summary>Starts accepting connections.</summary>
    public void Listen()
    {
        _listener.Listen();
        _accepting = AcceptLoopAsync();
    }

    /// <summary>Called for every request, on the connection's reading task; the default echoes it.</summary>
    public Action<FakeRequest> OnRequest { get; set; } = request => request.Connection.Respond(request.Id, request.Type, request.Data);

    /// <summary>The payload of the Pong that answers a Ping's, or null for no Pong (yet); the default echoes it, as a server must.</summary>
    public Func<byte[], byte[]?> OnPing { get; set; } = payload => payload;

    /// <summary>Completes with each connection the server accepts, in order.</summary>
    public Channel<FakeConnection> Connections { get; } = Channel.CreateUnbounded<FakeConnection>();

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
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
            var socket = await _listener.AcceptAsync(_stopping.Token);
            Interlocked.Increment(ref _accepted);
            var connection = new FakeConnection(socket, this);
            _connections.Add(connection);
            Connections.Writer.TryWrite(connection);
            _ = connection.RunAsync();
        }
    }

    internal void Dispatch(FakeRequest request)
    {
        Interlocked.Increment(ref _requests);
        OnRequest(request);
    }
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
