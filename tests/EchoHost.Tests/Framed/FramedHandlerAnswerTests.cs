using System.Buffers;
using System.Text;
using System.Text.Json;
using EchoHost.Connections;
using EchoHost.Protocol;
using EchoHost.Serving.Framed;
using EchoHost.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace EchoHost.Tests.Framed;

/// <summary>
/// How a handler's answer reaches the client, the built-ins' and the application's alike, over an in-memory connection:
/// Responses, Errors a handler sets, answers too large for a frame, and what each is counted as.
/// </summary>
public sealed class FramedHandlerAnswerTests
{
    private const byte SyncError = 0x60;
    private const byte AsyncError = 0x61;
    private const byte LargeResponse = 0x62;
    private const byte LargeError = 0x63;
    private const byte BadCode = 0x64;

    // Slots of the per-Type counters: 0 is for Types nobody serves, then the built-ins in their order.
    private const int EchoSlot = 1;
    private const int ReverseSlot = 2;
    private const int UppercaseSlot = 3;
    private const int StatsSlot = 4;

    private const string HandlerTooLargeText = "the handler's response is larger than MaxFrameBytes";

    private static readonly FramedHandlerRegistration[] Handlers =
    [
        new(SyncError, _ => new SyncErrorHandler(), "sync-error"),
        new(AsyncError, _ => new AsyncErrorHandler(), "async-error"),
        new(LargeResponse, _ => new LargeResponseHandler(), "large-response"),
        new(LargeError, _ => new LargeErrorHandler(), "large-error"),
        new(BadCode, _ => new BadCodeHandler(), "bad-code"),
    ];

    private static int ErrorsOf(InMemoryFramedConnection connection, string code) =>
        (int)connection.Counters.Errors[FramedCounterNames.ErrorSlot(code)];

    private static async Task<List<ReceivedFrame>> ExchangeAsync(InMemoryFramedConnection connection, params byte[][] requests)
    {
        foreach (var request in requests)
        {
            await connection.SendAsync(request);
        }

        await connection.HalfCloseAsync();
        return await connection.ReadUntilEndAsync();
    }

    [Fact]
    public async Task Echo_returns_the_data_and_metadata_and_is_counted_as_an_echo()
    {
        await using var connection = new InMemoryFramedConnection(new FakeTimeProvider());

        var frames = await ExchangeAsync(
            connection,
            FramedTestClient.Request(1, MessageTypes.Echo, "hello"u8, new MetadataItem("trace", "t-1"u8.ToArray()), new MetadataItem("k", "v"u8.ToArray())),
            FramedTestClient.Request(2, MessageTypes.Echo, []));

        Assert.Collection(
            frames,
            first =>
            {
                Assert.Equal((FrameKind.Response, 1ul, MessageTypes.Echo, "hello"), (first.Kind, first.Id, first.Type, first.Text));
                Assert.Equal(2, first.Metadata.Count);
                Assert.Equal("t-1"u8.ToArray(), first.Metadata["trace"]);
                Assert.Equal("v"u8.ToArray(), first.Metadata["k"]);
            },
            empty => Assert.Equal((FrameKind.Response, 2ul, 0, 0), (empty.Kind, empty.Id, empty.Data.Length, empty.Metadata.Count)));
        Assert.Equal(2, connection.Counters.MessagesHandled[EchoSlot]);
    }

    [Fact]
    public async Task Reverse_reverses_scalars_of_utf8_and_bytes_of_anything_else()
    {
        await using var connection = new InMemoryFramedConnection(new FakeTimeProvider());
        // Larger than a pipe's segment: the request's Data reaches the handler in more than one piece. (Under the pipes'
        // 64 KiB pause threshold, which the in-memory connection's frames must stay below.)
        var large = Enumerable.Range(0, 20_000).Select(i => (byte)(i % 251)).ToArray();

        var frames = await ExchangeAsync(
            connection,
            FramedTestClient.Request(1, MessageTypes.Reverse, Encoding.UTF8.GetBytes("héllo😀")),
            FramedTestClient.Request(2, MessageTypes.Reverse, [0xFF, 0x01, 0x02]),
            FramedTestClient.Request(3, MessageTypes.Reverse, large));

        Assert.Collection(
            frames,
            text => Assert.Equal((FrameKind.Response, "😀olléh"), (text.Kind, text.Text)),
            bytes => Assert.Equal(new byte[] { 0x02, 0x01, 0xFF }, bytes.Data),
            big => Assert.Equal(large.Reverse().ToArray(), big.Data));
        Assert.Equal(3, connection.Counters.MessagesHandled[ReverseSlot]);
        Assert.All(frames, f => Assert.Empty(f.Metadata));
    }

    [Fact]
    public async Task Uppercase_maps_scalars_and_answers_invalid_utf8_with_its_code_and_text()
    {
        await using var connection = new InMemoryFramedConnection(new FakeTimeProvider());

        var frames = await ExchangeAsync(
            connection,
            FramedTestClient.Request(1, MessageTypes.Uppercase, Encoding.UTF8.GetBytes("héllo ß")),
            FramedTestClient.Request(2, MessageTypes.Uppercase, [0x61, 0xC3]),
            FramedTestClient.Request(3, MessageTypes.Uppercase, "after"u8));

        Assert.Collection(
            frames,
            upper => Assert.Equal((FrameKind.Response, "HÉLLO ß"), (upper.Kind, upper.Text)),
            invalid =>
            {
                Assert.Equal((FrameKind.Error, 2ul, MessageTypes.Uppercase, ErrorCodes.InvalidUtf8), (invalid.Kind, invalid.Id, invalid.Type, invalid.Code));
                Assert.Equal("Uppercase needs UTF-8 text; the request's Data is not valid UTF-8", invalid.Text);
                Assert.Single(invalid.Metadata);
            },
            after => Assert.Equal((FrameKind.Response, "AFTER"), (after.Kind, after.Text)));
        Assert.Equal(3, connection.Counters.MessagesHandled[UppercaseSlot]);
        Assert.Equal(1, ErrorsOf(connection, ErrorCodes.InvalidUtf8));
        Assert.Equal((2, 1), (connection.Counters.FramesSent[0], connection.Counters.FramesSent[1]));
    }

    [Fact]
    public async Task Uppercase_that_grows_past_max_frame_bytes_gets_handler_failed_as_any_handler_would()
    {
        await using var connection = new InMemoryFramedConnection(
            new FakeTimeProvider(), new Dictionary<string, string?> { ["EchoHost:Framed:MaxFrameBytes"] = "64" });

        // U+0250 (2 bytes) upper-cases to U+2C6F (3 bytes): 48 bytes of Data fit a 64-byte payload, 72 do not.
        var frames = await ExchangeAsync(connection, FramedTestClient.Request(1, MessageTypes.Uppercase, Encoding.UTF8.GetBytes(new string('\u0250', 24))));

        var error = Assert.Single(frames);
        Assert.Equal((FrameKind.Error, 1ul, MessageTypes.Uppercase, ErrorCodes.HandlerFailed), (error.Kind, error.Id, error.Type, error.Code));
        Assert.Equal(HandlerTooLargeText, error.Text);
        Assert.Equal(1, ErrorsOf(connection, ErrorCodes.HandlerFailed));
        Assert.Equal(1, connection.Counters.MessagesHandled[UppercaseSlot]);
    }

    [Fact]
    public async Task Stats_answers_its_json_and_a_later_stats_counts_the_answers_before_it()
    {
        await using var connection = new InMemoryFramedConnection(new FakeTimeProvider());

        var frames = await ExchangeAsync(connection, FramedTestClient.Request(1, MessageTypes.Stats, []));

        var stats = Assert.Single(frames);
        Assert.Equal((FrameKind.Response, 1ul, MessageTypes.Stats), (stats.Kind, stats.Id, stats.Type));
        using var json = JsonDocument.Parse(stats.Data);
        foreach (var field in new[] { "activeConnections", "totalConnections", "messagesHandled", "errors", "bytesReceived", "bytesSent", "uptimeSeconds" })
        {
            Assert.Equal(JsonValueKind.Number, json.RootElement.GetProperty(field).ValueKind);
        }

        Assert.Equal(1, connection.Counters.MessagesHandled[StatsSlot]);
    }

    [Fact]
    public async Task An_application_handler_answers_with_an_error_on_either_path_in_place_of_what_it_wrote()
    {
        await using var connection = new InMemoryFramedConnection(new FakeTimeProvider(), handlers: Handlers);

        var frames = await ExchangeAsync(
            connection,
            FramedTestClient.Request(1, SyncError, "x"u8),
            FramedTestClient.Request(2, AsyncError, "y"u8),
            FramedTestClient.Request(3, MessageTypes.Echo, "still here"u8));

        var byId = frames.ToDictionary(f => f.Id);
        Assert.Equal(3, byId.Count);
        Assert.Equal((FrameKind.Error, SyncError, ErrorCodes.InvalidUtf8, "needs text: é"), (byId[1].Kind, byId[1].Type, byId[1].Code, byId[1].Text));
        Assert.Equal((FrameKind.Error, AsyncError, ErrorCodes.HandlerFailed, "the store is unavailable"), (byId[2].Kind, byId[2].Type, byId[2].Code, byId[2].Text));
        Assert.All(new[] { byId[1], byId[2] }, error => Assert.Equal([ErrorCodes.MetadataKey], error.Metadata.Keys));
        Assert.Equal((FrameKind.Response, "still here"), (byId[3].Kind, byId[3].Text));
        Assert.Equal((1, 1), (ErrorsOf(connection, ErrorCodes.InvalidUtf8), ErrorsOf(connection, ErrorCodes.HandlerFailed)));
        Assert.Equal(3, connection.Counters.MessagesHandled.Sum());
    }

    [Fact]
    public async Task A_response_or_an_error_larger_than_max_frame_bytes_gets_handler_failed_with_the_one_text()
    {
        await using var connection = new InMemoryFramedConnection(
            new FakeTimeProvider(), new Dictionary<string, string?> { ["EchoHost:Framed:MaxFrameBytes"] = "64" }, Handlers);

        var frames = await ExchangeAsync(
            connection,
            FramedTestClient.Request(1, LargeResponse, "49"u8),
            FramedTestClient.Request(2, LargeResponse, "50"u8),
            FramedTestClient.Request(3, LargeError, []));

        Assert.Collection(
            frames,
            fits => Assert.Equal((FrameKind.Response, 49), (fits.Kind, fits.Data.Length)),
            tooLarge => Assert.Equal((FrameKind.Error, 2ul, ErrorCodes.HandlerFailed, HandlerTooLargeText), (tooLarge.Kind, tooLarge.Id, tooLarge.Code, tooLarge.Text)),
            errorTooLarge => Assert.Equal((FrameKind.Error, 3ul, ErrorCodes.HandlerFailed, HandlerTooLargeText), (errorTooLarge.Kind, errorTooLarge.Id, errorTooLarge.Code, errorTooLarge.Text)));
        Assert.Equal(2, ErrorsOf(connection, ErrorCodes.HandlerFailed));
    }

    [Fact]
    public async Task A_handler_that_sets_an_error_code_of_the_server_gets_handler_failed()
    {
        await using var connection = new InMemoryFramedConnection(new FakeTimeProvider(), handlers: Handlers);

        var frames = await ExchangeAsync(connection, FramedTestClient.Request(1, BadCode, []));

        var error = Assert.Single(frames);
        Assert.Equal((FrameKind.Error, ErrorCodes.HandlerFailed, "the handler failed"), (error.Kind, error.Code, error.Text));
        Assert.Equal(0, ErrorsOf(connection, ErrorCodes.Timeout));
    }

    [Theory]
    [InlineData(ErrorCodes.Timeout)]
    [InlineData(ErrorCodes.UnknownType)]
    [InlineData(ErrorCodes.MalformedMessage)]
    [InlineData(ErrorCodes.FrameTooLarge)]
    [InlineData(ErrorCodes.RateLimited)]
    [InlineData("INVALID_UTF8")]
    [InlineData("")]
    public void SetError_refuses_codes_a_handler_may_not_send(string code)
    {
        var response = new FramedServerResponse();

        var error = Assert.Throws<ArgumentException>(() => response.SetError(code, "text"));

        Assert.Equal("code", error.ParamName);
        Assert.Contains(ErrorCodes.InvalidUtf8, error.Message, StringComparison.Ordinal);
        Assert.Contains(ErrorCodes.HandlerFailed, error.Message, StringComparison.Ordinal);
        Assert.Null(response.ErrorCode);
    }

    [Fact]
    public void SetError_refuses_a_null_code_or_text()
    {
        var response = new FramedServerResponse();

        Assert.Equal("code", Assert.Throws<ArgumentNullException>(() => response.SetError(null!, "text")).ParamName);
        Assert.Equal("text", Assert.Throws<ArgumentNullException>(() => response.SetError(ErrorCodes.HandlerFailed, null!)).ParamName);
    }

    /// <summary>A test handler that always answers on the fast path: its asynchronous path is never called.</summary>
    private abstract class FastPathHandler : FramedHandler
    {
        public sealed override ValueTask HandleAsync(FramedRequest request, FramedServerResponse response, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("answers on the fast path only");
    }

    /// <summary>Writes a Response, then answers with an Error instead, on the fast path.</summary>
    private sealed class SyncErrorHandler : FastPathHandler
    {
        public override bool TryHandle(in FramedRequest request, FramedServerResponse response)
        {
            response.Data.Write("not sent"u8);
            response.AddMetadata("not", "sent"u8.ToArray());
            response.SetError(ErrorCodes.InvalidUtf8, "needs text: é");
            return true;
        }
    }

    private sealed class AsyncErrorHandler : FramedHandler
    {
        public override async ValueTask HandleAsync(FramedRequest request, FramedServerResponse response, CancellationToken cancellationToken)
        {
            await Task.Yield();
            response.SetError(ErrorCodes.HandlerFailed, "the store is unavailable");
        }
    }

    /// <summary>Answers as many bytes of Data as the request's Data says in decimal: 49 fill a 64-byte payload.</summary>
    private sealed class LargeResponseHandler : FastPathHandler
    {
        public override bool TryHandle(in FramedRequest request, FramedServerResponse response)
        {
            var length = int.Parse(Encoding.ASCII.GetString(request.Data), System.Globalization.CultureInfo.InvariantCulture);
            response.Data.GetSpan(length)[..length].Fill((byte)'r');
            response.Data.Advance(length);
            return true;
        }
    }

    /// <summary>An Error whose text alone is longer than a 64-byte payload.</summary>
    private sealed class LargeErrorHandler : FramedHandler
    {
        public override async ValueTask HandleAsync(FramedRequest request, FramedServerResponse response, CancellationToken cancellationToken)
        {
            await Task.Yield();
            response.SetError(ErrorCodes.HandlerFailed, new string('e', 100));
        }
    }

    private sealed class BadCodeHandler : FastPathHandler
    {
        public override bool TryHandle(in FramedRequest request, FramedServerResponse response)
        {
            response.SetError(ErrorCodes.Timeout, "a handler may not say this");
            return true;
        }
    }
}
