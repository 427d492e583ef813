using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace EchoHost.Transport.Native.Tests;

/// <summary>
/// The transport conformance suite, written once: every test starts a real Kestrel server on the transport under
/// test and talks to it through real loopback sockets. Concrete subclasses pick the transport (Sockets as the
/// reference, the native transport with several option sets).
/// </summary>
public abstract class TransportConformanceTests(TransportSelector transport, ITestOutputHelper output) : TransportTestBase(transport, output)
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task Small_payloads_echo_in_order()
    {
        var server = await StartAsync(l => l.Echo());
        var client = await ConnectAsync(server.EndPoint);

        await client.AssertEchoesAsync("hello"u8.ToArray(), Deadline);
        await client.AssertEchoesAsync(new byte[] { 0x42 }, Deadline);

        // Several writes in a row before reading anything: all come back, in order.
        var parts = Enumerable.Range(0, 25).Select(i => TestData.Create(1 + (i * 37), seed: i)).ToArray();
        var expected = parts.SelectMany(p => p).ToArray();
        foreach (var part in parts)
        {
            await client.SendAllAsync(part, Deadline);
        }

        var echoed = await client.ReceiveExactlyAsync(expected.Length, Deadline);
        TestData.AssertSame(expected, echoed);

        var record = await server.Log.WaitForClientAsync(client.LocalEndPoint, Deadline);
        AssertServedByTransport(record);
        Assert.Equal(expected.Length + 6, record.BytesEchoed);

        // Application code (here, what follows a read that waited for data) runs on the thread pool unless inline
        // scheduling was asked for.
        Assert.Equal(!Transport.InlineScheduling, record.FirstReadOnThreadPool);
    }

    [Fact]
    public async Task Large_payload_echoes_exactly_while_the_client_reads_concurrently()
    {
        const int Length = (8 * MiB) + 12_345;
        var data = TestData.Create(Length, seed: 8);
        var server = await StartAsync(l => l.Echo());
        var client = await ConnectAsync(server.EndPoint);

        var receive = client.ReceiveExactlyAsync(Length, Deadline);
        var send = Task.Run(async () =>
        {
            // Writes of varying sizes, from one byte to 256 KiB.
            var sizes = new Random(17);
            int offset = 0;
            while (offset < Length)
            {
#pragma warning disable CA5394 // Reproducible write sizes, not security.
                int size = Math.Min(Length - offset, sizes.Next(1, 256 * 1024));
#pragma warning restore CA5394
                await client.SendAllAsync(data.AsMemory(offset, size), Deadline);
                offset += size;
            }
        });

        await send;
        var echoed = await receive;
        TestData.AssertSame(data, echoed);

        client.Shutdown(SocketShutdown.Send);
        Assert.True(await client.ReadEndAsync(Deadline), "The server reset the connection instead of ending it after the echo.");
        var record = await server.Log.WaitForClientAsync(client.LocalEndPoint, Deadline);
        await WithinLimitAsync(record.Finished, $"The end of the handler of {record}");
        Assert.Equal(Length, record.BytesEchoed);
    }

    [Fact]
    public async Task Several_large_payloads_echo_exactly_at_once_while_their_clients_read_concurrently()
    {
        // Enough connections moving enough bytes at once that the loops' receive buffers run short and sends go out
        // in parts: every one must still get all of its bytes back, then an orderly end, never a reset.
        const int Count = 8;
        const int Length = (4 * MiB) + 777;
        var server = await StartAsync(l => l.Echo());

        await Task.WhenAll(Enumerable.Range(0, Count).Select(i => Task.Run(async () =>
        {
            var data = TestData.Create(Length, seed: 300 + i);
            using var client = await ConnectAsync(server.EndPoint);
            var receive = client.ReceiveExactlyAsync(Length, Deadline);
            await client.SendAllAsync(data, Deadline);
            client.Shutdown(SocketShutdown.Send);
            var echoed = await receive;
            TestData.AssertSame(data, echoed);
            Assert.True(await client.ReadEndAsync(Deadline), $"The server reset connection {i} instead of ending it after the echo.");
        })));

        Assert.Equal((long)Count * Length, server.Log.Records.Sum(r => r.BytesEchoed));
    }

    [Fact]
    public async Task Thousand_concurrent_connections_each_echo_their_own_payload()
    {
        const int Count = 1000;
        var server = await StartAsync(l => l.Echo());
        var clients = new Socket[Count];

        // Open all of them (a few dozen connects at a time, so that no SYN waits on a retransmission), and keep them open.
        using (var connecting = new SemaphoreSlim(50))
        {
            await Task.WhenAll(Enumerable.Range(0, Count).Select(async i =>
            {
                await connecting.WaitAsync(Deadline);
                try
                {
                    clients[i] = await ConnectAsync(server.EndPoint);
                }
                finally
                {
                    connecting.Release();
                }
            }));
        }

        Assert.True(await EventuallyAsync(() => server.Log.Records.Count == Count), $"The server started handlers for {server.Log.Records.Count} of {Count} open connections.");

        // Every connection echoes a payload of its own, all at once.
        var payloads = Enumerable.Range(0, Count).Select(i =>
        {
            var payload = TestData.Create(16 + (i * 7 % 2000), seed: 1000 + i);
            BinaryPrimitives.WriteInt32BigEndian(payload, i);
            return payload;
        }).ToArray();
        await Task.WhenAll(Enumerable.Range(0, Count).Select(i => clients[i].AssertEchoesAsync(payloads[i], Deadline)));

        var records = server.Log.Records;
        Assert.Equal(Count, records.Count);
        Assert.Equal(Count, records.Select(r => r.ConnectionId).Distinct().Count());
        Assert.Equal(payloads.Sum(p => (long)p.Length), records.Sum(r => r.BytesEchoed));
        AssertServedByTransport(records[0]);
    }

    [Fact]
    public async Task Half_close_echoes_everything_then_ends_the_stream()
    {
        var payload = TestData.Create(300 * 1024, seed: 4);
        var server = await StartAsync(l => l.Echo());
        var client = await ConnectAsync(server.EndPoint);

        // The whole payload, then FIN, before reading a single byte: the echo must go on after the server saw the FIN.
        await client.SendAllAsync(payload, Deadline);
        client.Shutdown(SocketShutdown.Send);

        var echoed = await client.ReceiveExactlyAsync(payload.Length, Deadline);
        TestData.AssertSame(payload, echoed);
        Assert.True(await client.ReadEndAsync(Deadline), "Expected an orderly end of the stream (FIN) after the echo, got a reset.");

        var record = await server.Log.WaitForClientAsync(client.LocalEndPoint, Deadline);
        await WithinLimitAsync(record.Finished, $"The end of the handler of {record}");
        Assert.Null(record.EndedBy);
    }

    [Fact]
    public async Task Half_close_right_behind_the_data_echoes_everything_then_ends_the_stream()
    {
        // The FIN follows a small write at once, so that data and FIN usually reach the server together: the transport
        // must see the FIN even when the read that got the data did not fill its buffer.
        const int Count = 200;
        var server = await StartAsync(l => l.Echo());
        await Task.WhenAll(Enumerable.Range(0, Count).Select(async i =>
        {
            var client = await ConnectAsync(server.EndPoint);
            var payload = TestData.Create(1 + (i % 100), seed: 400 + i);
            await client.SendAllAsync(payload, Deadline);
            client.Shutdown(SocketShutdown.Send);
            var echoed = await client.ReceiveExactlyAsync(payload.Length, Deadline);
            TestData.AssertSame(payload, echoed);
            Assert.True(await client.ReadEndAsync(Deadline), "Expected an orderly end of the stream (FIN) after the echo, got a reset.");
        }));

        Assert.Equal(Count, server.Log.Records.Count);
    }

    [Fact]
    public async Task A_client_reset_mid_stream_disturbs_no_one_else()
    {
        var server = await StartAsync(l => l.Echo());
        var before = await ConnectAsync(server.EndPoint);
        await before.AssertEchoesAsync(TestData.Create(1000, seed: 50), Deadline);

        var resetPorts = new List<IPEndPoint>();
        for (int i = 0; i < 10; i++)
        {
            var doomed = await ConnectAsync(server.EndPoint);
            resetPorts.Add((IPEndPoint)doomed.LocalEndPoint!);

            // Data in flight both ways (the echo of what was sent is not read), then RST.
            await doomed.SendAllAsync(TestData.Create(256 * 1024, seed: 60 + i), Deadline);
            doomed.Reset();

            await before.AssertEchoesAsync(TestData.Create(10_000 + i, seed: 70 + i), Deadline);
        }

        // Every handler of a reset connection ends (a reset is an expected end, not a failure)...
        foreach (var endPoint in resetPorts)
        {
            var record = await server.Log.WaitForClientAsync(endPoint, Deadline);
            await WithinLimitAsync(record.Finished, $"The end of the handler of {record}");
        }

        // ...while the connection opened before keeps echoing, and new ones are accepted and echo exactly.
        await before.AssertEchoesAsync(TestData.Create(MiB, seed: 80), Deadline);
        var after = await ConnectAsync(server.EndPoint);
        await after.AssertEchoesAsync(TestData.Create(MiB, seed: 81), Deadline);
        Assert.False((await server.Log.WaitForClientAsync(before.LocalEndPoint, Deadline)).Finished.IsCompleted);
    }

    [Fact]
    public async Task A_client_that_stops_reading_keeps_server_memory_bounded()
    {
        const int Total = 64 * MiB;
        const int Chunk = 64 * 1024;
        const long Bound = 24 * MiB;
        var data = TestData.Create(Total, seed: 6);
        var server = await StartAsync(l => l.Echo());

        // Small, fixed client buffers, so that what the client manages to send is mostly what the server side holds.
        var client = await ConnectAsync(server.EndPoint, s =>
        {
            s.SendBufferSize = 128 * 1024;
            s.ReceiveBufferSize = 128 * 1024;
        });

        // Send without reading until a send makes no progress for a few seconds.
        long sent = 0;
        Task<int>? stalled = null;
        while (sent < Total)
        {
            var send = client.SendAsync(data.AsMemory((int)sent, (int)Math.Min(Chunk, Total - sent)), SocketFlags.None, Deadline).AsTask();
            try
            {
                sent += await send.WaitAsync(TimeSpan.FromSeconds(3), Deadline);
            }
            catch (TimeoutException)
            {
                stalled = send;
                break;
            }
        }

        var record = await server.Log.WaitForClientAsync(client.LocalEndPoint, Deadline);
        Output.WriteLine($"{Transport}: the client sent {sent:N0} bytes ({(stalled is null ? "no stall" : "then stalled")}); the handler had echoed {record.BytesEchoed:N0}.");
        Assert.True(stalled is not null, $"All {Total:N0} bytes were taken while the client read nothing: the server buffers without bound.");
        Assert.True(sent < Bound, $"The server side took {sent:N0} bytes before pushing back; expected well under {Bound:N0}.");

        // Now read: everything sent comes back exactly, the stalled send completes, and its bytes come back too.
        var echoedBeforeStall = await client.ReceiveExactlyAsync((int)sent, Deadline);
        TestData.AssertSame(data.AsSpan(0, (int)sent), echoedBeforeStall);
        int last = await WithinLimitAsync(stalled, "Completion of the stalled send once the client reads");
        var echoedOfStalledSend = await client.ReceiveExactlyAsync(last, Deadline);
        TestData.AssertSame(data.AsSpan((int)sent, last), echoedOfStalledSend);

        // The connection still works.
        await client.AssertEchoesAsync("still here"u8.ToArray(), Deadline);
        Assert.False(record.Finished.IsCompleted);
    }

    [Fact]
    public async Task MaxReadBufferSize_bounds_the_input_a_handler_has_not_read()
    {
        const int Limit = 32 * 1024;
        var server = await StartAsync(l => l.Tcp<HoldingConnectionHandler>(IPAddress.Loopback), transport: Transport.WithMaxReadBufferSize(Limit));
        var client = await ConnectAsync(server.EndPoint, s => s.SendBufferSize = 64 * 1024);
        var record = await server.Log.WaitForClientAsync(client.LocalEndPoint, Deadline);

        // The handler reads nothing: only the transport's limit stops its input growing, and then the client stalls.
        var (sent, stalled) = await SendUntilStalledAsync(client, TestData.Create(16 * MiB, seed: 32));
        Assert.True(stalled, $"The client sent all {sent:N0} bytes to a handler that reads nothing.");

        record.Release();
        await WithinLimitAsync(record.Finished, $"The end of the handler of {record}");
        Output.WriteLine($"{Transport}: the client sent {sent:N0} bytes, then stalled; the handler found {record.MaxBuffered:N0} buffered.");
        Assert.InRange(record.MaxBuffered, Limit, 4 * Limit);
    }

    [Fact]
    public async Task Stopping_the_host_closes_its_connections_and_refuses_new_ones()
    {
        var server = await StartAsync(l => l.Echo().Tcp<StubbornEchoConnectionHandler>(IPAddress.Loopback));
        var echoEndPoint = server.EndPoints[0];
        var stubbornEndPoint = server.EndPoints[1];
        var cooperative = new List<Socket>();
        var stubborn = new List<Socket>();
        for (int i = 0; i < 3; i++)
        {
            cooperative.Add(await ConnectAsync(echoEndPoint));
            stubborn.Add(await ConnectAsync(stubbornEndPoint));
        }

        foreach (var client in cooperative.Concat(stubborn))
        {
            await client.AssertEchoesAsync("ping"u8.ToArray(), Deadline);
        }

        var records = new List<ConnectionRecord>();
        foreach (var client in cooperative.Concat(stubborn))
        {
            records.Add(await server.Log.WaitForClientAsync(client.LocalEndPoint, Deadline));
        }

        // A short shutdown timeout: the cooperative handlers return when asked; the stubborn ones are aborted.
        await WithinLimitAsync(server.StopAsync(TimeSpan.FromSeconds(2)), "The host's stop");

        foreach (var client in cooperative)
        {
            Assert.True(await client.ReadEndAsync(Deadline), "A handler that returned when asked to close should end its connection with a FIN.");
        }

        foreach (var client in stubborn)
        {
            // An aborted connection ends with a FIN or a reset; either way it ends.
            await client.ReadEndAsync(Deadline);
        }

        foreach (var record in records)
        {
            await WithinLimitAsync(record.Finished, $"The end of the handler of {record}");
        }

        foreach (var endPoint in new[] { echoEndPoint, stubbornEndPoint })
        {
            var refused = await Assert.ThrowsAsync<SocketException>(() => Client.ConnectAsync(endPoint, Deadline));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }
    }

    [Fact]
    public async Task IPv6_loopback_endpoint_echoes()
    {
        var server = await StartAsync(l => l.Tcp<EchoConnectionHandler>(IPAddress.IPv6Loopback));
        Assert.Equal(AddressFamily.InterNetworkV6, server.EndPoint.AddressFamily);
        Assert.NotEqual(0, server.EndPoint.Port);

        var client = await ConnectAsync(server.EndPoint);
        await client.AssertEchoesAsync(TestData.Create(100_000, seed: 6), Deadline);

        var record = await server.Log.WaitForClientAsync(client.LocalEndPoint, Deadline);
        var local = Assert.IsType<IPEndPoint>(record.LocalEndPoint);
        Assert.Equal(IPAddress.IPv6Loopback, local.Address);
        Assert.Equal(server.EndPoint.Port, local.Port);
        AssertServedByTransport(record);
    }

    [Fact]
    public async Task IPv6_any_endpoint_is_dual_mode_and_accepts_IPv4_clients()
    {
        var server = await StartAsync(l => l.Tcp<EchoConnectionHandler>(IPAddress.IPv6Any));
        int port = server.EndPoint.Port;
        Assert.NotEqual(0, port);

        var v4 = await ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await v4.AssertEchoesAsync(TestData.Create(50_000, seed: 4), Deadline);
        var v6 = await ConnectAsync(new IPEndPoint(IPAddress.IPv6Loopback, port));
        await v6.AssertEchoesAsync(TestData.Create(50_000, seed: 6), Deadline);

        var v4Record = await server.Log.WaitForClientAsync(v4.LocalEndPoint, Deadline);
        var remote = Assert.IsType<IPEndPoint>(v4Record.RemoteEndPoint);
        Assert.True(ConnectionLog.SameAddress(remote.Address, IPAddress.Loopback), $"Remote address of the IPv4 client: {remote.Address}.");
        AssertServedByTransport(v4Record);
    }

    [Fact]
    public async Task Unix_domain_socket_endpoint_echoes_and_rebinds_after_restart()
    {
        string path = Path.Combine(Path.GetTempPath(), $"eh-{Guid.NewGuid():N}"[..20] + ".sock");
        try
        {
            var first = await StartAsync(l => l.Unix<EchoConnectionHandler>(path));
            Assert.True(File.Exists(path), "The listening socket's file does not exist.");
            var client = await ConnectAsync(new UnixDomainSocketEndPoint(path));
            await client.AssertEchoesAsync(TestData.Create(200_000, seed: 10), Deadline);
            client.Shutdown(SocketShutdown.Send);
            Assert.True(await client.ReadEndAsync(Deadline));
            AssertServedByTransport(await first.Log.WaitForAsync(_ => true, Deadline));
            await first.DisposeAsync();

            // The same path binds again after a restart, and echoes.
            var second = await StartAsync(l => l.Unix<EchoConnectionHandler>(path));
            var again = await ConnectAsync(new UnixDomainSocketEndPoint(path));
            await again.AssertEchoesAsync(TestData.Create(200_000, seed: 11), Deadline);
            Assert.Single(second.Log.Records);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Binding_a_port_in_use_fails_with_address_in_use()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        holder.Listen();
        int port = ((IPEndPoint)holder.LocalEndPoint!).Port;

        var error = await Assert.ThrowsAsync<IOException>(() => StartAsync(l => l.Tcp<EchoConnectionHandler>(IPAddress.Loopback, port)));
        Assert.IsType<AddressInUseException>(error.InnerException);
        Assert.Contains("address already in use", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);

        // The failed server took nothing: the port's owner still gets the connections.
        using var client = await Client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Deadline);
        using var accepted = await holder.AcceptAsync(Deadline);
        Assert.Equal(client.LocalEndPoint, accepted.RemoteEndPoint);
    }

    [Fact]
    public async Task Binding_a_port_another_server_on_this_transport_holds_fails_with_address_in_use()
    {
        var first = await StartAsync(l => l.Echo());
        int port = first.EndPoint.Port;

        var error = await Assert.ThrowsAsync<IOException>(() => StartAsync(l => l.Tcp<EchoConnectionHandler>(IPAddress.Loopback, port)));
        Assert.IsType<AddressInUseException>(error.InnerException);
        Assert.Contains("address already in use", error.Message, StringComparison.OrdinalIgnoreCase);

        var client = await ConnectAsync(first.EndPoint);
        await client.AssertEchoesAsync("first"u8.ToArray(), Deadline);
    }

    [Fact]
    public async Task Binding_a_unix_socket_path_a_live_server_holds_fails_with_address_in_use()
    {
        string path = Path.Combine(Path.GetTempPath(), $"eh-{Guid.NewGuid():N}"[..20] + ".sock");
        try
        {
            var first = await StartAsync(l => l.Unix<EchoConnectionHandler>(path));

            var error = await Assert.ThrowsAsync<IOException>(() => StartAsync(l => l.Unix<EchoConnectionHandler>(path)));
            Assert.IsType<AddressInUseException>(error.InnerException);

            // The first server keeps its socket file and its clients. (A transport may have probed the path with a
            // connection of its own to tell a live socket from a stale file; that is why no count of connections here.)
            Assert.True(File.Exists(path), "The failed server removed the live server's socket file.");
            var client = await ConnectAsync(new UnixDomainSocketEndPoint(path));
            await client.AssertEchoesAsync("still mine"u8.ToArray(), Deadline);
            Assert.Contains(first.Log.Records, r => r.BytesEchoed == "still mine"u8.Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Http1_over_the_transport_answers_requests_with_keep_alive()
    {
        var server = await StartAsync(
            l => l.Http(),
            app =>
            {
                app.UseRouting();
                app.UseEndpoints(endpoints =>
                {
                    endpoints.MapGet("/hello", context => context.Response.WriteAsync($"hello {context.Connection.Id}"));
                    endpoints.MapGet("/whoami", context => context.Response.WriteAsync($"{context.Connection.RemotePort} {context.Connection.LocalPort}"));
                    endpoints.MapPost("/echo", async context =>
                    {
                        context.Response.ContentType = "application/octet-stream";
                        await context.Request.Body.CopyToAsync(context.Response.Body, context.RequestAborted);
                    });
                });
            });

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1, UseProxy = false };
        using var http = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{server.EndPoint.Port}/") };

        var answers = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            answers.Add(await http.GetStringAsync(new Uri("hello", UriKind.Relative), Deadline));
        }

        Assert.All(answers, a => Assert.StartsWith("hello ", a, StringComparison.Ordinal));
        Assert.Single(answers.Distinct()); // One connection id: every request went over one kept-alive connection.

        var body = TestData.Create(MiB, seed: 12);
        using var content = new ByteArrayContent(body);
        using var response = await http.PostAsync(new Uri("echo", UriKind.Relative), content, Deadline);
        response.EnsureSuccessStatusCode();
        var echoedBody = await response.Content.ReadAsByteArrayAsync(Deadline);
        TestData.AssertSame(body, echoedBody);

        Assert.Equal(answers[0], await http.GetStringAsync(new Uri("hello", UriKind.Relative), Deadline));
        string[] ports = (await http.GetStringAsync(new Uri("whoami", UriKind.Relative), Deadline)).Split(' ');
        Assert.NotEqual("0", ports[0]);
        Assert.Equal(server.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), ports[1]);
    }

    [Fact]
    public async Task ConnectionClosed_fires_on_the_thread_pool_when_the_peer_closes()
    {
        var server = await StartAsync(l => l.Echo());
        var client = await ConnectAsync(server.EndPoint);
        await client.AssertEchoesAsync("bye soon"u8.ToArray(), Deadline);
        var record = await server.Log.WaitForClientAsync(client.LocalEndPoint, Deadline);
        Assert.False(record.ConnectionClosedFired.IsCompleted);

        client.Shutdown(SocketShutdown.Both);
        client.Close();

        Assert.True(await WithinLimitAsync(record.ConnectionClosedFired, "ConnectionClosed"), "ConnectionClosed fired on a thread that is not a thread-pool thread.");
        await WithinLimitAsync(record.Finished, $"The end of the handler of {record}");
    }

    [Fact]
    public async Task ConnectionClosed_fires_when_the_peer_resets_while_the_handler_is_not_reading()
    {
        var server = await StartAsync(l => l.Tcp<ClosedWatchingConnectionHandler>(IPAddress.Loopback));
        var client = await ConnectAsync(server.EndPoint);
        await client.SendAllAsync("unread"u8.ToArray(), Deadline);
        var record = await server.Log.WaitForClientAsync(client.LocalEndPoint, Deadline);
        Assert.False(record.ConnectionClosedFired.IsCompleted);

        client.Reset();

        Assert.True(await WithinLimitAsync(record.ConnectionClosedFired, "ConnectionClosed"), "ConnectionClosed fired on a thread that is not a thread-pool thread.");
        await WithinLimitAsync(record.Finished, $"The end of the handler of {record}");
    }

    [Fact]
    public async Task ConnectionClosed_fires_when_data_and_reset_arrive_together_and_the_handler_is_not_reading()
    {
        // Data and RST right behind each other, before the server has even accepted: the transport must see the reset
        // even when the read that got the data did not fill its buffer.
        const int Count = 20;
        var server = await StartAsync(l => l.Tcp<ClosedWatchingConnectionHandler>(IPAddress.Loopback));
        var clientEndPoints = new List<EndPoint>();
        for (int i = 0; i < Count; i++)
        {
            var client = await ConnectAsync(server.EndPoint);
            clientEndPoints.Add(client.LocalEndPoint!);
            await client.SendAllAsync(TestData.Create(10 + i, seed: 500 + i), Deadline);
            client.Reset();
        }

        foreach (var endPoint in clientEndPoints)
        {
            var record = await WithinLimitAsync(server.Log.WaitForClientAsync(endPoint, Deadline), $"A handler for the connection from {endPoint}");
            Assert.True(await WithinLimitAsync(record.ConnectionClosedFired, $"ConnectionClosed of {record}"), "ConnectionClosed fired on a thread that is not a thread-pool thread.");
            await WithinLimitAsync(record.Finished, $"The end of the handler of {record}");
        }
    }

    [Fact]
    public async Task ConnectionClosed_fires_when_the_peer_half_closes_and_the_output_stays_writable()
    {
        var server = await StartAsync(l => l.Tcp<ClosedWatchingConnectionHandler>(IPAddress.Loopback));
        var client = await ConnectAsync(server.EndPoint);
        var record = await server.Log.WaitForClientAsync(client.LocalEndPoint, Deadline);

        client.Shutdown(SocketShutdown.Send);

        Assert.True(await WithinLimitAsync(record.ConnectionClosedFired, "ConnectionClosed"), "ConnectionClosed fired on a thread that is not a thread-pool thread.");
        await WithinLimitAsync(record.Finished, $"The end of the handler of {record}");
        Assert.True(record.WroteAfterClosed);
        var goodbye = ClosedWatchingConnectionHandler.Goodbye;
        var received = await client.ReceiveExactlyAsync(goodbye.Length, Deadline);
        TestData.AssertSame(goodbye.Span, received);
        Assert.True(await client.ReadEndAsync(Deadline), "Expected a FIN after the goodbye.");
    }

    [Fact]
    public async Task Connections_have_their_endpoints_and_unique_ids()
    {
        const int Count = 20;
        var server = await StartAsync(l => l.Echo());
        var clients = new List<Socket>();
        for (int i = 0; i < Count; i++)
        {
            var client = await ConnectAsync(server.EndPoint);
            await client.AssertEchoesAsync(new[] { (byte)i }, Deadline);
            clients.Add(client);
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var client in clients)
        {
            var record = await server.Log.WaitForClientAsync(client.LocalEndPoint, Deadline);
            Assert.False(string.IsNullOrEmpty(record.ConnectionId));
            Assert.True(ids.Add(record.ConnectionId), $"Connection id {record.ConnectionId} is used twice.");
            Assert.Equal(client.RemoteEndPoint, record.LocalEndPoint);
            Assert.Equal(server.EndPoint, record.LocalEndPoint);
            Assert.Equal(client.LocalEndPoint, record.RemoteEndPoint);
            AssertServedByTransport(record);
        }

        Assert.Equal(Count, ids.Count);
    }
}

/// <summary>The suite on Kestrel's Sockets transport: the reference.</summary>
public sealed class SocketsTransportConformanceTests(ITestOutputHelper output)
    : TransportConformanceTests(TransportSelector.Sockets, output);

/// <summary>The suite on the native transport with its default options (io_uring on Linux).</summary>
public sealed class NativeTransportConformanceTests(ITestOutputHelper output)
    : TransportConformanceTests(TransportSelector.NativeDefaults, output);

/// <summary>The suite on the native transport with a listening socket per loop and application code run inline on the loops.</summary>
public sealed class NativeReusePortInlineTransportConformanceTests(ITestOutputHelper output)
    : TransportConformanceTests(TransportSelector.NativeReusePortInline, output);

/// <summary>The suite on the epoll engine.</summary>
public sealed class NativeEpollTransportConformanceTests(ITestOutputHelper output)
    : TransportConformanceTests(TransportSelector.NativeEpoll, output);

/// <summary>The suite on the epoll engine with one event loop for every connection.</summary>
public sealed class NativeEpollSingleLoopTransportConformanceTests(ITestOutputHelper output)
    : TransportConformanceTests(TransportSelector.NativeEpollSingleLoop, output);

/// <summary>The suite on the epoll engine with a listening socket per loop and application code run inline on the loops.</summary>
public sealed class NativeEpollReusePortInlineTransportConformanceTests(ITestOutputHelper output)
    : TransportConformanceTests(TransportSelector.NativeEpollReusePortInline, output);

/// <summary>The suite on the kqueue engine with macOS's struct kevent, over the epoll-backed kqueue emulation.</summary>
public sealed class NativeKqueueMacOSTransportConformanceTests(ITestOutputHelper output)
    : TransportConformanceTests(TransportSelector.NativeKqueueMacOS, output);

/// <summary>The suite on the kqueue engine with FreeBSD's struct kevent, over the epoll-backed kqueue emulation.</summary>
public sealed class NativeKqueueFreeBsdTransportConformanceTests(ITestOutputHelper output)
    : TransportConformanceTests(TransportSelector.NativeKqueueFreeBsd, output);

/// <summary>The suite on the io_uring engine with one loop and application code run inline on it.</summary>
public sealed class NativeIoUringSingleLoopInlineTransportConformanceTests(ITestOutputHelper output)
    : TransportConformanceTests(TransportSelector.NativeIoUringSingleLoopInline, output);
