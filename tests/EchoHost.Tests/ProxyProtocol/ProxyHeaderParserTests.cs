using System.Buffers;
using System.Net;
using EchoHost.Protocol.Tests;
using EchoHost.ProxyProtocol;

namespace EchoHost.Tests.ProxyProtocol;

/// <summary>The PROXY protocol header parser: both versions, every family, and what it refuses.</summary>
public class ProxyHeaderParserTests
{
    private static readonly IPEndPoint Client4 = IPEndPoint.Parse("192.0.2.10:51234");
    private static readonly IPEndPoint Server4 = IPEndPoint.Parse("198.51.100.1:1512");
    private static readonly IPEndPoint Client6 = IPEndPoint.Parse("[2001:db8::10]:51234");
    private static readonly IPEndPoint Server6 = IPEndPoint.Parse("[2001:db8::1]:1513");

    private static (ProxyHeaderStatus Status, ProxyHeader Header, long Consumed) Parse(byte[] bytes) => Parse(new ReadOnlySequence<byte>(bytes));

    private static (ProxyHeaderStatus Status, ProxyHeader Header, long Consumed) Parse(ReadOnlySequence<byte> input)
    {
        var status = ProxyHeaderParser.TryParse(input, out var header, out var consumed);
        return (status, header, input.Slice(0, consumed).Length);
    }

    public static TheoryData<string, byte[], int> Headers() => new()
    {
        { "v1 TCP4", ProxyHeaders.V1(Client4, Server4), 1 },
        { "v1 TCP6", ProxyHeaders.V1(Client6, Server6), 1 },
        { "v2 INET", ProxyHeaders.V2(Client4, Server4), 2 },
        { "v2 INET6", ProxyHeaders.V2(Client6, Server6), 2 },
        { "v2 INET with TLVs", ProxyHeaders.V2(Client4, Server4, tlvs: [.. ProxyHeaders.Tlv(0x01, "h2"u8.ToArray()), .. ProxyHeaders.Tlv(0xEE, new byte[300])]), 2 },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void A_header_gives_the_client_and_the_address_it_reached_and_leaves_what_follows(string name, byte[] header, int version)
    {
        byte[] input = [.. header, .. "hello"u8];
        foreach (var sequence in new[] { new ReadOnlySequence<byte>(input), TestSequences.OneBytePerSegment(input) })
        {
            var (status, parsed, consumed) = Parse(sequence);

            Assert.True(status == ProxyHeaderStatus.Complete, name);
            Assert.Equal(header.Length, consumed);
            Assert.Equal(version, parsed.Version);
            Assert.False(parsed.IsLocal);
            var v4 = name.Contains("INET6", StringComparison.Ordinal) || name.Contains("TCP6", StringComparison.Ordinal) ? false : true;
            Assert.Equal(v4 ? Client4 : Client6, parsed.Source);
            Assert.Equal(v4 ? Server4 : Server6, parsed.Destination);
        }
    }

    [Theory]
    [MemberData(nameof(Headers))]
    public void Every_part_of_a_header_asks_for_more(string name, byte[] header, int version)
    {
        _ = version;
        for (var length = 0; length < header.Length; length++)
        {
            Assert.True(Parse(header[..length]).Status == ProxyHeaderStatus.Incomplete, $"{name}, {length} bytes");
        }
    }

    public static TheoryData<string, byte[]> WithoutAddresses() => new()
    {
        { "v1 UNKNOWN", ProxyHeaders.V1("PROXY UNKNOWN\r\n") },
        { "v1 UNKNOWN with addresses", ProxyHeaders.V1("PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n") },
        { "v2 LOCAL", ProxyHeaders.V2(Client4, Server4, local: true) },
        { "v2 LOCAL, AF_UNSPEC, nothing else", ProxyHeaders.V2Raw(0x20, 0x00, []) },
        { "v2 PROXY, AF_UNSPEC", ProxyHeaders.V2Raw(0x21, 0x00, []) },
        { "v2 PROXY, AF_UNSPEC with TLVs", ProxyHeaders.V2Raw(0x21, 0x00, ProxyHeaders.Tlv(0x04, [1, 2, 3])) },
        { "v2 PROXY, AF_UNIX", ProxyHeaders.V2Raw(0x21, 0x31, new byte[216]) },
    };

    [Theory]
    [MemberData(nameof(WithoutAddresses))]
    public void A_header_without_addresses_keeps_the_proxy_as_the_peer(string name, byte[] header)
    {
        var (status, parsed, consumed) = Parse([.. header, 0x42]);

        Assert.True(status == ProxyHeaderStatus.Complete, name);
        Assert.Equal(header.Length, consumed);
        Assert.Null(parsed.Source);
        Assert.Null(parsed.Destination);
        Assert.Equal(name.StartsWith("v2 LOCAL", StringComparison.Ordinal), parsed.IsLocal);
    }

    [Theory]
    [InlineData("hello\n")]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("\0\0\0\u0010")]
    [InlineData("PROXZ TCP4")]
    [InlineData("\r\n\r\n\0\r\nQUIX")]
    public void Anything_else_is_no_header(string start)
    {
        Assert.Equal(ProxyHeaderStatus.Missing, Parse(System.Text.Encoding.Latin1.GetBytes(start)).Status);
    }

    [Theory]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 51234 1512\n")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 51234\r\n")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 51234 1512 9\r\n")]
    [InlineData("PROXY TCP4  192.0.2.10 198.51.100.1 51234 1512\r\n")]
    [InlineData("PROXY TCP5 192.0.2.10 198.51.100.1 51234 1512\r\n")]
    [InlineData("PROXY TCP4 2001:db8::1 198.51.100.1 51234 1512\r\n")]
    [InlineData("PROXY TCP6 192.0.2.10 2001:db8::1 51234 1512\r\n")]
    [InlineData("PROXY TCP6 fe80::1%eth0 2001:db8::1 51234 1512\r\n")]
    [InlineData("PROXY TCP4 192.0.2 198.51.100.1 51234 1512\r\n")]
    [InlineData("PROXY TCP4 0x7f.0.0.1 198.51.100.1 51234 1512\r\n")]
    [InlineData("PROXY TCP4 192.0.2.256 198.51.100.1 51234 1512\r\n")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 65536 1512\r\n")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 051234 1512\r\n")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 -1 1512\r\n")]
    [InlineData("PROXY \r\n")]
    [InlineData("PROXY UNKNOWNX\r\n")]
    public void A_version_1_line_out_of_the_specification_is_malformed(string line)
    {
        Assert.Equal(ProxyHeaderStatus.Malformed, Parse(ProxyHeaders.V1(line)).Status);
    }

    [Fact]
    public void A_version_1_line_of_107_bytes_is_read_and_a_longer_one_refused()
    {
        var longest = ProxyHeaders.V1("PROXY UNKNOWN " + new string('x', 107 - 16) + "\r\n");
        Assert.Equal(107, longest.Length);
        Assert.Equal(ProxyHeaderStatus.Complete, Parse(longest).Status);

        var tooLong = ProxyHeaders.V1("PROXY UNKNOWN " + new string('x', 108 - 16) + "\r\n");
        Assert.Equal(ProxyHeaderStatus.TooLong, Parse(tooLong).Status);
        // Known too long at 107 bytes without a line end, whatever follows.
        Assert.Equal(ProxyHeaderStatus.TooLong, Parse(tooLong[..107]).Status);
        Assert.Equal(ProxyHeaderStatus.Incomplete, Parse(tooLong[..106]).Status);
    }

    public static TheoryData<string, byte[]> MalformedV2() => new()
    {
        { "version 1 in the binary form", ProxyHeaders.V2Raw(0x11, 0x11, new byte[12]) },
        { "version 3", ProxyHeaders.V2Raw(0x31, 0x11, new byte[12]) },
        { "command 2", ProxyHeaders.V2Raw(0x22, 0x11, new byte[12]) },
        { "family 4", ProxyHeaders.V2Raw(0x21, 0x41, new byte[12]) },
        { "transport 3", ProxyHeaders.V2Raw(0x21, 0x13, new byte[12]) },
        { "INET in a length of 11", ProxyHeaders.V2Raw(0x21, 0x11, new byte[11]) },
        { "INET6 in a length of 12", ProxyHeaders.V2Raw(0x21, 0x21, new byte[12]) },
        { "UNIX in a length of 100", ProxyHeaders.V2Raw(0x21, 0x31, new byte[100]) },
    };

    [Theory]
    [MemberData(nameof(MalformedV2))]
    public void A_version_2_header_out_of_the_specification_is_malformed_before_its_body_arrives(string name, byte[] header)
    {
        Assert.True(Parse(header).Status == ProxyHeaderStatus.Malformed, name);
        Assert.True(Parse(header[..16]).Status == ProxyHeaderStatus.Malformed, name);
    }

    [Fact]
    public void A_version_2_header_waits_for_its_whole_declared_length()
    {
        var header = ProxyHeaders.V2Raw(0x21, 0x11, new byte[12], length: 1000);
        Assert.Equal(ProxyHeaderStatus.Incomplete, Parse(header).Status);
        var (status, _, consumed) = Parse([.. header, .. new byte[988 + 5]]);
        Assert.Equal(ProxyHeaderStatus.Complete, status);
        Assert.Equal(16 + 1000, consumed);
    }
}
