using System.Collections.Concurrent;
using System.Net;
using System.Text;
using EchoHost.Client.Internal;
using EchoHost.Protocol;

namespace EchoHost.Client;

/// <summary>
/// A client of EchoHost's framed protocol. Thread-safe: any number of callers may send at once; their requests share
/// the pool's connections (pipelined, matched to their answers by Id). Connections are opened when needed and again
/// after they were lost or the server sent GoAway. Dispose it to close its connections.
/// </summary>
public sealed class FramedClient : IAsyncDisposable
{
    private readonly FramedClientOptions _options;
    private readonly ConnectionSlot[] _slots;
    private readonly ConcurrentDictionary<FramedConnection, bool> _connections = new();
    private long _lastId;
    private int _nextSlot;
    private int _disposed;

    /// <summary>
    /// Creates a client of the server at <paramref name="endPoint"/> (an <see cref="IPEndPoint"/>, a
    /// <see cref="DnsEndPoint"/> or a <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>) without connecting:
    /// the first request connects.
    /// </summary>
    public FramedClient(EndPoint endPoint, FramedClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        EndPoint = endPoint;
        _options = (options ?? new FramedClientOptions()).Validated();
        _slots = new ConnectionSlot[_options.PoolSize];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new ConnectionSlot(endPoint, _options, _connections);
        }
    }

    /// <summary>The server's address.</summary>
    public EndPoint EndPoint { get; }

    /// <summary>Connections open now, including those finishing their requests after a GoAway (for tests).</summary>
    internal int OpenConnections => _connections.Count;

    /// <summary>Creates a client of <paramref name="host"/>:<paramref name="port"/> and opens its first connection.</summary>
    /// <exception cref="FramedConnectionException">The server cannot be reached.</exception>
    public static Task<FramedClient> ConnectAsync(string host, int port, FramedClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        EndPoint endPoint = IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);
        return ConnectAsync(endPoint, options, cancellationToken);
    }

    /// <summary>Creates a client of the server listening on the Unix domain socket <paramref name="path"/> and opens its first connection.</summary>
    /// <exception cref="FramedConnectionException">The server cannot be reached.</exception>
    public static Task<FramedClient> ConnectUnixAsync(string path, FramedClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(path), options, cancellationToken);
    }

    /// <summary>Creates a client of the server at <paramref name="endPoint"/> and opens its first connection.</summary>
    /// <exception cref="FramedConnectionException">The server cannot be reached.</exception>
    public static async Task<FramedClient> ConnectAsync(EndPoint endPoint, FramedClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        var client = new FramedClient(endPoint, options);
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

    /// <summary>Sends a request and waits for its answer.</summary>
    /// <param name="type">The handler: one of <see cref="MessageTypes"/> or an application's type.</param>
    /// <param name="data">The request's Data; copied before the method returns, so the caller may reuse it.</param>
    /// <param name="metadata">The request's Metadata: unique, non-empty keys; keys and values at most 65,535 bytes each.</param>
    /// <param name="cancellationToken">Abandons the request: a late answer is dropped.</param>
    /// <returns>The server's Response.</returns>
    /// <exception cref="FramedErrorException">The server answered with an Error frame; <see cref="FramedErrorException.Code"/> says why.</exception>
    /// <exception cref="FramedConnectionException">The connection could not be opened, or was lost before the answer came.</exception>
    /// <exception cref="TimeoutException">No answer within <see cref="FramedClientOptions.RequestTimeout"/>.</exception>
    /// <exception cref="ArgumentException">The metadata is invalid, or the request would exceed <see cref="FramedClientOptions.MaxFrameBytes"/>.</exception>
    public async Task<FramedResponse> SendAsync(byte type, ReadOnlyMemory<byte> data, IReadOnlyList<MetadataItem>? metadata = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        var items = ValidateRequest(data.Length, metadata);
        var id = (ulong)Interlocked.Increment(ref _lastId);

        Task<FramedResponse> answer;
        FramedConnection connection;
        for (var attempt = 1; ; attempt++)
        {
            connection = await PickAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                answer = connection.Send(id, type, data.Span, items.Span);
                break;
            }
            catch (ConnectionUnavailableException) when (attempt < _slots.Length + 2)
            {
                // It went away between the choice and the write; nothing was sent: choose again.
            }
            catch (ConnectionUnavailableException ex)
            {
                throw new FramedConnectionException($"No connection to {EndPointText.Describe(EndPoint)} takes requests.", ex);
            }
        }

        try
        {
            return await answer.WaitAsync(_options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Abandon(connection, id, answer);
            throw new TimeoutException($"No answer from {EndPointText.Describe(EndPoint)} to request {id} (type 0x{type:x2}) within {_options.RequestTimeout}.");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Abandon(connection, id, answer);
            throw;
        }
    }

    /// <summary>
    /// Sends a Ping and waits for its Pong, which must carry the same payload.
    /// </summary>
    /// <param name="payload">The Ping's payload; none when null.</param>
    /// <param name="cancellationToken">Stops waiting for the Pong.</param>
    /// <returns>The round-trip time, from writing the Ping to reading the Pong.</returns>
    /// <exception cref="FramedConnectionException">The connection could not be opened, or was lost before the Pong came.</exception>
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

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        for (var attempt = 1; ; attempt++)
        {
            var connection = await PickAsync(cancellationToken).ConfigureAwait(false);
            Task<TimeSpan> pong;
            try
            {
                pong = connection.Ping(bytes.Span, timeout.Token);
            }
            catch (ConnectionUnavailableException) when (attempt < _slots.Length + 2)
            {
                continue;
            }
            catch (ConnectionUnavailableException ex)
            {
                throw new FramedConnectionException($"No connection to {EndPointText.Describe(EndPoint)} takes requests.", ex);
            }

            try
            {
                return await pong.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"No Pong from {EndPointText.Describe(EndPoint)} within {_options.RequestTimeout}.");
            }
        }
    }

    /// <summary>Closes every connection; requests still waiting fail with <see cref="FramedConnectionException"/>.</summary>
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
        foreach (var connection in _connections.Keys)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static void Abandon(FramedConnection connection, ulong id, Task answer)
    {
        connection.Forget(id);
        if (answer.IsFaulted)
        {
            // Failed after the caller stopped waiting: observed here so that it is not reported as unobserved.
            _ = answer.Exception;
        }
    }

    /// <summary>The least busy slot's connection (ties go round-robin), opening it when needed.</summary>
    private ValueTask<FramedConnection> PickAsync(CancellationToken cancellationToken)
    {
        var slots = _slots;
        if (slots.Length == 1)
        {
            return slots[0].GetAsync(cancellationToken);
        }

        var start = (int)((uint)Interlocked.Increment(ref _nextSlot) % (uint)slots.Length);
        ConnectionSlot best = slots[start];
        var bestLoad = int.MaxValue;
        for (var i = 0; i < slots.Length; i++)
        {
            var slot = slots[(start + i) % slots.Length];
            var load = slot.Usable?.InFlight ?? 0; // an empty slot is the least busy: it gets a new connection
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

        return best.GetAsync(cancellationToken);
    }

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
