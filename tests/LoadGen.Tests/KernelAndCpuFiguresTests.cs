using EchoHost.LoadGen.Metrics;

namespace EchoHost.LoadGen.Tests;

/// <summary>The kernel's TCP counters read as nstat reads them, and the server's CPU time per message.</summary>
public class KernelAndCpuFiguresTests
{
    // The shape of /proc/net/netstat and /proc/net/snmp, cut short: header and values lines in pairs.
    private const string Netstat = """
        TcpExt: SyncookiesSent SyncookiesRecv ListenOverflows ListenDrops TCPSynRetrans
        TcpExt: 0 0 2023 2031 2907
        IpExt: InNoRoutes InTruncatedPkts
        IpExt: 0 0

        """;

    private const string Snmp = """
        Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens RetransSegs
        Tcp: 1 200 120000 -1 559 3100
        Udp: InDatagrams NoPorts
        Udp: 12 0
        """;

    [Fact]
    public void Counters_are_read_under_nstat_names()
    {
        var counters = TcpCounters.Parse(Netstat + Snmp);

        Assert.Equal(2023, counters["TcpExtListenOverflows"]);
        Assert.Equal(-1, counters["TcpMaxConn"]);
        Assert.Equal(12, counters["UdpInDatagrams"]);
        Assert.Equal(new TcpCounters(2023, 2031, 2907, 3100), TcpCounters.From(counters));
    }

    [Fact]
    public void A_burst_reports_what_the_counters_grew_by()
    {
        var before = new TcpCounters(ListenOverflows: 10, ListenDrops: 12, SynRetransmits: 5, RetransmittedSegments: 40);
        var after = new TcpCounters(ListenOverflows: 2033, ListenDrops: 2043, SynRetransmits: 2912, RetransmittedSegments: 3140);

        Assert.Equal(new TcpCounters(2023, 2031, 2907, 3100), after.Since(before));
    }

    [Fact]
    public void A_counter_this_kernel_lacks_reads_as_zero()
    {
        var counters = TcpCounters.Parse("TcpExt: ListenOverflows\nTcpExt: 7\n");
        Assert.Equal(new TcpCounters(7, 0, 0, 0), TcpCounters.From(counters));
    }

    [Theory]
    [InlineData("TcpExt: ListenOverflows ListenDrops\n")]
    [InlineData("TcpExt: ListenOverflows ListenDrops\nTcpExt: 1\n")]
    [InlineData("TcpExt: ListenOverflows\nIpExt: 1\n")]
    public void A_header_without_matching_values_is_a_format_error(string text) =>
        Assert.Throws<FormatException>(() => TcpCounters.Parse(text));

    [Fact]
    public void This_machines_counters_can_be_read()
    {
        var counters = TcpCounters.Read();
        Assert.NotNull(counters);
        Assert.True(counters.ListenDrops >= counters.ListenOverflows, "every listen overflow is also a listen drop");
    }

    [Theory]
    [InlineData(0.5, 100_000, 5.0)]
    [InlineData(2.0, 1, 2_000_000.0)]
    [InlineData(0.0, 10, 0.0)]
    public void Cpu_per_message_is_the_servers_cpu_time_over_the_messages_in_microseconds(double serverSeconds, long messages, double expected) =>
        Assert.Equal(expected, CpuWindow.MicrosecondsPerMessage(serverSeconds, messages)!.Value, precision: 9);

    [Fact]
    public void Cpu_per_message_needs_a_server_reading_and_messages()
    {
        Assert.Null(CpuWindow.MicrosecondsPerMessage(null, 1000));
        Assert.Null(CpuWindow.MicrosecondsPerMessage(1.5, 0));
    }
}
