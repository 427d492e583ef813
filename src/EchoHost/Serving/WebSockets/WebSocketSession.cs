using System.Buffers;
using System.Net.WebSockets;
using EchoHost.Connections;
using Microsoft.AspNetCore.Connections;

namespace EchoHost.Serving.WebSockets;

/// <summary>
/// What every served WebSocket shares, whatever it speaks: its counters in its endpoint's connections, the close it
/// owes (asked by the host's shutdown or by the idle timer, sent once, never during a message being answered), the
/// close handshake and the wait for the client's answer to the server's close.
/// </summary>
internal abstract class WebSocketSession : IDisposable
{
    /// <summary>How long a client may take to answer the server's close before the connection is dropped.</summary>
    protected static readonly TimeSpan CloseAnswerTime = TimeSpan.FromSeconds(5);

    private const int InitialBufferBytes = 4096;

    private readonly Lock _gate = new();
    private readonly ITimer? _idleTimer;
    private long _lastReceived;
    private bool _busy;
    private bool _closeSent;
    private WebSocketCloseStatus _closeStatus;
    private string? _closeDescription;
    private bool _closeRequested;

    // The message being gathered; it grows by doubling, and goes back to the pool when the connection ends.
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);

    protected WebSocketSession(WebSocket webSocket, WebSocketEchoEndpoint endpoint, string connectionId, int maxMessageBytes, ConnectionCounters counters)
    {
        // No watch: the idle timer below is the WebSocket's own, and the limits' sweep knows nothing of messages.
        Live = new LiveConnection(counters, watch: null, requests: null);
        WebSocket = webSocket;
        MaxMessageBytes = maxMessageBytes;
        Endpoint = endpoint;
        ConnectionId = connectionId;
        _lastReceived = endpoint.Time.GetTimestamp();
        if (endpoint.IdleTimeout > TimeSpan.Zero)
        {
            // One timer per WebSocket, firing a few times per IdleTimeout: messages only write a timestamp.
            var period = TimeSpan.FromTicks(Math.Max(endpoint.IdleTimeout.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks));
            _idleTimer = endpoint.Time.CreateTimer(static state => ((WebSocketSession)state!).CheckIdle(), this, period, period);
        }
    }

    protected WebSocket WebSocket { get; }

    protected WebSocketEchoEndpoint Endpoint { get; }

    protected string ConnectionId { get; }

    protected int MaxMessageBytes { get; }

    /// <summary>The buffer messages are gathered in; valid until the next <see cref="ReceiveMessageAsync"/>.</summary>
    protected byte[] Buffer => _buffer;

    /// <summary>This connection as its endpoint's WebSocket connections hold it while it runs.</summary>
    public LiveConnection Live { get; }

    /// <summary>The counters of this connection.</summary>
    public ConnectionCounters Counters => Live.Counters;

    /// <summary>What the server closed with, or answered the client's close with; null if it never got so far.</summary>
    public WebSocketCloseStatus? SentCloseStatus { get; private set; }

    /// <summary>Serves the connection until both sides have closed or the connection is gone.</summary>
    public abstract Task RunAsync();

    /// <summary>The host is stopping: close with 1001 once what was read is answered.</summary>
    public abstract void RequestShutdown();

    public void Dispose()
    {
        _idleTimer?.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>
    /// Receives the next message whole into <see cref="Buffer"/>, growing it: its length, or -1 when it is longer than
    /// <see cref="MaxMessageBytes"/> (the rest is then not read); a Close message has length 0.
    /// </summary>
    protected async ValueTask<(int Length, WebSocketMessageType Type)> ReceiveMessageAsync()
    {
        var result = await WebSocket.ReceiveAsync(_buffer.AsMemory(), CancellationToken.None);
        var type = result.MessageType;
        var length = result.Count;
        if (type != WebSocketMessageType.Close)
        {
            OnReceived(result.Count, first: true);
        }

        while (!result.EndOfMessage)
        {
            if (length > MaxMessageBytes)
            {
                return (-1, type);
            }

            if (length == _buffer.Length)
            {
                Grow(length);
            }

            // At most one byte past the bound is read: enough to know the message is too long. With compression the
            // runtime inflates into this room only, so that a small compressed message cannot take more memory.
            var room = Math.Min(_buffer.Length, MaxMessageBytes + 1) - length;
            result = await WebSocket.ReceiveAsync(_buffer.AsMemory(length, room), CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                // The client closed inside a message: what it began is dropped.
                return (0, WebSocketMessageType.Close);
            }

            length += result.Count;
            OnReceived(result.Count, first: false);
        }

        return (length > MaxMessageBytes ? -1 : length, type);
    }

    /// <summary>
    /// <paramref name="count"/> bytes of a message have arrived (<paramref name="first"/>: its first ones): from then
    /// on the connection is not idle, and a message begun is one that was read.
    /// </summary>
    protected virtual void OnReceived(int count, bool first) => NoteReceived();

    /// <summary>Something has arrived from the client: the connection is not idle.</summary>
    protected void NoteReceived() => Volatile.Write(ref _lastReceived, Endpoint.Time.GetTimestamp());

    /// <summary>The server has gone without a message for <c>IdleTimeout</c>.</summary>
    protected virtual void OnIdle() => RequestClose(WebSocketCloseStatus.NormalClosure, IdleDescription);

    protected const string IdleDescription = "idle timeout";

    /// <summary>A message has begun arriving; false when the server's close has gone out, and the message is not to be answered.</summary>
    protected bool BeginMessage()
    {
        NoteReceived();
        lock (_gate)
        {
            _busy = !_closeSent;
            return _busy;
        }
    }

    /// <summary>The message begun is answered: the close asked for meanwhile goes out now.</summary>
    protected Task EndMessageAsync()
    {
        lock (_gate)
        {
            _busy = false;
            if (!_closeRequested || _closeSent)
            {
                return Task.CompletedTask;
            }

            _closeSent = true;
        }

        return SendCloseAsync(_closeStatus, _closeDescription);
    }

    /// <summary>Closes with <paramref name="status"/> as soon as no message is being answered.</summary>
    protected void RequestClose(WebSocketCloseStatus status, string description)
    {
        lock (_gate)
        {
            if (_closeRequested || _closeSent)
            {
                return;
            }

            _closeRequested = true;
            _closeStatus = status;
            _closeDescription = description;
            if (_busy)
            {
                return;
            }

            _closeSent = true;
        }

        // Sent beside the pending receive (one send and one receive may run at once); the receive loop then waits
        // for the client's answer.
        _ = SendCloseQuietlyAsync(status, description);
    }

    /// <summary>Closes now, for bad input or as the subprotocol ends the conversation; nothing more is answered.</summary>
    protected Task CloseNowAsync(WebSocketCloseStatus status, string description)
    {
        lock (_gate)
        {
            if (_closeSent)
            {
                return Task.CompletedTask;
            }

            _closeSent = true;
        }

        return SendCloseAsync(status, description);
    }

    /// <summary>
    /// The client's close has come (<see cref="WebSocket.CloseStatus"/>): answered with its own status, unless the
    /// server's close went out first, which makes the handshake complete.
    /// </summary>
    protected Task AnswerCloseAsync()
    {
        lock (_gate)
        {
            if (_closeSent)
            {
                return Task.CompletedTask;
            }

            _closeSent = true;
        }

        var status = WebSocket.CloseStatus ?? WebSocketCloseStatus.Empty;
        return SendCloseAsync(status, status == WebSocketCloseStatus.Empty ? null : WebSocket.CloseStatusDescription);
    }

    /// <summary>After the server's close: reads and drops what the client still sends until its close, for a few seconds at most.</summary>
    protected async Task AwaitCloseAnswerAsync(Memory<byte> scratch)
    {
        using var timeout = new CancellationTokenSource(CloseAnswerTime, Endpoint.Time);
        try
        {
            while (WebSocket.State == WebSocketState.CloseSent)
            {
                await WebSocket.ReceiveAsync(scratch, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ConnectionAbortedException or IOException)
        {
            // No answer in time (a cancelled receive aborts the WebSocket), or the client is gone: closed either way.
            WebSocketLog.Ended(Endpoint.Logger, ConnectionId, "no answer to the server's close");
        }
    }

    private void Grow(int length)
    {
        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)length * 2, (long)MaxMessageBytes + 1));
        _buffer.AsSpan(0, length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }

    private async Task SendCloseAsync(WebSocketCloseStatus status, string? description)
    {
        SentCloseStatus = status;
        if (WebSocket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await WebSocket.CloseOutputAsync(status, description, CancellationToken.None);
        }
    }

    private async Task SendCloseQuietlyAsync(WebSocketCloseStatus status, string description)
    {
        try
        {
            await SendCloseAsync(status, description);
        }
        catch (Exception ex) when (ex is WebSocketException or ConnectionAbortedException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            WebSocketLog.Ended(Endpoint.Logger, ConnectionId, ex.Message);
        }
    }

    private void CheckIdle()
    {
        bool idle;
        lock (_gate)
        {
            idle = !_busy && Endpoint.Time.GetElapsedTime(Volatile.Read(ref _lastReceived)) >= Endpoint.IdleTimeout;
        }

        if (idle)
        {
            WebSocketLog.IdleTimedOut(Endpoint.Logger, ConnectionId, Endpoint.Definition.Name, Endpoint.IdleTimeout);
            OnIdle();
        }
    }
}
