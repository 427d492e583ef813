using System.Net;
using System.Text;
using EchoHost.Client.Internal;
using EchoHost.Client.Telemetry;
using EchoHost.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;

namespace EchoHost.Client;

/// <summary>
/// A client of EchoHost's framed protocol. Thread-safe: any number of callers may send at once; their requests share
/// the pool's connections (pipelined, matched to their answers by Id). Each call runs through a Polly resilience
/// pipeline (by default: retries of what is safe to repeat, and a circuit breaker); the pool keeps its connections
/// open in the background and checks idle ones with Pings. Dispose it to close its connections.
/// </summary>
public sealed class FramedClient : IAsyncDisposable, IDisposable
{
    private readonly FramedClientOptions _options;
    private readonly ConnectionPool _pool;
    private readonly ConnectionSlot[] _slots;
    private readonly ClientMetrics _metrics;
    private readonly ResiliencePipeline _pipeline;
    private long _lastId;
    private int _nextSlot;
    private int _disposed;

    /// <summary>
    /// Creates a client of the server at <paramref name="endPoint"/> (an <see cref="IPEndPoint"/>, a
    /// <see cref="DnsEndPoint"/> or a <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>) without connecting:
    /// the first request connects.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid, or name a server too.</exception>
    public FramedClient(EndPoint endPoint, FramedClientOptions? options = null)
        : this(endPoint, (options ?? new FramedClientOptions()).Validated(), endPointGiven: true)
    {
    }

    /// <summary>
    /// Creates a client of the server that <paramref name="options"/> name (<see cref="FramedClientOptions.Host"/> and
    /// <see cref="FramedClientOptions.Port"/>, or <see cref="FramedClientOptions.UnixSocketPath"/>) without connecting.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid, or name no server.</exception>
    public FramedClient(FramedClientOptions options)
        : this(EndPointOf(options), options.Validated(), endPointGiven: false)
    {
    }

    private FramedClient(EndPoint endPoint, FramedClientOptions options, bool endPointGiven)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (endPointGiven && options.NamesEndPoint)
        {
            throw new ArgumentException("The server is given twice: as the endpoint and in the options' Host or UnixSocketPath.", nameof(options));
        }

        EndPoint = endPoint;
        _options = options;
        var server = EndPointText.Describe(endPoint);
        Name = options.Name ?? server;
        var resilience = options.Resilience;
        var breaker = options.ResiliencePipeline is null && resilience.CircuitBreakerEnabled ? new CircuitBreakerStateProvider() : null;
        _metrics = new ClientMetrics(Name, server, options.MeterFactory, options.TimeProvider, breaker);
        var logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<FramedClient>();
        _pipeline = options.ResiliencePipeline
            ?? (resilience.MaxRetryAttempts == 0 && breaker is null
                ? ResiliencePipeline.Empty
                : FramedResilience.CreateDefault(resilience, Name, options.TimeProvider, options.LoggerFactory, logger, _metrics));
        _pool = new ConnectionPool(endPoint, options, _metrics, logger, Name);
        _slots = new ConnectionSlot[options.PoolSize];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new ConnectionSlot(_pool);
        }
    }

    /// <summary>The server's address.</summary>
    public EndPoint EndPoint { get; }

    /// <summary>The client's name in its metrics and logs: <see cref="FramedClientOptions.Name"/>, or the server's address.</summary>
    public string Name { get; }

    /// <summary>Connections open now, including those finishing their requests after a GoAway (for tests).</summary>
    internal int OpenConnections => _pool.Open.Count;

    /// <summary>The open connections (for tests).</summary>
    internal IEnumerable<FramedClientConnection> Connections => _pool.Open.Keys;

    /// <summary>The options in force: the validated copy (for tests).</summary>
    internal FramedClientOptions Options => _options;

    /// <summary>Creates a client of <paramref name="host"/>:<paramref name="port"/> and opens its first connection.</summary>
    /// <exception cref="FramedUnavailableException">The server cannot be reached.</exception>
    public static Task<FramedClient> ConnectAsync(string host, int port, FramedClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        return ConnectAsync(HostEndPoint(host, port), options, cancellationToken);
    }

    /// <summary>Creates a client of the server listening on the Unix domain socket <paramref name="path"/> and opens its first connection.</summary>
    /// <exception cref="FramedUnavailableException">The server cannot be reached.</exception>
    public static Task<FramedClient> ConnectUnixAsync(string path, FramedClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(path), options, cancellationToken);
    }

    /// <summary>Creates a client of the server at <paramref name="endPoint"/> and opens its first connection.</summary>
    /// <exception cref="FramedUnavailableException">The server cannot be reached.</exception>
    public static Task<FramedClient> ConnectAsync(EndPoint endPoint, FramedClientOptions? options = null, CancellationToken cancellationToken = default) =>
        OpenAsync(new FramedClient(endPoint, options), cancellationToken);

    /// <summary>Creates a client of the server that <paramref name="options"/> name and opens its first connection.</summary>
    /// <exception cref="FramedUnavailableException">The server cannot be reached.</exception>
    public static Task<FramedClient> ConnectAsync(FramedClientOptions options, CancellationToken cancellationToken = default) =>
        OpenAsync(new FramedClient(options), cancellationToken);

    /// <summary>Sends a request and waits for its answer; it is repeated after a failure only if it was never sent.</summary>
    /// <param name="type">The handler: one of <see cref="MessageTypes"/> or an application's type.</param>
    /// <param name="data">The request's Data; read until the task completes (a retry sends it again), so keep it unchanged until then.</param>
    /// <param name="metadata">The request's Metadata: unique, non-empty keys; keys and values at most 65,535 bytes each.</param>
    /// <param name="cancellationToken">Abandons the request: a late answer is dropped.</param>
    /// <returns>The server's Response.</returns>
    /// <exception cref="FramedErrorException">The server answered with an Error frame; <see cref="FramedErrorException.Code"/> says why.</exception>
    /// <exception cref="FramedUnavailableException">The request was not sent: no connection takes requests, or the circuit breaker is open.</exception>
    /// <exception cref="FramedOutcomeUnknownException">The connection was lost after the request was sent: whether the server handled it is unknown.</exception>
    /// <exception cref="TimeoutException">No answer within <see cref="FramedClientOptions.RequestTimeout"/>.</exception>
    /// <exception cref="ArgumentException">The metadata is invalid, or the request would exceed <see cref="FramedClientOptions.MaxFrameBytes"/>.</exception>
    public Task<FramedClientResponse> SendAsync(byte type, ReadOnlyMemory<byte> data, IReadOnlyList<MetadataItem>? metadata = null, CancellationToken cancellationToken = default) =>
        SendAsync(type, data, metadata, _options.IdempotentTypes.Contains(type), cancellationToken);

    /// <summary>
    /// Sends a request and waits for its answer, saying whether it is safe to send twice: an idempotent request is
    /// also repeated after its connection was lost or its answer timed out, within the pipeline's retries.
    /// </summary>
    /// <param name="type">The handler: one of <see cref="MessageTypes"/> or an application's type.</param>
    /// <param name="data">The request's Data; read until the task completes (a retry sends it again), so keep it unchanged until then.</param>
    /// <param name="metadata">The request's Metadata, or null.</param>
    /// <param name="idempotent">True when the server's handling of this request may happen twice; overrides <see cref="FramedClientOptions.IdempotentTypes"/>.</param>
    /// <param name="cancellationToken">Abandons the request: a late answer is dropped.</param>
    /// <returns>The server's Response.</returns>
    /// <exception cref="FramedErrorException">The server answered with an Error frame.</exception>
    /// <exception cref="FramedUnavailableException">The request was not sent: no connection takes requests, or the circuit breaker is open.</exception>
    /// <exception cref="FramedOutcomeUnknownException">The connection was lost after the request was sent, and it was not repeated.</exception>
    /// <exception cref="TimeoutException">No answer within <see cref="FramedClientOptions.RequestTimeout"/>.</exception>
    /// <exception cref="ArgumentException">The metadata is invalid, or the request would exceed <see cref="FramedClientOptions.MaxFrameBytes"/>.</exception>
    public async Task<FramedClientResponse> SendAsync(byte type, ReadOnlyMemory<byte> data, IReadOnlyList<MetadataItem>? metadata, bool idempotent, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        var items = ValidateRequest(data.Length, metadata);
        var call = Begin(type, idempotent, cancellationToken);
        var outcome = await _pipeline.ExecuteOutcomeAsync(
            static (context, request) => request.Client.SendOnceAsync(request.Type, request.Data, request.Items, context.CancellationToken),
            call.Context,
            new Request(this, type, data, items)).ConfigureAwait(false);
        return (FramedClientResponse)End(call, outcome);
    }

    /// <summary>
    /// Sends a Ping and waits for its Pong, which must carry the same payload. A Ping is repeated like an idempotent
    /// request, except after a timeout (<see cref="FramedResilience.PingKey"/>).
    /// </summary>
    /// <param name="payload">The Ping's payload; none when null.</param>
    /// <param name="cancellationToken">Stops waiting for the Pong.</param>
    /// <returns>The round-trip time, from writing the Ping to reading the Pong.</returns>
    /// <exception cref="FramedConnectionException">No connection took the Ping, or it was lost before the Pong came.</exception>
    /// <exception cref="TimeoutException">No Pong within <see cref="FramedClientOptions.RequestTimeout"/>.</exception>
    /// <exception cref="InvalidDataException">The Pong's payload is not the Ping's.</exception>
    public async Task<TimeSpan> PingAsync(ReadOnlyMemory<byte>? payload = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        var bytes = payload ?? ReadOnlyMemory<byte>.Empty;
        if (bytes.Length > _options.MaxFrameBytes)
        {
            throw new ArgumentException($"The payload ({bytes.Length} bytes) exceeds MaxFrameBytes ({_options.MaxFrameBytes}).", nameof(payload));
        }

        var call = Begin(ClientMetrics.PingSlot, idempotent: true, cancellationToken);
        var outcome = await _pipeline.ExecuteOutcomeAsync(
            static (context, state) => state.Client.PingOnceAsync(state.Payload, context.CancellationToken),
            call.Context,
            (Client: this, Payload: bytes)).ConfigureAwait(false);
        return (TimeSpan)End(call, outcome);
    }

    /// <summary>The client's counters now: requests by outcome, bytes, connections, retries, health checks, the breaker.</summary>
    public FramedClientStatistics GetStatistics() => _metrics.Snapshot();

    /// <summary>Closes every connection; requests still waiting fail with <see cref="FramedOutcomeUnknownException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var slot in _slots)
        {
            await slot.DisposeAsync().ConfigureAwait(false);
        }

        // Connections that a GoAway retired from their slot and that still finish their last requests.
        foreach (var connection in _pool.Open.Keys)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        _metrics.Dispose();
    }

    /// <summary>
    /// Closes every connection, waiting for it as <see cref="DisposeAsync"/> does; for containers and callers that
    /// dispose synchronously (a service provider disposed with <c>Dispose</c>). Prefer <see cref="DisposeAsync"/>.
    /// </summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static async Task<FramedClient> OpenAsync(FramedClient client, CancellationToken cancellationToken)
    {
        try
        {
            await client._slots[0].GetAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static EndPoint HostEndPoint(string host, int port) =>
        IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);

    private static EndPoint EndPointOf(FramedClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options switch
        {
            { UnixSocketPath: { Length: > 0 } path, Host: null or "" } => new System.Net.Sockets.UnixDomainSocketEndPoint(path),
            { Host: { Length: > 0 } host, UnixSocketPath: null or "" } => HostEndPoint(host, options.Port),
            { Host: { Length: > 0 } } => throw new ArgumentException("Host and UnixSocketPath exclude each other: set one.", nameof(options)),
            _ => throw new ArgumentException("The options name no server: set Host (and Port) or UnixSocketPath.", nameof(options)),
        };
    }

    /// <summary>
    /// Starts a call: its pipeline context, from Polly's pool, says whether it may be repeated. <paramref name="slot"/>
    /// is the message type, or Pings, for the metrics.
    /// </summary>
    private Call Begin(int slot, bool idempotent, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(FramedResilience.IdempotentKey, idempotent);
        context.Properties.Set(FramedResilience.PingKey, slot == ClientMetrics.PingSlot);
        return new Call(context, slot, _metrics.Start());
    }

    /// <summary>Ends a call: counts its outcome, returns its context, and returns the result or throws what the caller should see.</summary>
    private object End(Call call, Outcome<object> outcome)
    {
        var cancellationToken = call.Context.CancellationToken;
        ResilienceContextPool.Shared.Return(call.Context);
        if (outcome.Exception is not { } exception)
        {
            _metrics.Complete(call.Slot, RequestOutcome.Ok, call.Started);
            return outcome.Result!;
        }

        var failure = Translate(exception);
        _metrics.Complete(call.Slot, RequestOutcomes.Of(failure, cancellationToken), call.Started);
        if (ReferenceEquals(failure, exception))
        {
            outcome.ThrowIfException(); // keeps the stack trace of where it was thrown
        }

        throw failure;
    }

    /// <summary>The exception the caller sees: the breaker's rejection becomes the client's own; the rest stay.</summary>
    private Exception Translate(Exception exception) => exception is BrokenCircuitException broken
        ? new FramedUnavailableException(
            FramedUnavailableReason.CircuitOpen,
            $"The circuit breaker for {_pool.Server} is open: too many recent requests failed on their connections or timed out. " +
            $"Requests fail at once until it lets one through to test the server{(broken.RetryAfter is { } after ? $", in {after.TotalMilliseconds:0} ms" : string.Empty)}.",
            broken,
            broken.RetryAfter)
        : exception;

    private static void Abandon(FramedClientConnection connection, ulong id, Task answer)
    {
        connection.Forget(id);
        if (answer.IsFaulted)
        {
            // Failed after the caller stopped waiting: observed here so that it is not reported as unobserved.
            _ = answer.Exception;
        }
    }

    /// <summary>
    /// One attempt: a connection, the request written, its answer awaited for RequestTimeout on the options' clock.
    /// Its failure is its outcome, not thrown: Polly's low-allocation path, where callbacks may not throw.
    /// </summary>
    private async ValueTask<Outcome<object>> SendOnceAsync(byte type, ReadOnlyMemory<byte> data, ReadOnlyMemory<MetadataItem> items, CancellationToken cancellationToken)
    {
        var id = (ulong)Interlocked.Increment(ref _lastId);
        Task<FramedClientResponse> answer;
        FramedClientConnection connection;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                connection = await PickAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    answer = connection.Send(id, type, data.Span, items.Span);
                    break;
                }
                catch (ConnectionUnavailableException ex)
                {
                    // It went away between the choice and the write; nothing was sent: choose again.
                    NotSent(attempt, ex);
                }
            }
        }
        catch (Exception ex)
        {
            return Outcome.FromException<object>(ex);
        }

        try
        {
            return Outcome.FromResult<object>(await answer.WaitAsync(_options.RequestTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false));
        }
        catch (TimeoutException)
        {
            Abandon(connection, id, answer);
            return Outcome.FromException<object>(new TimeoutException($"No answer from {_pool.Server} to request {id} (type 0x{type:x2}) within {_options.RequestTimeout}."));
        }
        catch (Exception ex)
        {
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                Abandon(connection, id, answer);
            }

            return Outcome.FromException<object>(ex);
        }
    }

    /// <summary>One Ping, its outcome returned as <see cref="SendOnceAsync"/>'s is.</summary>
    private async ValueTask<Outcome<object>> PingOnceAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(_options.RequestTimeout, _options.TimeProvider);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var connection = await PickAsync(cancellationToken).ConfigureAwait(false);
                Task<TimeSpan> pong;
                try
                {
                    pong = connection.Ping(payload.Span, timeout.Token);
                }
                catch (ConnectionUnavailableException ex)
                {
                    NotSent(attempt, ex);
                    continue;
                }

                return Outcome.FromResult<object>(await pong.ConfigureAwait(false));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Outcome.FromException<object>(new TimeoutException($"No Pong from {_pool.Server} within {_options.RequestTimeout}."));
        }
        catch (Exception ex)
        {
            return Outcome.FromException<object>(ex);
        }
    }

    /// <summary>After a connection refused a write it had just been chosen for: choose again a few times, then give up.</summary>
    private void NotSent(int attempt, ConnectionUnavailableException exception)
    {
        if (attempt >= _slots.Length + 2)
        {
            throw new FramedUnavailableException(FramedUnavailableReason.Unreachable, $"No connection to {_pool.Server} takes requests.", exception);
        }
    }

    /// <summary>
    /// The least busy usable connection (ties go round-robin); a place never opened counts as idle, so the pool fills
    /// as requests come. Places that are down are passed over while another can serve; when none can, the request
    /// shares an attempt under way, or fails at once with the reason of the last failure.
    /// </summary>
    private ValueTask<FramedClientConnection> PickAsync(CancellationToken cancellationToken)
    {
        var slots = _slots;
        if (slots.Length == 1)
        {
            return slots[0].GetAsync(cancellationToken);
        }

        var start = (int)((uint)Interlocked.Increment(ref _nextSlot) % (uint)slots.Length);
        ConnectionSlot? best = null;
        ConnectionSlot? connecting = null;
        var bestLoad = int.MaxValue;
        for (var i = 0; i < slots.Length; i++)
        {
            var slot = slots[(start + i) % slots.Length];
            int load;
            switch (slot.State)
            {
                case SlotState.Usable:
                    load = slot.Usable?.InFlight ?? 0;
                    break;
                case SlotState.Empty:
                    load = 0; // it gets a new connection
                    break;
                case SlotState.Connecting:
                    connecting ??= slot;
                    continue;
                default:
                    continue;
            }

            if (load < bestLoad)
            {
                best = slot;
                bestLoad = load;
                if (load == 0)
                {
                    break;
                }
            }
        }

        return (best ?? connecting ?? slots[start]).GetAsync(cancellationToken);
    }

    /// <summary>A call under way: its pipeline context, its metrics slot and its start time.</summary>
    private readonly record struct Call(ResilienceContext Context, int Slot, long Started);

    private readonly record struct Request(FramedClient Client, byte Type, ReadOnlyMemory<byte> Data, ReadOnlyMemory<MetadataItem> Items);

    private ReadOnlyMemory<MetadataItem> ValidateRequest(int dataLength, IReadOnlyList<MetadataItem>? metadata)
    {
        ReadOnlyMemory<MetadataItem> memory = metadata switch
        {
            null => ReadOnlyMemory<MetadataItem>.Empty,
            MetadataItem[] array => array,
            _ => metadata.ToArray(),
        };
        var items = memory.Span;
        var keys = items.Length > 8 ? new HashSet<string>(items.Length, StringComparer.Ordinal) : null;
        if (items.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"A message holds at most {ushort.MaxValue} metadata entries.", nameof(metadata));
        }

        long encoded = 0;
        for (var i = 0; i < items.Length; i++)
        {
            var item = items[i];
            if (string.IsNullOrEmpty(item.Key))
            {
                throw new ArgumentException("A metadata key may not be empty.", nameof(metadata));
            }

            var keyBytes = Encoding.UTF8.GetByteCount(item.Key);
            if (keyBytes > ushort.MaxValue || item.Value.Length > ushort.MaxValue)
            {
                throw new ArgumentException($"Metadata '{item.Key}': a key and a value hold at most {ushort.MaxValue} bytes each.", nameof(metadata));
            }

            if (keys is not null ? !keys.Add(item.Key) : IsRepeated(items, i))
            {
                throw new ArgumentException($"Metadata key '{item.Key}' is repeated.", nameof(metadata));
            }

            encoded += 4 + keyBytes + item.Value.Length;
        }

        var payload = FrameWriter.MessageFrameLength(dataLength, encoded) - Frame.HeaderSize;
        if (payload > _options.MaxFrameBytes)
        {
            throw new ArgumentException($"The request ({payload} bytes) exceeds MaxFrameBytes ({_options.MaxFrameBytes}).", nameof(metadata));
        }

        return memory;
    }

    private static bool IsRepeated(ReadOnlySpan<MetadataItem> items, int index)
    {
        for (var j = 0; j < index; j++)
        {
            if (string.Equals(items[j].Key, items[index].Key, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
