using System.Net;
using System.Net.Sockets;
using EchoHost.Transport.Native.Internal;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EchoHost.Transport.Native.Tests;

/// <summary>
/// The listener's contract as Kestrel uses it, without Kestrel: waiting for a connection is cancellable and leaves the
/// listener working, and unbinding ends a pending wait with null. Sockets is the reference.
/// </summary>
public sealed class ListenerContractTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static TheoryData<string> Transports => new() { "Sockets", "Native", "NativeEpoll", "NativeKqueueMacOS", "NativeKqueueFreeBsd" };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_cancelled_accept_throws_and_the_listener_goes_on_accepting(string transport)
    {
        await using var factory = CreateFactory(transport);
        var listener = await ((IConnectionListenerFactory)factory).BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        try
        {
            using (var cancel = new CancellationTokenSource())
            {
                var waiting = listener.AcceptAsync(cancel.Token).AsTask();
                await Task.Delay(50);
                Assert.False(waiting.IsCompleted, "AcceptAsync returned with no client connecting.");
                await cancel.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Deadline));
            }

            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(listener.EndPoint);
            await using var connection = await listener.AcceptAsync().AsTask().WaitAsync(Deadline);
            Assert.NotNull(connection);
            Assert.Equal(client.LocalEndPoint, connection.RemoteEndPoint);
        }
        finally
        {
            await listener.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Unbinding_ends_a_pending_accept_with_null_and_refuses_new_clients(string transport)
    {
        await using var factory = CreateFactory(transport);
        var listener = await ((IConnectionListenerFactory)factory).BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var endPoint = (IPEndPoint)listener.EndPoint;
        var waiting = listener.AcceptAsync().AsTask();

        await listener.UnbindAsync();
        Assert.Null(await waiting.WaitAsync(Deadline));
        await listener.DisposeAsync();

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(endPoint).WaitAsync(Deadline));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    private static IAsyncDisposable CreateFactory(string transport)
    {
        if (transport == "Sockets")
        {
            return new DisposableSocketsFactory(new SocketTransportFactory(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance));
        }

        var options = new NativeTransportOptions();
        if (transport == "NativeEpoll")
        {
            options.Engine = NativeTransportEngine.Epoll;
        }
        else if (transport != "Native")
        {
            // The kqueue engine over the kqueue emulation (KqueueShim).
            KqueueShim.Install();
            options.EngineOverride = Enum.Parse<NativeEngine>(transport["Native".Length..]);
        }

        return new NativeTransportFactory(Options.Create(options), NullLoggerFactory.Instance);
    }

    /// <summary>The Sockets factory is not disposable; this gives both the same shape.</summary>
    private sealed class DisposableSocketsFactory(SocketTransportFactory inner) : IConnectionListenerFactory, IAsyncDisposable
    {
        public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
            => inner.BindAsync(endpoint, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
