using System.Net.Sockets;
using EchoHost.Hosting;
using Microsoft.AspNetCore.Connections;

namespace EchoHost.Tests;

public class StartupFailureTests
{
    [Fact]
    public void Address_in_use_as_kestrel_wraps_it()
    {
        var cause = new IOException("Failed to bind to address http://127.0.0.1:1512: address already in use.",
            new AddressInUseException("Address already in use", new SocketException((int)SocketError.AddressAlreadyInUse)));

        Assert.Equal(("address already in use", true), StartupFailure.DescribeCause(cause));
    }

    [Theory]
    [InlineData(SocketError.AddressAlreadyInUse, "address already in use")]
    [InlineData(SocketError.AccessDenied, "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)")]
    [InlineData(SocketError.AddressNotAvailable, "the address is not one of this machine's")]
    public void Socket_errors_in_a_few_words(SocketError error, string expected)
    {
        Assert.Equal((expected, true), StartupFailure.DescribeCause(new SocketException((int)error)));
    }

    [Fact]
    public void An_unforeseen_exception_keeps_its_details()
    {
        var (reason, expected) = StartupFailure.DescribeCause(new InvalidOperationException("the loop broke"));

        Assert.Equal("the loop broke", reason);
        Assert.False(expected);
    }
}
