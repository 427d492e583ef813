using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;

namespace EchoHost.Transport.Native.Tests;

/// <summary>What the server's test handlers saw of each connection; a singleton of the test server's container.</summary>
public sealed class ConnectionLog
{
    private readonly ConcurrentQueue<ConnectionRecord> _records = new();

    /// <summary>Every connection a handler has started on, in order of arrival.</summary>
    public IReadOnlyList<ConnectionRecord> Records => [.. _records];

    internal ConnectionRecord Add(ConnectionContext connection)
    {
        var record = new ConnectionRecord(
            connection.ConnectionId,
            connection.LocalEndPoint,
            connection.RemoteEndPoint,
            connection.Features.Get<INativeHandleFeature>()?.Handle);
        _records.Enqueue(record);
        return record;
    }

    /// <summary>Waits (polling, bounded by <paramref name="cancellationToken"/>) for the record of a connection.</summary>
    public async Task<ConnectionRecord> WaitForAsync(Func<ConnectionRecord, bool> predicate, CancellationToken cancellationToken)
    {
        while (true)
        {
            foreach (var record in _records)
            {
                if (predicate(record))
                {
                    return record;
                }
            }

            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>Waits for the record of the connection whose client socket has local endpoint <paramref name="clientEndPoint"/>.</summary>
    public Task<ConnectionRecord> WaitForClientAsync(EndPoint? clientEndPoint, CancellationToken cancellationToken)
    {
        var client = (IPEndPoint)(clientEndPoint ?? throw new ArgumentNullException(nameof(clientEndPoint)));
        return WaitForAsync(r => r.RemoteEndPoint is IPEndPoint remote && remote.Port == client.Port && SameAddress(remote.Address, client.Address), cancellationToken);
    }

    /// <summary>Compares addresses, treating an IPv4-mapped IPv6 address as the IPv4 address it maps.</summary>
    public static bool SameAddress(IPAddress a, IPAddress b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return Normalize(a).Equals(Normalize(b));

        static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }
}

/// <summary>One connection as a server-side handler saw it.</summary>
public sealed class ConnectionRecord(string connectionId, EndPoint? localEndPoint, EndPoint? remoteEndPoint, nint? nativeHandle)
{
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<bool> _closedFired = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _bytesEchoed;
    private long _maxBuffered;

    /// <summary>The connection's id.</summary>
    public string ConnectionId { get; } = connectionId;

    /// <summary>The server side's endpoint, as the transport reported it.</summary>
    public EndPoint? LocalEndPoint { get; } = localEndPoint;

    /// <summary>The client's endpoint, as the transport reported it.</summary>
    public EndPoint? RemoteEndPoint { get; } = remoteEndPoint;

    /// <summary>The handle of <see cref="INativeHandleFeature"/>, or null when the connection has no such feature.</summary>
    public nint? NativeHandle { get; } = nativeHandle;

    /// <summary>Completes when the handler has returned; faults with the unexpected exception it ended on, if any.</summary>
    public Task Finished => _finished.Task;

    /// <summary>Completes when the connection's <c>ConnectionClosed</c> token fired; the result tells whether that was on a thread-pool thread.</summary>
    public Task<bool> ConnectionClosedFired => _closedFired.Task;

    /// <summary>The exception that ended the connection for the handler (a reset or an abort), or null when it ended normally.</summary>
    public Exception? EndedBy { get; private set; }

    /// <summary>Bytes the handler has copied back to the client.</summary>
    public long BytesEchoed => Interlocked.Read(ref _bytesEchoed);

    /// <summary>The most input a holding handler found buffered when it read (0 before it read).</summary>
    public long MaxBuffered => Interlocked.Read(ref _maxBuffered);

    /// <summary>Completes when the test releases a holding handler.</summary>
    public Task Released => _released.Task;

    /// <summary>Lets a holding handler read.</summary>
    public void Release() => _released.TrySetResult();

    /// <summary>
    /// Whether the echo handler's first read that had to wait for data resumed on a thread-pool thread (rather than on
    /// a transport's own thread); null before such a read.
    /// </summary>
    public bool? FirstReadOnThreadPool { get; private set; }

    /// <summary>The managed id of the thread that read resumed on.</summary>
    public int FirstReadThreadId { get; private set; }

    /// <summary>Whether the handler managed to write after the connection-closed token fired (watching handler only).</summary>
    public bool? WroteAfterClosed { get; internal set; }

    internal void OnAsynchronousRead()
    {
        if (FirstReadOnThreadPool is null)
        {
            FirstReadThreadId = Environment.CurrentManagedThreadId;
            FirstReadOnThreadPool = Thread.CurrentThread.IsThreadPoolThread;
        }
    }

    internal void AddEchoed(long count) => Interlocked.Add(ref _bytesEchoed, count);

    internal void ObserveBuffered(long length)
    {
        long current;
        while (length > (current = Interlocked.Read(ref _maxBuffered)) && Interlocked.CompareExchange(ref _maxBuffered, length, current) != current)
        {
        }
    }

    internal void OnConnectionClosed() => _closedFired.TrySetResult(Thread.CurrentThread.IsThreadPoolThread);

    internal void OnFinished(Exception? endedBy)
    {
        EndedBy = endedBy;
        _finished.TrySetResult();
    }

    internal void OnFailed(Exception error) => _finished.TrySetException(error);

    /// <inheritdoc />
    public override string ToString() => $"{ConnectionId} {LocalEndPoint} <- {RemoteEndPoint}";
}
