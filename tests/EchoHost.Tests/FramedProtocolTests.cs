using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using EchoHost.Protocol;
using EchoHost.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;


namespace EchoHost.Tests;

/// <summary>
/// The framed endpoint over real loopback sockets on both transports: every row of docs/protocol.md's tables, pipelining,
/// odd splits of the byte stream, half-close, many clients, resets and graceful shutdown.
/// </summary>
public class FramedProtocolTests
{
    public static TheoryData<string> Transports => new() { "Sockets", "Native" };

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static MetadataItem Item(string key, string value) => new(key, Utf8(value));

    private static void AssertResponse(ReceivedFrame frame, ulong id, byte type, byte[] data)
    {
        Assert.True(frame.Kind == FrameKind.Response, $"expected a Response, got {frame}");
        Assert.Equal(id, frame.Id);
        Assert.Equal(type, frame.Type);
        Assert.Equal(data, frame.Data);
    }

    private static void AssertError(ReceivedFrame frame, string code, ulong id = 0, byte type = 0)
    {
        Assert.True(frame.Kind == FrameKind.Error, $"expected Error {code}, got {frame}");
        Assert.Equal(code, frame.Code);
        Assert.Equal(id, frame.Id);
        Assert.Equal(type, frame.Type);
        Assert.NotEmpty(frame.Text);
    }

    /// <summary>The connection still serves requests: an Echo goes and comes back.</summary>
    private static async Task AssertUsableAsync(FramedTestClient client, ulong id = 424242)
    {
        AssertResponse(await client.CallAsync(id, MessageTypes.Echo, Utf8("still here")), id, MessageTypes.Echo, Utf8("still here"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Echo_returns_data_and_metadata(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var client = await server.ConnectAsync();

        var frame = await client.CallAsync(7, MessageTypes.Echo, Utf8("hello"), Item("a", "1"), Item("trace", "xyz"));

        AssertResponse(frame, 7, MessageTypes.Echo, Utf8("hello"));
        Assert.Equal(2, frame.Metadata.Count);
        Assert.Equal(Utf8("1"), frame.Metadata["a"]);
        Assert.Equal(Utf8("xyz"), frame.Metadata["trace"]);

        // No data and no metadata: the 15-byte message.
        var empty = await client.CallAsync(ulong.MaxValue, MessageTypes.Echo, []);
        AssertResponse(empty, ulong.MaxValue, MessageTypes.Echo, []);
        Assert.Empty(empty.Metadata);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Reverse_reverses_scalars_of_utf8_and_bytes_of_anything_else(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var client = await server.ConnectAsync();

        var text = await client.CallAsync(1, MessageTypes.Reverse, Utf8("héllo 😀!"), Item("ignored", "x"));
        AssertResponse(text, 1, MessageTypes.Reverse, Utf8("!😀 olléh"));
        Assert.Empty(text.Metadata);

        byte[] notUtf8 = [0xFF, 0x01, 0xC3, 0x02];
        AssertResponse(await client.CallAsync(2, MessageTypes.Reverse, notUtf8), 2, MessageTypes.Reverse, [0x02, 0xC3, 0x01, 0xFF]);
        AssertResponse(await client.CallAsync(3, MessageTypes.Reverse, []), 3, MessageTypes.Reverse, []);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Uppercase_maps_scalar_by_scalar_and_refuses_invalid_utf8(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var client = await server.ConnectAsync();

        AssertResponse(await client.CallAsync(1, MessageTypes.Uppercase, Utf8("héllo")), 1, MessageTypes.Uppercase, Utf8("HÉLLO"));

        // Simple mapping: one scalar to one scalar, so ß stays ß; non-letters and astral scalars pass through.
        AssertResponse(await client.CallAsync(2, MessageTypes.Uppercase, Utf8("straße ǆ ω 😀 1")), 2, MessageTypes.Uppercase, Utf8("STRAßE Ǆ Ω 😀 1"));

        AssertError(await client.CallAsync(3, MessageTypes.Uppercase, [0x61, 0xC3]), ErrorCodes.InvalidUtf8, 3, MessageTypes.Uppercase);
        await AssertUsableAsync(client);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Stats_is_json_with_the_integer_fields(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var other = await server.ConnectAsync();
        await AssertUsableAsync(other);
        using var client = await server.ConnectAsync();
        await AssertUsableAsync(client);

        var frame = await client.CallAsync(9, MessageTypes.Stats, []);

        AssertResponse(frame, 9, MessageTypes.Stats, frame.Data);
        using var json = JsonDocument.Parse(frame.Data);
        var root = json.RootElement;
        foreach (var field in new[] { "activeConnections", "totalConnections", "messagesHandled", "errors", "bytesReceived", "bytesSent", "uptimeSeconds" })
        {
            Assert.True(root.GetProperty(field).TryGetInt64(out var value), $"{field} is not an integer");
            Assert.True(value >= 0, $"{field} is negative");
        }

        Assert.Equal(2, root.GetProperty("activeConnections").GetInt64());
        Assert.True(root.GetProperty("totalConnections").GetInt64() >= 2);

        // Published once per batch: the two echoes were answered in batches before this one.
        Assert.True(root.GetProperty("messagesHandled").GetInt64() >= 2);
        Assert.True(root.GetProperty("bytesReceived").GetInt64() >= 2 * 23);
        Assert.True(root.GetProperty("bytesSent").GetInt64() >= 2 * 23);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Ping_gets_pong_with_the_same_payload(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var client = await server.ConnectAsync();

        var payload = Loopback.Payload(1000, 5);
        await client.SendAsync(FramedTestClient.Frame((byte)FrameKind.Ping, payload));
        var pong = await client.ReadFrameAsync();
        Assert.Equal(FrameKind.Pong, pong.Kind);
        Assert.Equal(payload, pong.Payload);

        await client.SendAsync(FramedTestClient.Frame((byte)FrameKind.Ping, []));
        var empty = await client.ReadFrameAsync();
        Assert.Equal(FrameKind.Pong, empty.Kind);
        Assert.Empty(empty.Payload);
    }

    [Theory]
    [InlineData("Sockets", 0x11)]
    [InlineData("Native", 0x00)]
    [InlineData("Sockets", 0x41)]
    [InlineData("Native", 0x56)]
    [InlineData("Sockets", 0xF0)]
    [InlineData("Native", 0xFF)]
    public async Task Type_without_a_handler_gets_unknown_type_with_its_id_and_type(string transport, byte type)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var client = await server.ConnectAsync();

        AssertError(await client.CallAsync(77, type, Utf8("x")), ErrorCodes.UnknownType, 77, type);
        await AssertUsableAsync(client);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Bad_header_skips_the_payload_and_keeps_the_connection(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var client = await server.ConnectAsync();
        var request = FramedTestClient.MessageBytes(5, MessageTypes.Echo, Utf8("payload"));

        foreach (var (flags, reserved) in new (byte, ushort)[] { (1, 0), (2, 0), (0x80, 0), (0, 1), (0, 0x8000), (3, 0xFFFF) })
        {
            await client.SendAsync(FramedTestClient.Frame((byte)FrameKind.Request, request, flags, reserved));
            AssertError(await client.ReadFrameAsync(), ErrorCodes.BadHeader);
            await AssertUsableAsync(client);
        }

        // A Ping with a bad header is a bad header too, not a Ping.
        await client.SendAsync(FramedTestClient.Frame((byte)FrameKind.Ping, Utf8("p"), flags: 1));
        AssertError(await client.ReadFrameAsync(), ErrorCodes.BadHeader);
        await AssertUsableAsync(client);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Kinds_a_client_may_not_send_get_unknown_kind_and_keep_the_connection(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var client = await server.ConnectAsync();
        var message = FramedTestClient.MessageBytes(5, MessageTypes.Echo, Utf8("payload"));

        foreach (var kind in new byte[] { 0x00, (byte)FrameKind.Response, (byte)FrameKind.Error, (byte)FrameKind.Pong, (byte)FrameKind.GoAway, 0x07, 0x7F, 0xFF })
        {
            await client.SendAsync(FramedTestClient.Frame(kind, message));
            AssertError(await client.ReadFrameAsync(), ErrorCodes.UnknownKind);
            await AssertUsableAsync(client);
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Malformed_messages_get_malformed_message_and_keep_the_connection(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var client = await server.ConnectAsync();
        var valid = FramedTestClient.MessageBytes(5, MessageTypes.Echo, Utf8("abc"), (Utf8("k"), Utf8("v")));
        byte[][] payloads =
        [
            [],
            valid[..14],
            valid[..^1],
            [.. valid, 0],
            FramedTestClient.MessageBytes(5, MessageTypes.Echo, Utf8("abc"), (Array.Empty<byte>(), Utf8("v"))),
            FramedTestClient.MessageBytes(5, MessageTypes.Echo, Utf8("abc"), (Utf8("k"), Utf8("1")), (Utf8("k"), Utf8("2"))),
            FramedTestClient.MessageBytes(5, MessageTypes.Echo, Utf8("abc"), ([0xFF, 0xFE], Utf8("v"))),
        ];

        foreach (var payload in payloads)
        {
            await client.SendAsync(FramedTestClient.Frame((byte)FrameKind.Request, payload));
            AssertError(await client.ReadFrameAsync(), ErrorCodes.MalformedMessage);
            await AssertUsableAsync(client);
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Frame_of_exactly_max_frame_bytes_is_served_and_one_byte_more_is_too_large_then_closed(string transport)
    {
        const int max = 64 * 1024;
        await using var server = await FramedServer.StartAsync(transport, $"--EchoHost:Framed:MaxFrameBytes={max}");
        using var client = await server.ConnectAsync();

        var data = Loopback.Payload(max - Message.MinimumSize, 3);
        var exact = FramedTestClient.Request(1, MessageTypes.Echo, data);
        Assert.Equal(Frame.HeaderSize + max, exact.Length);
        AssertResponse(await client.CallAsync(1, MessageTypes.Echo, data), 1, MessageTypes.Echo, data);

        // The header alone says it: the server does not wait for the payload.
        await client.SendAsync(FramedTestClient.Frame((byte)FrameKind.Request, [], length: max + 1));
        var frames = await client.ReadUntilClosedAsync();
        AssertError(Assert.Single(frames), ErrorCodes.FrameTooLarge);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Http_text_is_a_frame_too_large_then_closed(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var client = await server.ConnectAsync();

        // "GET " read as a Length is 0x47455420, far more than 1 MiB.
        await client.SendAsync(Utf8("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));

        AssertError(Assert.Single(await client.ReadUntilClosedAsync()), ErrorCodes.FrameTooLarge);
    }

    /// <remarks>
    /// Native only: Kestrel's Sockets transport shuts down both directions of the socket as soon as the output is
    /// complete, so no handler on it can linger, and the kernel resets the connection.
    /// </remarks>
    [Fact]
    public async Task After_frame_too_large_the_connection_ends_with_a_FIN_though_the_client_sent_more()
    {
        await using var server = await FramedServer.StartAsync("Native", "--EchoHost:Framed:MaxFrameBytes=1024");
        using var client = await server.ConnectAsync();

        // The server stops reading at the oversized header. Closing with input unread would make the kernel send a
        // reset (which on a real network can destroy answers still in flight): more than the server's and the
        // kernel's buffers hold follows, so some is surely unread when the answers are done; the server must linger.
        await client.SendAsync([
            .. FramedTestClient.Request(1, MessageTypes.Echo, Utf8("before")),
            .. FramedTestClient.Frame((byte)FrameKind.Request, [], length: 1025),
        ]);
        var more = client.SendAsync(Loopback.Payload(16 * 1024 * 1024, 7));

        var frames = new List<ReceivedFrame>();
        while (await client.TryReadFrameAsync() is { } frame)
        {
            frames.Add(frame);
        }

        Assert.Equal(2, frames.Count);
        AssertResponse(frames[0], 1, MessageTypes.Echo, Utf8("before"));
        AssertError(frames[1], ErrorCodes.FrameTooLarge);
        await more.WaitAsync(Loopback.Timeout);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Frame_too_large_still_answers_the_requests_read_before_it(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport, "--EchoHost:Framed:MaxFrameBytes=1024");
        using var client = await server.ConnectAsync();

        await client.SendAsync([
            .. FramedTestClient.Request(1, TestHandlers.Async, Utf8("async")),
            .. FramedTestClient.Request(2, MessageTypes.Echo, Utf8("sync")),
            .. FramedTestClient.Frame((byte)FrameKind.Request, [], length: 1025),
        ]);

        var frames = await client.ReadUntilClosedAsync();
        Assert.Equal(3, frames.Count);
        AssertError(Assert.Single(frames, f => f.Kind == FrameKind.Error), ErrorCodes.FrameTooLarge);
        Assert.Equal([1UL, 2UL], frames.Where(f => f.Kind == FrameKind.Response).Select(f => f.Id).Order());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_thousand_pipelined_requests_are_answered_exactly_once(string transport)
    {
        // A small in-flight bound, so that reading pauses many times on the way (back-pressure, not an error).
        await using var server = await FramedServer.StartAsync(transport, "--EchoHost:Framed:MaxInFlightPerConnection=8");
        using var client = await server.ConnectAsync();
        const int count = 1000;
        byte[] types = [MessageTypes.Echo, TestHandlers.Async, MessageTypes.Reverse, TestHandlers.Sync];

        using var stream = new MemoryStream();
        for (var id = 0UL; id < count; id++)
        {
            stream.Write(FramedTestClient.Request(id, types[id % 4], Utf8($"request {id}")));
        }

        var reading = Task.Run(async () =>
        {
            var frames = new List<ReceivedFrame>();
            for (var i = 0; i < count; i++)
            {
                frames.Add(await client.ReadFrameAsync());
            }

            return frames;
        });
        await client.SendAsync(stream.ToArray());
        var answers = await reading;

        Assert.All(answers, a => Assert.Equal(FrameKind.Response, a.Kind));
        Assert.Equal(Enumerable.Range(0, count).Select(i => (ulong)i), answers.Select(a => a.Id).Order());
        foreach (var answer in answers)
        {
            var expected = (answer.Id % 4) switch
            {
                0 or 1 => $"request {answer.Id}",
                2 => new string($"request {answer.Id}".Reverse().ToArray()),
                _ => $"request {answer.Id}!",
            };
            Assert.Equal(types[answer.Id % 4], answer.Type);
            Assert.Equal(expected, answer.Text);
        }

        Assert.Equal(Utf8("async"), answers.Single(a => a.Id == 1).Metadata["path"]);
        Assert.Equal(Utf8("sync"), answers.Single(a => a.Id == 3).Metadata["path"]);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task At_the_in_flight_bound_reading_pauses_until_a_request_is_answered(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport, "--EchoHost:Framed:MaxInFlightPerConnection=1");
        using var client = await server.ConnectAsync();

        // The Echo behind the held request is not even read until the held one is answered, so its answer comes second
        // although Echo answers at once.
        await client.SendAsync([
            .. FramedTestClient.Request(1, TestHandlers.Gated, Utf8("held")),
            .. FramedTestClient.Request(2, MessageTypes.Echo, Utf8("behind")),
        ]);
        await server.Gate.WaitForEnteredAsync(1);
        server.Gate.Release();

        AssertResponse(await client.ReadFrameAsync(), 1, TestHandlers.Gated, Utf8("held"));
        AssertResponse(await client.ReadFrameAsync(), 2, MessageTypes.Echo, Utf8("behind"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task One_concurrent_handler_for_the_process_still_answers_every_connection(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport, "--EchoHost:Framed:MaxConcurrentHandlers=1");

        await Task.WhenAll(Enumerable.Range(0, 4).Select(async c =>
        {
            using var client = await server.ConnectAsync();
            for (var id = 0UL; id < 10; id++)
            {
                await client.SendRequestAsync(id, TestHandlers.Async, Utf8($"{c}/{id}"));
            }

            var answers = new List<ReceivedFrame>();
            for (var i = 0; i < 10; i++)
            {
                answers.Add(await client.ReadFrameAsync());
            }

            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{c}/{i}"), answers.OrderBy(a => a.Id).Select(a => a.Text));
        }));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_request_sent_one_byte_at_a_time_is_answered(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var client = await server.ConnectAsync();
        client.Socket.NoDelay = true;

        var request = FramedTestClient.Request(11, MessageTypes.Echo, Utf8("slowly"), Item("k", "v"));
        foreach (var b in request)
        {
            await client.SendAsync(new[] { b });
        }

        var frame = await client.ReadFrameAsync();
        AssertResponse(frame, 11, MessageTypes.Echo, Utf8("slowly"));
        Assert.Equal(Utf8("v"), frame.Metadata["k"]);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Random_splits_of_a_stream_of_frames_get_the_same_answers(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        var random = new Random(2026);
        using var stream = new MemoryStream();
        const int count = 200;
        for (var id = 0UL; id < count; id++)
        {
            var frame = (id % 5) switch
            {
                0 => FramedTestClient.Frame((byte)FrameKind.Ping, Loopback.Payload((int)id, (int)id)),
                1 => FramedTestClient.Request(id, MessageTypes.Reverse, Loopback.Payload(random.Next(0, 3000), (int)id)),
                2 => FramedTestClient.Request(id, TestHandlers.Async, Loopback.Payload(random.Next(0, 300), (int)id)),
                _ => FramedTestClient.Request(id, MessageTypes.Echo, Loopback.Payload(random.Next(0, 3000), (int)id), Item("id", id.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            };
            stream.Write(frame);
        }

        var bytes = stream.ToArray();
        for (var round = 0; round < 3; round++)
        {
            using var client = await server.ConnectAsync();
            client.Socket.NoDelay = true;
            var reading = Task.Run(async () =>
            {
                var frames = new List<ReceivedFrame>();
                for (var i = 0; i < count; i++)
                {
                    frames.Add(await client.ReadFrameAsync());
                }

                return frames;
            });

            for (var offset = 0; offset < bytes.Length;)
            {
                var chunk = Math.Min(bytes.Length - offset, random.Next(1, 700));
                await client.SendAsync(bytes.AsMemory(offset, chunk));
                offset += chunk;
            }

            var answers = await reading;
            Assert.Equal(count / 5, answers.Count(a => a.Kind == FrameKind.Pong));
            var responses = answers.Where(a => a.Kind == FrameKind.Response).ToList();
            Assert.Equal(count - (count / 5), responses.Count);
            Assert.Equal(responses.Count, responses.Select(r => r.Id).Distinct().Count());
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Half_close_gets_every_answer_then_end_of_stream(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var client = await server.ConnectAsync();
        using var stream = new MemoryStream();
        for (var id = 0UL; id < 50; id++)
        {
            stream.Write(FramedTestClient.Request(id, id % 2 == 0 ? MessageTypes.Echo : TestHandlers.Async, Utf8($"m{id}")));
        }

        // And an incomplete frame at the end, which the server drops with the connection.
        stream.Write(FramedTestClient.Request(999, MessageTypes.Echo, Utf8("cut")).AsSpan(0, 10));

        await client.SendAsync(stream.ToArray());
        client.Socket.Shutdown(SocketShutdown.Send);

        var answers = await client.ReadUntilClosedAsync();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (ulong)i), answers.Select(a => a.Id).Order());
        Assert.All(answers, a => Assert.Equal($"m{a.Id}", a.Text));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Two_hundred_connections_at_once_each_get_their_own_answers(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);

        await Task.WhenAll(Enumerable.Range(0, 200).Select(async c =>
        {
            using var client = await server.ConnectAsync();
            for (var i = 0; i < 3; i++)
            {
                var id = (ulong)((c * 10) + i);
                var data = Loopback.Payload(100 + c, c * 10 + i);
                var type = i == 1 ? TestHandlers.Async : MessageTypes.Echo;
                AssertResponse(await client.CallAsync(id, type, data), id, type, data);
            }
        }));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Resets_mid_frame_disturb_no_one_and_log_no_error(string transport)
    {
        // The slow requests of a reset connection are abandoned when the server learns of the reset. Should it learn
        // only at the handler timeout (a reset can reach the read loop as a plain end of input, like a half-close, when
        // a send took the error first), a short timeout keeps the host's stop short.
        FramedServer server = await FramedServer.StartAsync(transport, "--EchoHost:Framed:HandlerTimeout=00:00:05");
        await using (server)
        {
            using var bystander = await server.ConnectAsync();
            await AssertUsableAsync(bystander, 1);

            for (var i = 0; i < 20; i++)
            {
                var socket = await Loopback.ConnectAsync(server.EndPoint);

                // Whole requests (some held by a slow handler), then half a frame, then a reset.
                var request = FramedTestClient.Request((ulong)i, MessageTypes.Echo, Loopback.Payload(50_000, i));
                await Loopback.SendAllAsync(socket, (byte[])[
                    .. FramedTestClient.Request(1, TestHandlers.Async, Utf8("a")),
                    .. FramedTestClient.Request(2, TestHandlers.Slow, Utf8("s")),
                    .. request,
                    .. request.AsSpan(0, request.Length / 2),
                ]);
                Loopback.Reset(socket);
            }

            await AssertUsableAsync(bystander, 2);
            using var newcomer = await server.ConnectAsync();
            await AssertUsableAsync(newcomer, 3);

            // Stopping waits for every connection's handler, so whatever they would log has been logged.
            await server.App.StopAsync();
        }

        Assert.Empty(server.Log.Problems);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Throwing_handlers_get_handler_failed_and_are_logged_while_other_requests_are_answered(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var client = await server.ConnectAsync();

        await client.SendAsync([
            .. FramedTestClient.Request(1, TestHandlers.Throwing, Utf8("x")),
            .. FramedTestClient.Request(2, MessageTypes.Echo, Utf8("two")),
            .. FramedTestClient.Request(3, TestHandlers.SyncThrowing, Utf8("x")),
            .. FramedTestClient.Request(4, TestHandlers.Async, Utf8("four")),
        ]);
        var answers = new List<ReceivedFrame>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await client.ReadFrameAsync());
        }

        var byId = answers.ToDictionary(a => a.Id);
        AssertError(byId[1], ErrorCodes.HandlerFailed, 1, TestHandlers.Throwing);
        AssertResponse(byId[2], 2, MessageTypes.Echo, Utf8("two"));
        AssertError(byId[3], ErrorCodes.HandlerFailed, 3, TestHandlers.SyncThrowing);
        AssertResponse(byId[4], 4, TestHandlers.Async, Utf8("four"));
        await AssertUsableAsync(client);

        Assert.Contains(server.Log.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("the test handler fails on purpose", StringComparison.Ordinal));
        Assert.Contains(server.Log.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("the synchronous test handler fails on purpose", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Handler_past_the_timeout_gets_timeout_while_other_requests_are_answered(string transport)
    {
        var time = new FakeTimeProvider();
        await using var server = await FramedServer.StartAsync(transport, time, "--EchoHost:Framed:HandlerTimeout=00:00:00.300");
        using var client = await server.ConnectAsync();

        await client.SendAsync(FramedTestClient.Request(1, TestHandlers.Slow, Utf8("x")));
        for (var id = 2UL; id < 6; id++)
        {
            AssertResponse(await client.CallAsync(id, MessageTypes.Echo, Utf8("meanwhile")), id, MessageTypes.Echo, Utf8("meanwhile"));
        }

        // The handler's timer starts once it has been called, on the thread pool: time moves on until the answer comes.
        var timedOut = client.ReadFrameAsync();
        while (!timedOut.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.WhenAny(timedOut, Task.Run(Thread.Yield));
        }

        AssertError(await timedOut, ErrorCodes.Timeout, 1, TestHandlers.Slow);
        await AssertUsableAsync(client);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Application_handlers_answer_on_both_paths_up_to_the_last_application_type(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var client = await server.ConnectAsync();

        var sync = await client.CallAsync(1, TestHandlers.Sync, Utf8("fast"));
        AssertResponse(sync, 1, TestHandlers.Sync, Utf8("fast!"));
        Assert.Equal(Utf8("sync"), sync.Metadata["path"]);

        var async = await client.CallAsync(2, TestHandlers.Async, Utf8("slow"));
        AssertResponse(async, 2, TestHandlers.Async, Utf8("slow"));
        Assert.Equal(Utf8("async"), async.Metadata["path"]);

        AssertResponse(await client.CallAsync(3, TestHandlers.Last, []), 3, TestHandlers.Last, Utf8("last"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Host_stop_sends_go_away_and_answers_every_request_read_before_closing(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var client = await server.ConnectAsync();
        const int held = 5;
        for (var id = 0UL; id < held; id++)
        {
            await client.SendRequestAsync(id, TestHandlers.Gated, Utf8($"held {id}"));
        }

        AssertResponse(await client.CallAsync(100, MessageTypes.Echo, Utf8("quick")), 100, MessageTypes.Echo, Utf8("quick"));
        await server.Gate.WaitForEnteredAsync(held);

        var stopping = server.App.StopAsync();
        var goAway = await client.ReadFrameAsync();
        Assert.Equal(FrameKind.GoAway, goAway.Kind);
        Assert.Equal("server shutting down", Encoding.UTF8.GetString(goAway.Payload));

        server.Gate.Release();
        var answers = await client.ReadUntilClosedAsync();
        Assert.Equal(Enumerable.Range(0, held).Select(i => (ulong)i), answers.Select(a => a.Id).Order());
        Assert.All(answers, a => Assert.Equal($"held {a.Id}", a.Text));
        await stopping;
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Requests_sent_after_go_away_do_not_cost_the_answers_to_those_read_before(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var client = await server.ConnectAsync();
        const int held = 5;
        for (var id = 0UL; id < held; id++)
        {
            await client.SendRequestAsync(id, TestHandlers.Gated, Utf8($"held {id}"));
        }

        await server.Gate.WaitForEnteredAsync(held);
        var stopping = server.App.StopAsync();
        Assert.Equal(FrameKind.GoAway, (await client.ReadFrameAsync()).Kind);

        // A client that has not seen the GoAway yet keeps sending: the server reads none of it.
        for (var id = 100UL; id < 150; id++)
        {
            await client.SendRequestAsync(id, MessageTypes.Echo, Loopback.Payload(1000, (int)id));
        }

        server.Gate.Release();
        var answers = await client.ReadUntilClosedAsync();
        Assert.Equal(Enumerable.Range(0, held).Select(i => (ulong)i), answers.Select(a => a.Id).Order());
        await stopping;
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Host_stop_closes_an_idle_framed_connection_after_go_away(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var client = await server.ConnectAsync();
        await AssertUsableAsync(client);

        await server.App.StopAsync();

        var frames = await client.ReadUntilClosedAsync();
        Assert.Equal(FrameKind.GoAway, Assert.Single(frames).Kind);
    }
}
