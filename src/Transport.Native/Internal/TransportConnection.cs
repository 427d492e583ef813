using System.Buffers;
using System.Collections;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// A connection of any engine: its id, its pair of pipes, and its features. It is its own feature collection: the features a transport owes Kestrel are the
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
