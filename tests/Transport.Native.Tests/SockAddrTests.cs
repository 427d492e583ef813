using System.Net;
using EchoHost.Transport.Native.Internal;
using FreeBsd = EchoHost.Transport.Native.Interop.FreeBsd;
using Linux = EchoHost.Transport.Native.Interop.Linux;
using MacOS = EchoHost.Transport.Native.Interop.MacOS;

namespace EchoHost.Transport.Native.Tests;

/// <summary>
/// Addresses as each system's kernel writes them (the BSDs start with <c>sa_len</c> and a one-byte family), read with
/// that system's table. The kernels themselves are not here: these are the layouts their headers declare.
/// </summary>
public sealed class SockAddrTests
{
    public static TheoryData<string> Systems => new() { "Linux", "macOS", "FreeBSD" };

    [Theory]
    [MemberData(nameof(Systems))]
    public void IPv4_address_is_read_in_each_systems_layout(string system)
    {
        var (hasLength, afInet, afInet6) = Table(system);
        byte[] sockaddrIn = [.. Header(hasLength, 16, afInet), 0x1F, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8080), SockAddr.ToIPEndPoint(sockaddrIn, hasLength, afInet, afInet6));
    }

    [Theory]
    [MemberData(nameof(Systems))]
    public void IPv6_address_with_its_scope_is_read_in_each_systems_layout(string system)
    {
        var (hasLength, afInet, afInet6) = Table(system);
        var address = IPAddress.Parse("fe80::1");
        byte[] sockaddrIn6 = [.. Header(hasLength, 28, afInet6), 0x05, 0xE8, 0, 0, 0, 0, .. address.GetAddressBytes(), 3, 0, 0, 0];
        Assert.Equal(new IPEndPoint(IPAddress.Parse("fe80::1%3"), 1512), SockAddr.ToIPEndPoint(sockaddrIn6, hasLength, afInet, afInet6));
    }

    [Theory]
    [MemberData(nameof(Systems))]
    public void Other_families_have_no_IP_endpoint(string system)
    {
        const int AF_UNIX = 1;
        var (hasLength, afInet, afInet6) = Table(system);
        byte[] sockaddrUn = [.. Header(hasLength, 16, AF_UNIX), .. new byte[26]];
        Assert.Null(SockAddr.ToIPEndPoint(sockaddrUn, hasLength, afInet, afInet6));
    }

    /// <summary>sa_family as two little-endian bytes (Linux), or sa_len then a one-byte sa_family (BSD).</summary>
    private static byte[] Header(bool hasLength, byte length, int family)
        => hasLength ? [length, (byte)family] : [(byte)family, (byte)(family >> 8)];

    private static (bool HasLength, int AfInet, int AfInet6) Table(string system) => system switch
    {
        "Linux" => (Linux.SocketConstants.SockAddrHasLength, Linux.SocketConstants.AF_INET, Linux.SocketConstants.AF_INET6),
        "macOS" => (MacOS.SocketConstants.SockAddrHasLength, MacOS.SocketConstants.AF_INET, MacOS.SocketConstants.AF_INET6),
        _ => (FreeBsd.SocketConstants.SockAddrHasLength, FreeBsd.SocketConstants.AF_INET, FreeBsd.SocketConstants.AF_INET6),
    };
}
