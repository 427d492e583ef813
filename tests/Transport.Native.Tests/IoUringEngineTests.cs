using System.Net;
using System.Net.Sockets;
using EchoHost.Transport.Native.Internal;
using EchoHost.Transport.Native.Internal.IoUring;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EchoHost.Transport.Native.Tests;

/// <summary>
/// What the conformance suite cannot see from outside: that <c>Engine = IoUring</c> really runs the ring engine (and not
/// epoll under its name), and that its connection moves bytes both ways through its pipes.
/// </summary>
public sealed class IoUringEngineTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task IoUring_by_name_accepts_connections_of_the_ring_engine_that_carry_bytes_both_ways()
    {
        await using var factory = new NativeTransportFactory(
            Options.Create(new NativeTransportOptions { Engine = NativeTransportEngine.IoUring, ThreadCount = 1 }), NullLoggerFactory.Instance);
        var listener = await factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        try
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(listener.EndPoint);
            await using var connection = await listener.AcceptAsync().AsTask().WaitAsync(Deadline);

            Assert.IsType<IoUringConnection>(connection);
            Assert.Equal(client.LocalEndPoint, connection!.RemoteEndPoint);
            Assert.Equal(client.RemoteEndPoint, connection.LocalEndPoint);

            // More than one provided buffer's worth, so that a read spans several completions.
            byte[] sent = new byte[3 * IoUringPoller.BufferSize + 123];
            Random.Shared.NextBytes(sent);
            await client.SendAsync(sent);
            var received = new List<byte>();
            while (received.Count < sent.Length)
            {
                var result = await connection.Transport.Input.ReadAsync().AsTask().WaitAsync(Deadline);
                foreach (var segment in result.Buffer)
                {
                    received.AddRange(segment.Span);
                }

                connection.Transport.Input.AdvanceTo(result.Buffer.End);
                Assert.False(result.IsCompleted, "the input ended before all bytes arrived");
            }

            Assert.Equal(sent, received);

            await connection.Transport.Output.WriteAsync(sent);
            await connection.Transport.Output.CompleteAsync();
            var echoed = new byte[sent.Length + 1];
            int total = 0;
            int read;
            while ((read = await client.ReceiveAsync(echoed.AsMemory(total)).AsTask().WaitAsync(Deadline)) > 0)
            {
                total += read;
            }

            // All of it, then FIN (the read of 0) once the application completed its output.
            Assert.Equal(sent, echoed[..total]);
        }
        finally
        {
            await listener.DisposeAsync();
        }
    }
}
