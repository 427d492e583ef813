using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using EchoHost.Configuration;
using EchoHost.Connections;
using EchoHost.Limits;




namespace EchoHost.Tests;

/// <summary>The per-address table: whose connection is whose, and what happens at its bound.</summary>
public class AddressTableTests
{
    private static readonly EndpointLimits Limits = new(0, 1, 0, 10, 0, 100, MaxTrackedAddresses: 2, TimeSpan.Zero, 0, TimeSpan.FromSeconds(5));

    private static AddressKey Key(string address) =>
        AddressKey.TryGet(new IPEndPoint(IPAddress.Parse(address), 5000), out var key) ? key : throw new ArgumentException(address);

    [Fact]
    public void IPv4_is_one_address_whether_mapped_or_not_and_IPv6_is_grouped_by_its_64_bit_prefix()
    {
        Assert.Equal(Key("192.0.2.7"), Key("::ffff:192.0.2.7"));
        Assert.NotEqual(Key("192.0.2.7"), Key("192.0.2.8"));
        Assert.Equal(Key("2001:db8:1:2::1"), Key("2001:db8:1:2:ffff:1:2:3"));
        Assert.NotEqual(Key("2001:db8:1:2::1"), Key("2001:db8:1:3::1"));
        Assert.NotEqual(Key("::"), Key("0.0.0.0"));
        Assert.False(AddressKey.TryGet(new UnixDomainSocketEndPoint("/tmp/x.sock"), out _));
        Assert.False(AddressKey.TryGet(null, out _));
    }

    [Fact]
    public void A_full_table_gives_the_place_of_the_longest_idle_address_and_refuses_when_none_is_idle()
    {
        var table = new AddressTable(Limits, default, Stopwatch.Frequency);

        Assert.Equal(RejectReason.None, table.TryAdmit(Key("10.0.0.1"), 1, out var first));
        Assert.Equal(RejectReason.AddressMaxConnections, table.TryAdmit(Key("10.0.0.1"), 2, out _));
        Assert.Equal(RejectReason.None, table.TryAdmit(Key("10.0.0.2"), 3, out var second));
        table.Release(second!, 4);

        // 10.0.0.2 is idle: 10.0.0.3 takes its place, the table stays at its bound.
        Assert.Equal(RejectReason.None, table.TryAdmit(Key("10.0.0.3"), 5, out var third));
        Assert.Equal(2, table.Count);

        // Every address remembered has a connection open: a new address is refused.
        Assert.Equal(RejectReason.AddressTableFull, table.TryAdmit(Key("10.0.0.4"), 6, out _));
        table.Release(first!, 7);
        table.Release(third!, 8);
        table.Forget(9);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void The_per_read_and_per_request_checks_and_the_accept_of_a_known_address_allocate_nothing()
    {
        var limits = Limits with { MaxConnectionsPerAddress = 0, RequestsPerSecondPerAddress = 1_000_000, RequestBurstPerAddress = 1_000_000, MaxTrackedAddresses = 10 };
        var table = new AddressTable(limits, new RateLimit(limits.RequestsPerSecondPerAddress, limits.RequestBurstPerAddress, Stopwatch.Frequency), Stopwatch.Frequency);
        var remote = new IPEndPoint(IPAddress.Parse("::ffff:192.0.2.1"), 4000);
        var pipe = new Pipe();
        table.TryAdmit(Key("192.0.2.1"), 1, out var entry);
        var watch = new ConnectionWatch(limits, "c1", pipe.Reader, TimeProvider.System);
        var requests = new AddressRequests(new RateLimit(1_000_000, 1_000_000, Stopwatch.Frequency), entry!, TimeProvider.System);
        var ok = true;

        var allocated = Allocated(() =>
        {
            watch.WaitingForPeer();
            watch.Received();
            watch.FrameProgress(3, completedFrame: true);
            ok &= requests.TryTake();
            ok &= AddressKey.TryGet(remote, out var key);
            ok &= table.TryAdmit(key, 2, out var again) == RejectReason.None;
            table.Release(again!, 3);
        });

        Assert.True(ok);
        Assert.Equal(0, allocated);
    }

    private static long Allocated(Action action)
    {
        action();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
