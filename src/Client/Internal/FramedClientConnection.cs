using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using EchoHost.Client.Telemetry;
using EchoHost.Protocol;

namespace EchoHost.Client.Internal;

/// <summary>
/// One connection to the server. Requests are written by their callers, under a short lock, into an in-memory pipe
/// that one pump task copies to the socket (so that many requests leave in one write); one reader task parses
/// frames and completes the pending requests by Id. Once closed, it stays closed: the pool opens a new one. It tells
/// its owner when it stops taking requests (a GoAway, a failure, a close) and when it is closed.
/// </summary>
internal sealed class FramedClientConnection : IAsyncDisposable
{
    private const int Open = 0;
    private const int Draining = 1;
    private const int Closed = 2;

    private static readonly PipeOptions OutgoingOptions = new(
        pauseWriterThreshold: 0, // never pauses: a flush completes at once, so callers can write under a lock
        minimumSegmentSize: 16 * 1024,
        useSynchronizationContext: false);

    private readonly Socket _socket;
    private readonly Stream _stream; // the socket's NetworkStream, or an SslStream over it
    private readonly PipeReader _input;
    private readonly Pipe _outgoing = new(OutgoingOptions);
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<ulong, PendingRequest> _pending = new();
    private readonly Queue<PendingPing> _pings = new(); // guarded by _gate
    private readonly int _maxFrameBytes;
    private readonly string _name; // the endpoint, for messages
    private readonly IConnectionOwner _owner;
    private readonly ClientMetrics _metrics;
    private readonly TimeProvider _time;
    private Task _reading = Task.CompletedTask;
    private Task _writing = Task.CompletedTask;
    private int _inFlight; // entries of _pending, counted apart because ConcurrentDictionary.Count takes every lock
    private int _state; // guarded by _gate for transitions; read without it as a hint
    private bool _outgoingCompleted; // guarded by _gate
    private string? _goAwayReason;
    private string? _connectionError;
    private long _lastReceived; // TimeProvider timestamp of the last bytes read, or of the connection's opening

    private FramedClientConnection(Socket socket, Stream stream, EndPoint endPoint, int maxFrameBytes, IConnectionOwner owner, ClientMetrics metrics, TimeProvider time)
    {
        _socket = socket;
        _stream = stream;
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096));
        EndPoint = endPoint;
        _name = EndPointText.Describe(endPoint);
        _maxFrameBytes = maxFrameBytes;
        _owner = owner;
        _metrics = metrics;
        _time = time;
        _lastReceived = time.GetTimestamp();
    }

    public EndPoint EndPoint { get; }

    /// <summary>The socket, for tests of its options.</summary>
    internal Socket Socket => _socket;

    /// <summary>True while new requests may be sent on this connection (no GoAway, no failure, not disposed).</summary>
    public bool IsUsable => Volatile.Read(ref _state) == Open;

    /// <summary>Requests and Pings waiting for an answer (a hint for choosing the least busy connection).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Completes when the connection is closed and its tasks have ended.</summary>
    public Task Completion => Task.WhenAll(_reading, _writing);

    /// <summary>How long nothing has been read from the server.</summary>
    public TimeSpan Silence => _time.GetElapsedTime(Volatile.Read(ref _lastReceived));

    /// <summary>
    /// Opens a connection; a failure is a <see cref="FramedUnavailableException"/>, since no request was sent on it.
    /// The connect timeout counts on the options' clock.
    /// </summary>
    public static async Task<FramedClientConnection> ConnectAsync(EndPoint endPoint, FramedClientOptions options, IConnectionOwner owner, ClientMetrics metrics, CancellationToken cancellationToken)
    {
        var socket = endPoint switch
        {
            UnixDomainSocketEndPoint => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified),
            IPEndPoint ip => new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp),
            _ => new Socket(SocketType.Stream, ProtocolType.Tcp), // dual mode: a host name may resolve to IPv6 or IPv4
        };
        Stream stream;
        try
        {
            if (socket.ProtocolType == ProtocolType.Tcp)
            {
                socket.NoDelay = options.NoDelay;
                if (options.TcpKeepAlive > TimeSpan.Zero)
                {
                    var seconds = (int)options.TcpKeepAlive.TotalSeconds;
                    socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
                    socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, seconds);
                    socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, seconds);
                }
            }

            using var deadline = new CancellationTokenSource(options.ConnectTimeout, options.TimeProvider);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            try
            {
                await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new FramedUnavailableException(FramedUnavailableReason.ConnectTimeout, $"Could not connect to {EndPointText.Describe(endPoint)} within {options.ConnectTimeout}.");
            }
            catch (SocketException ex)
            {
                throw new FramedUnavailableException(FramedUnavailableReason.Unreachable, $"Could not connect to {EndPointText.Describe(endPoint)}: {ex.Message}", ex);
            }

            stream = new NetworkStream(socket, ownsSocket: true);
            if (options.Tls is { } tls)
            {
                try
                {
                    stream = await TlsHandshake.AuthenticateAsync(stream, endPoint, tls, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new FramedUnavailableException(FramedUnavailableReason.ConnectTimeout, $"The TLS handshake with {EndPointText.Describe(endPoint)} did not complete within {options.ConnectTimeout}.");
                }
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new FramedClientConnection(socket, stream, endPoint, options.MaxFrameBytes, owner, metrics, options.TimeProvider);
    }

    /// <summary>Starts reading and writing; called once its owner has registered it, so that it cannot close before.</summary>
    public void Start()
    {
        _reading = Task.Run(ReadLoopAsync, CancellationToken.None);
        _writing = Task.Run(WriteLoopAsync, CancellationToken.None);
    }

    /// <summary>
    /// Writes a request and returns the task of its answer; throws <see cref="ConnectionUnavailableException"/>,
    /// having written nothing, when the connection no longer takes requests.
    /// </summary>
    public Task<FramedClientResponse> Send(ulong id, byte type, ReadOnlySpan<byte> data, ReadOnlySpan<MetadataItem> metadata)
    {
        var pending = new PendingRequest();
        lock (_gate)
        {
            if (_state != Open)
            {
                throw new ConnectionUnavailableException();
            }

            _pending[id] = pending;
            Interlocked.Increment(ref _inFlight);
            try
            {
                // The writer checks its arguments before it writes a byte, so a refusal leaves no partial frame.
                FrameWriter.WriteMessage(_outgoing.Writer, FrameKind.Request, id, type, data, metadata);
            }
            catch
            {
                TryTake(id, out _);
                throw;
            }

            Flush();
        }

        _metrics.Sent(type);
        return pending.Task;
    }

    /// <summary>Forgets a request that timed out or was cancelled: a late answer is dropped.</summary>
    public void Forget(ulong id)
    {
        if (TryTake(id, out var pending))
        {
            pending.TrySetCanceled();
        }
    }

    /// <summary>Writes a Ping; the task completes with the round-trip time when its Pong comes.</summary>
    public Task<TimeSpan> Ping(ReadOnlySpan<byte> payload, CancellationToken cancellationToken)
    {
        var ping = new PendingPing(payload.ToArray());
        if (cancellationToken.CanBeCanceled)
        {
            // Registered before the Ping can be answered, so that completion always finds the registration to undo.
            ping.Registration = cancellationToken.Register(static state => ((PendingPing)state!).TrySetCanceled(), ping);
        }

        lock (_gate)
        {
            if (_state != Open)
            {
                ping.Registration.Dispose();
                throw new ConnectionUnavailableException();
            }

            // Pongs come back in the order of the Pings; an abandoned Ping keeps its place in the queue.
            _pings.Enqueue(ping);
            FrameWriter.WriteFrame(_outgoing.Writer, FrameKind.Ping, payload);
            ping.Started = Stopwatch.GetTimestamp();
            Flush();
        }

        _metrics.Sent(ClientMetrics.PingSlot);

        return ping.Task;
    }

    /// <summary>Closes the connection at once; whatever waits for an answer fails with <paramref name="reason"/>.</summary>
    public void Abort(string reason) => Close(new FramedOutcomeUnknownException(reason));

    public async ValueTask DisposeAsync()
    {
        Close(new FramedOutcomeUnknownException($"The connection to {_name} was closed by the client before the answer came."));
        try
        {
            await Completion.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The loops report their failures through Close.
        }
    }

    private void Flush()
    {
        // With no pause threshold the flush completes synchronously; it only makes the bytes visible to the pump.
        var flush = _outgoing.Writer.FlushAsync(CancellationToken.None);
        Debug.Assert(flush.IsCompleted, "An unbounded pipe's flush completes synchronously.");
        flush.GetAwaiter().GetResult();
    }

    private async Task ReadLoopAsync()
    {
        Exception? failure = null;
        long unread = 0; // bytes left in the pipe by the previous read: not new
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (buffer.Length > unread)
                {
                    _metrics.BytesReceived(buffer.Length - unread);
                    Volatile.Write(ref _lastReceived, _time.GetTimestamp());
                }

                FrameReadStatus status;
                while ((status = FrameReader.TryRead(buffer, _maxFrameBytes, out var frame, out var consumed, out _)) == FrameReadStatus.Complete)
                {
                    Handle(frame);
                    buffer = buffer.Slice(consumed);
                }

                if (status == FrameReadStatus.FrameTooLarge)
                {
                    throw new InvalidDataException($"The server sent a frame larger than MaxFrameBytes ({_maxFrameBytes}).");
                }

                var truncated = result.IsCompleted && !buffer.IsEmpty;
                unread = buffer.Length;
                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    if (truncated)
                    {
                        throw new EndOfStreamException("The server closed the connection in the middle of a frame.");
                    }

                    break;
                }
            }
        }
        catch (Exception ex)
        {
            // Whatever ends the reading ends the connection: no pending request may wait for an answer that cannot come.
            failure = ex;
        }
        finally
        {
            await _input.CompleteAsync().ConfigureAwait(false);
        }

        Close(Describe(failure));
    }

    private async Task WriteLoopAsync()
    {
        var reader = _outgoing.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    await _stream.WriteAsync(segment).ConfigureAwait(false);
                    _metrics.BytesSent(segment.Length);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }

            // Everything is sent (after a GoAway, or before closing): tell the server that no more requests come.
            if (Volatile.Read(ref _state) == Draining)
            {
                if (_stream is SslStream ssl)
                {
                    // TLS's own end of data (close_notify), which the server reads as the end of the requests.
                    await ssl.ShutdownAsync().ConfigureAwait(false);
                }

                _socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Close(Describe(ex));
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void Handle(Frame frame)
    {
        if (!frame.HasValidHeader)
        {
            throw new InvalidDataException($"The server sent a {frame.Kind} frame with Flags {frame.Flags} and Reserved {frame.Reserved}; version 1 needs 0.");
        }

        switch (frame.Kind)
        {
            case FrameKind.Response:
                {
                    var message = ParseMessage(frame);
                    if (TryTake(message.Id, out var pending))
                    {
                        pending.TrySetResult(new FramedClientResponse(message.Id, message.Type, message.Data.ToArray(), CopyMetadata(message.Metadata)));
                    }

                    // Otherwise the request timed out or was cancelled: the late answer is dropped.
                    break;
                }

            case FrameKind.Error:
                {
                    var message = ParseMessage(frame);
                    var code = message.Metadata.TryGetValue("code"u8, out var codeBytes) ? Encoding.UTF8.GetString(codeBytes) : string.Empty;
                    var text = Encoding.UTF8.GetString(message.Data);
                    if (TryTake(message.Id, out var pending))
                    {
                        pending.TrySetException(new FramedErrorException(code, text, message.Id, message.Type));
                    }
                    else if (message.Id == 0)
                    {
                        // Not about one request (the server could not read a frame): kept to explain a close that follows.
                        Volatile.Write(ref _connectionError, $"{code}: {text}");
                    }

                    break;
                }

            case FrameKind.Pong:
                CompletePing(frame.Payload);
                break;

            case FrameKind.GoAway:
                Volatile.Write(ref _goAwayReason, Encoding.UTF8.GetString(frame.Payload));
                BeginDraining();
                break;

            default:
                throw new InvalidDataException($"The server sent a frame of kind 0x{frame.RawKind:x2}, which a server may not send.");
        }
    }

    private bool TryTake(ulong id, [NotNullWhen(true)] out PendingRequest? pending)
    {
        if (_pending.TryRemove(id, out pending))
        {
            Interlocked.Decrement(ref _inFlight);
            return true;
        }

        return false;
    }

    private static Message ParseMessage(Frame frame) =>
        Message.TryParse(frame.Payload, out var message)
            ? message
            : throw new InvalidDataException($"The server sent a {frame.Kind} frame whose payload is not one valid message.");

    private static IReadOnlyDictionary<string, byte[]> CopyMetadata(MessageMetadata metadata)
    {
        if (metadata.Count == 0)
        {
            return FramedClientResponse.NoMetadata;
        }

        var copy = new Dictionary<string, byte[]>(metadata.Count, StringComparer.Ordinal);
        foreach (var entry in metadata)
        {
            copy[Encoding.UTF8.GetString(entry.Key)] = entry.Value.ToArray();
        }

        return copy.AsReadOnly();
    }

    private void CompletePing(in ReadOnlySequence<byte> payload)
    {
        PendingPing? ping;
        lock (_gate)
        {
            _pings.TryDequeue(out ping);
        }

        if (ping is null)
        {
            throw new InvalidDataException("The server sent a Pong for no Ping.");
        }

        var elapsed = Stopwatch.GetElapsedTime(ping.Started);
        ping.Registration.Dispose();
        if (payload.Length == ping.Payload.Length && payload.ToArray().AsSpan().SequenceEqual(ping.Payload))
        {
            ping.TrySetResult(elapsed);
        }
        else
        {
            ping.TrySetException(new InvalidDataException($"The Pong's payload ({payload.Length} bytes) is not the Ping's ({ping.Payload.Length} bytes)."));
        }
    }

    /// <summary>After a GoAway: no new requests; those sent are answered, then the server closes.</summary>
    private void BeginDraining()
    {
        lock (_gate)
        {
            if (_state != Open)
            {
                return;
            }

            _state = Draining;
            CompleteOutgoing();
        }

        _owner.Retired(this, $"the server at {_name} went away ({(_goAwayReason is { Length: > 0 } reason ? reason : "no reason given")})");
    }

    private void CompleteOutgoing()
    {
        if (!_outgoingCompleted)
        {
            _outgoingCompleted = true;
            _outgoing.Writer.Complete();
        }
    }

    private FramedOutcomeUnknownException Describe(Exception? failure)
    {
        var goAway = Volatile.Read(ref _goAwayReason);
        var error = Volatile.Read(ref _connectionError);
        var message = goAway is not null
            ? $"The server at {_name} went away ({(goAway.Length == 0 ? "no reason given" : goAway)}) before answering."
            : failure is null
                ? $"The server at {_name} closed the connection before answering."
                : $"The connection to {_name} failed before the answer came: {failure.Message}";
        if (error is not null)
        {
            message += $" The server reported: {error}.";
        }

        message += " Whether the server handled the request is unknown.";

        return new FramedOutcomeUnknownException(message, failure);
    }

    private void Close(FramedOutcomeUnknownException reason)
    {
        List<PendingPing> pings;
        bool wasOpen;
        lock (_gate)
        {
            if (_state == Closed)
            {
                return;
            }

            wasOpen = _state == Open;
            _state = Closed;
            CompleteOutgoing();
            pings = [.. _pings];
            _pings.Clear();
        }

        // Nothing is added once the state is Closed: whatever is pending now will never be answered.
        foreach (var id in _pending.Keys)
        {
            if (TryTake(id, out var pending))
            {
                pending.TrySetException(reason);
            }
        }

        foreach (var ping in pings)
        {
            ping.Registration.Dispose();
            ping.TrySetException(reason);
        }

        // Aborts the reads and writes still under way; the loops end and report nothing new.
        _socket.Dispose();
        if (wasOpen)
        {
            _owner.Retired(this, reason.Message);
        }

        _owner.Closed(this);
    }

    private sealed class PendingRequest() : TaskCompletionSource<FramedClientResponse>(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class PendingPing(byte[] payload) : TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public byte[] Payload { get; } = payload;

        public long Started { get; set; }

        public CancellationTokenRegistration Registration { get; set; }
    }
}

/// <summary>What a connection tells the pool place that opened it.</summary>
internal interface IConnectionOwner
{
    /// <summary>The connection takes no more requests (a GoAway, a failure, a close); <paramref name="why"/> says which.</summary>
    void Retired(FramedClientConnection connection, string why);

    /// <summary>The connection is closed: its socket is released and nothing waits on it any more.</summary>
    void Closed(FramedClientConnection connection);
}

/// <summary>The connection takes no new requests (GoAway, failure or disposal); nothing was written: try another.</summary>
internal sealed class ConnectionUnavailableException : Exception
{
    public ConnectionUnavailableException()
        : base("The connection takes no new requests.")
    {
    }

    public ConnectionUnavailableException(string message)
        : base(message)
    {
    }

    public ConnectionUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
