using EchoHost.Configuration;

namespace EchoHost.Limits;

/// <summary>What an endpoint remembers of one address (<see cref="AddressKey"/>).</summary>
internal sealed class AddressEntry
{
    public AddressKey Key;

    /// <summary>Connections open from the address; under the table's lock.</summary>
    public int Connections;

    /// <summary>The connection rate's bucket (<see cref="RateLimit"/>); under the table's lock.</summary>
    public long ConnectionsFullAt;

    /// <summary>The request rate's bucket, shared by the address's connections; taken with a compare-and-swap.</summary>
    public long RequestsFullAt;

    /// <summary>When (timestamps of the limits' TimeProvider) the address was last seen with no connection open; meaningful while idle.</summary>
    public long IdleSince;

    // The list of idle entries (no connection open), newest first: eviction takes the oldest.
    internal AddressEntry? Newer;
    internal AddressEntry? Older;
}

/// <summary>
/// One endpoint's addresses and what their limits need (open connections, rate buckets), bounded to
/// <see cref="EndpointLimits.MaxTrackedAddresses"/> entries. An address without open connections is idle; once idle for
/// as long as its buckets take to fill, forgetting it loses nothing, and the periodic sweep does. When the table is
/// full, a new address takes the place of the address idle the longest (which forgets its rate history early); when
/// every entry has a connection open, the new address is refused (<c>address_table_full</c>), as nginx's
/// <c>limit_conn</c> does when its zone is full. A known address is found without allocating; evicted entries are
/// reused.
/// </summary>
internal sealed class AddressTable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<AddressKey, AddressEntry> _entries = [];
    private readonly int _capacity;
    private readonly int _maxConnectionsPerAddress;
    private readonly RateLimit _connectionRate;
    private readonly long _forgetAfter;
    private AddressEntry? _newestIdle;
    private AddressEntry? _oldestIdle;

    public AddressTable(EndpointLimits limits, RateLimit requestRate, long timestampFrequency)
    {
        _capacity = limits.MaxTrackedAddresses;
        _maxConnectionsPerAddress = limits.MaxConnectionsPerAddress;
        _connectionRate = new RateLimit(limits.ConnectionsPerSecondPerAddress, limits.ConnectionBurstPerAddress, timestampFrequency);
        _forgetAfter = Math.Max(_connectionRate.RefillTicks, requestRate.RefillTicks);
    }

    /// <summary>Addresses remembered now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Counts a connection from <paramref name="key"/> at <paramref name="now"/> (timestamps of the limits' TimeProvider), or refuses it. The
    /// rate is checked first, so that every attempt costs a token, including those a count then refuses.
    /// </summary>
    public RejectReason TryAdmit(AddressKey key, long now, out AddressEntry? admitted)
    {
        admitted = null;
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var entry))
            {
                if (entry.Connections == 0)
                {
                    Unlink(entry);
                }
            }
            else
            {
                entry = Make(key);
                if (entry is null)
                {
                    return RejectReason.AddressTableFull;
                }
            }

            var reason = RejectReason.None;
            if (!_connectionRate.TryTake(ref entry.ConnectionsFullAt, now))
            {
                reason = RejectReason.AddressRate;
            }
            else if (_maxConnectionsPerAddress > 0 && entry.Connections >= _maxConnectionsPerAddress)
            {
                reason = RejectReason.AddressMaxConnections;
            }
            else
            {
                entry.Connections++;
                admitted = entry;
            }

            if (entry.Connections == 0)
            {
                LinkNewest(entry, now);
            }

            return reason;
        }
    }

    /// <summary>A connection counted by <see cref="TryAdmit"/> has closed.</summary>
    public void Release(AddressEntry entry, long now)
    {
        lock (_gate)
        {
            if (--entry.Connections == 0)
            {
                LinkNewest(entry, now);
            }
        }
    }

    /// <summary>Forgets the addresses idle long enough for their buckets to be full again.</summary>
    public void Forget(long now)
    {
        lock (_gate)
        {
            while (_oldestIdle is { } oldest && now - oldest.IdleSince >= _forgetAfter)
            {
                Unlink(oldest);
                _entries.Remove(oldest.Key);
            }
        }
    }

    private AddressEntry? Make(AddressKey key)
    {
        AddressEntry entry;
        if (_entries.Count < _capacity)
        {
            entry = new AddressEntry();
        }
        else if (_oldestIdle is { } oldest)
        {
            Unlink(oldest);
            _entries.Remove(oldest.Key);
            entry = oldest;
            entry.ConnectionsFullAt = 0;
            entry.RequestsFullAt = 0;
        }
        else
        {
            return null;
        }

        entry.Key = key;
        _entries.Add(key, entry);
        return entry;
    }

    private void LinkNewest(AddressEntry entry, long now)
    {
        entry.IdleSince = now;
        entry.Older = _newestIdle;
        entry.Newer = null;
        if (_newestIdle is not null)
        {
            _newestIdle.Newer = entry;
        }

        _newestIdle = entry;
        _oldestIdle ??= entry;
    }

    private void Unlink(AddressEntry entry)
    {
        if (entry.Newer is null)
        {
            _newestIdle = entry.Older;
        }
        else
        {
            entry.Newer.Older = entry.Older;
        }

        if (entry.Older is null)
        {
            _oldestIdle = entry.Newer;
        }
        else
        {
            entry.Older.Newer = entry.Newer;
        }

        entry.Newer = entry.Older = null;
    }
}
