using System.Buffers;
using System.Collections;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// A connection of any engine: its id, its endpoints, its pair of pipes, its features, and the parts of its life that
/// every engine shares (<see cref="ConnectionClosed"/>, an abort taken once, a disposal that completes once the engine
/// says so). Engines supply the I/O: how to abort, how to dispose, how to ask the socket its local address.
///  It is its own feature collection: the features a transport owes Kestrel are the
/// connection itself, and whatever Kestrel or middleware add goes in a small list, so a connection allocates no
/// dictionary. It is its own pair of pipes too (<see cref="IDuplexPipe"/>): each engine makes the pipes it drives.
/// </summary>
internal abstract class TransportConnection : ConnectionContext, IDuplexPipe, IFeatureCollection, IConnectionIdFeature, IConnectionTransportFeature,
    IConnectionItemsFeature, IConnectionLifetimeFeature, IConnectionEndPointFeature, IMemoryPoolFeature, INativeHandleFeature
{
    private readonly long _id = ConnectionIds.Next();
    private List<KeyValuePair<Type, object>>? _addedFeatures;
    private int _featureRevision;
    private IDuplexPipe? _transport;
    private string? _connectionId;
    private IDictionary<object, object?>? _items;

    private readonly CancellationTokenSource _closedSource = new();
    private CancellationToken? _connectionClosedOverride;
    private int _closedFired;
    private ConnectionAbortedException? _abortReason;
    private TaskCompletionSource? _disposed;

    // Endpoints are made when first asked for: many connections never are, and the objects cost more than the bytes.
    private readonly EndPoint _listenEndPoint;
    private SockAddr.Buffer _peerAddress;
    private readonly int _peerAddressLength;
    private EndPoint? _localEndPoint;
    private EndPoint? _remoteEndPoint;
    private bool _localResolved;
    private bool _remoteResolved;

    /// <summary>A connection accepted on <paramref name="listenEndPoint"/> from <paramref name="peerAddress"/> (a <c>sockaddr</c> as accept returned it).</summary>
    protected TransportConnection(EndPoint listenEndPoint, ReadOnlySpan<byte> peerAddress)
    {
        _listenEndPoint = listenEndPoint;
        _peerAddressLength = Math.Min(peerAddress.Length, SockAddr.BufferSize);
        peerAddress[.._peerAddressLength].CopyTo(_peerAddress);
    }

    public override string ConnectionId
    {
        get => _connectionId ??= ConnectionIds.Format(_id);
        set => _connectionId = value;
    }

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new ConnectionItems();
        set => _items = value;
    }

    public override IDuplexPipe Transport
    {
        get => _transport ?? this;
        set => _transport = value;
    }

    /// <summary>What the application reads: the bytes from the socket.</summary>
    public abstract PipeReader Input { get; }

    /// <summary>What the application writes: the bytes to the socket.</summary>
    public abstract PipeWriter Output { get; }

    public override IFeatureCollection Features => this;

    public override EndPoint? LocalEndPoint
    {
        get
        {
            if (!_localResolved)
            {
                _localEndPoint = ResolveLocalEndPoint();
                _localResolved = true;
            }

            return _localEndPoint;
        }

        set
        {
            _localEndPoint = value;
            _localResolved = true;
        }
    }

    public override EndPoint? RemoteEndPoint
    {
        get
        {
            if (!_remoteResolved)
            {
                _remoteEndPoint = ToEndPoint(_peerAddress);
                _remoteResolved = true;
            }

            return _remoteEndPoint;
        }

        set
        {
            _remoteEndPoint = value;
            _remoteResolved = true;
        }
    }

    /// <summary>Fires on the thread pool once the input has ended (the peer's FIN, an error) or the socket is closed.</summary>
    public override CancellationToken ConnectionClosed
    {
        get => _connectionClosedOverride ?? _closedSource.Token;
        set => _connectionClosedOverride = value;
    }

    /// <summary>Why the application aborted the connection, once it has.</summary>
    protected ConnectionAbortedException? AbortReason => _abortReason;

    /// <summary>Closes the socket at once with a reset (RST); the application's reads end with <paramref name="abortReason"/>.</summary>
    public sealed override void Abort(ConnectionAbortedException abortReason)
    {
        if (Interlocked.CompareExchange(ref _abortReason, abortReason ?? new ConnectionAbortedException(), null) is null)
        {
            OnAbort(_abortReason);
        }
    }

#pragma warning disable CA2215 // ConnectionContext.DisposeAsync does nothing
    /// <summary>
    /// Ends the application's side of both pipes, lets what is left be sent (then FIN), closes the socket, and
    /// completes once the engine holds nothing of the connection any more (<see cref="CompleteDisposal"/>).
    /// </summary>
    public sealed override ValueTask DisposeAsync()
    {
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _disposed, disposed, null) is { } existing)
        {
            return new ValueTask(existing.Task);
        }

        OnDispose();
        return new ValueTask(disposed.Task);
    }
#pragma warning restore CA2215

    /// <summary>The engine's abort: close with RST, reads ending with <paramref name="reason"/>. Called once.</summary>
    protected abstract void OnAbort(ConnectionAbortedException reason);

    /// <summary>The engine's disposal: complete the application's sides, send what is left, close. Called once.</summary>
    protected abstract void OnDispose();

    /// <summary>Completes the application's <see cref="DisposeAsync"/>; the engine calls it once nothing runs for the connection.</summary>
    protected void CompleteDisposal() => _disposed!.TrySetResult();

    /// <summary>Cancels <see cref="ConnectionClosed"/> on the thread pool, the first time only.</summary>
    protected void FireConnectionClosed()
    {
        if (Interlocked.Exchange(ref _closedFired, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static source => source.Cancel(), _closedSource, preferLocal: false);
        }
    }

    /// <summary>The address the socket is bound to, asked of the socket while it is open; null when it cannot say.</summary>
    protected abstract EndPoint? QueryLocalEndPoint();

    /// <summary>How many bytes of the peer's address accept wrote.</summary>
    protected int PeerAddressLength => _peerAddressLength;

    /// <summary>
    /// The endpoint of the peer's address as this platform's accept writes it, given the whole (zero-filled) buffer:
    /// a Unix domain peer's short address then reads as no IP endpoint.
    /// </summary>
    protected virtual EndPoint? ToEndPoint(ReadOnlySpan<byte> address) => SockAddr.ToIPEndPoint(address);

    /// <summary>The listener's endpoint, unless it is a wildcard (0.0.0.0, [::]): then the address this connection reached.</summary>
    private EndPoint? ResolveLocalEndPoint()
    {
        if (_listenEndPoint is not IPEndPoint { Address: var bound } || !(bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any)))
        {
            return _listenEndPoint;
        }

        return QueryLocalEndPoint() ?? _listenEndPoint;
    }

    public abstract MemoryPool<byte> MemoryPool { get; }

    /// <summary>The socket's descriptor (Unix) or handle (Windows).</summary>
    public abstract nint Handle { get; }

    bool IFeatureCollection.IsReadOnly => false;

    int IFeatureCollection.Revision => _featureRevision;

    object? IFeatureCollection.this[Type key]
    {
        get
        {
            if (_addedFeatures is { } added)
            {
                foreach (KeyValuePair<Type, object> pair in added)
                {
                    if (pair.Key == key)
                    {
                        return pair.Value;
                    }
                }
            }

            return IsOwnFeature(key) ? this : null;
        }

        set
        {
            _featureRevision++;
            _addedFeatures ??= new List<KeyValuePair<Type, object>>(4);
            int index = _addedFeatures.FindIndex(pair => pair.Key == key);
            if (index >= 0)
            {
                _addedFeatures.RemoveAt(index);
            }

            if (value is not null)
            {
                _addedFeatures.Add(new KeyValuePair<Type, object>(key, value));
            }
        }
    }

    TFeature? IFeatureCollection.Get<TFeature>() where TFeature : default => (TFeature?)((IFeatureCollection)this)[typeof(TFeature)];

    void IFeatureCollection.Set<TFeature>(TFeature? instance) where TFeature : default => ((IFeatureCollection)this)[typeof(TFeature)] = instance;

    IEnumerator<KeyValuePair<Type, object>> IEnumerable<KeyValuePair<Type, object>>.GetEnumerator()
    {
        foreach (Type type in s_ownFeatures)
        {
            if (_addedFeatures?.Exists(pair => pair.Key == type) != true)
            {
                yield return new KeyValuePair<Type, object>(type, this);
            }
        }

        if (_addedFeatures is { } added)
        {
            foreach (KeyValuePair<Type, object> pair in added)
            {
                yield return pair;
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<KeyValuePair<Type, object>>)this).GetEnumerator();

    private static readonly Type[] s_ownFeatures =
    [
        typeof(IConnectionIdFeature),
        typeof(IConnectionTransportFeature),
        typeof(IConnectionItemsFeature),
        typeof(IConnectionLifetimeFeature),
        typeof(IConnectionEndPointFeature),
        typeof(IMemoryPoolFeature),
        typeof(INativeHandleFeature),
    ];

    private static bool IsOwnFeature(Type key) => Array.IndexOf(s_ownFeatures, key) >= 0;
}
