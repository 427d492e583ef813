using System.Buffers;
using System.Text;
using EchoHost.Protocol;
using EchoHost.Serving.Framed;
using EchoHost.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace EchoHost.Tests.Framed;

/// <summary>
/// The framed server's read loop, dispatcher and writer over an in-memory connection (a pair of pipes): what each
/// frame gets and how the connection ends, without a socket. The loopback tests (FramedProtocolTests) check the same
/// through Kestrel and a transport.
/// </summary>
public sealed class FramedServerConnectionTests
{
    [Fact]
    public async Task Requests_to_built_in_handlers_and_a_Ping_are_answered_in_order_and_counted()
    {
        await using var connection = new InMemoryFramedConnection(new FakeTimeProvider());

        await connection.SendAsync(FramedTestClient.Request(1, MessageTypes.Echo, "hello"u8));
        await connection.SendAsync(FramedTestClient.Request(2, MessageTypes.Reverse, "abc"u8));
        await connection.SendAsync(FramedTestClient.Frame((byte)FrameKind.Ping, "p"u8));
        await connection.HalfCloseAsync();
        var frames = await connection.ReadUntilEndAsync();

        Assert.Collection(
            frames,
            echo => Assert.Equal((FrameKind.Response, 1ul, "hello"), (echo.Kind, echo.Id, echo.Text)),
            reverse => Assert.Equal((FrameKind.Response, 2ul, "cba"), (reverse.Kind, reverse.Id, reverse.Text)),
            pong => Assert.Equal((FrameKind.Pong, "p"), (pong.Kind, Encoding.UTF8.GetString(pong.Payload))));
        Assert.Equal(2, connection.Counters.FramesSent[0]);
        Assert.Equal(1, connection.Counters.FramesSent[2]);
    }

    [Fact]
    public async Task A_frame_with_a_bad_header_and_an_unknown_Type_get_their_Errors_and_the_connection_goes_on()
    {
        await using var connection = new InMemoryFramedConnection(new FakeTimeProvider());

        await connection.SendAsync(FramedTestClient.Frame((byte)FrameKind.Request, FramedTestClient.MessageBytes(1, MessageTypes.Echo, "x"u8), flags: 1));
        await connection.SendAsync(FramedTestClient.Request(2, 0x7F, "x"u8));
        await connection.SendAsync(FramedTestClient.Request(3, MessageTypes.Echo, "still here"u8));
        await connection.HalfCloseAsync();
        var frames = await connection.ReadUntilEndAsync();

        Assert.Collection(
            frames,
            badHeader => Assert.Equal(ErrorCodes.BadHeader, badHeader.Code),
            unknown => Assert.Equal((ErrorCodes.UnknownType, 2ul), (unknown.Code, unknown.Id)),
            echo => Assert.Equal("still here", echo.Text));
    }

    [Fact]
    public async Task An_application_handler_that_answers_later_is_answered_before_the_connection_ends()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new FramedHandlerRegistration(0x50, _ => new LateHandler(release.Task), "late");
        await using var connection = new InMemoryFramedConnection(new FakeTimeProvider(), handlers: handler);

        await connection.SendAsync(FramedTestClient.Request(7, 0x50, "later"u8));
        await connection.HalfCloseAsync();
        Assert.False(connection.Running.IsCompleted);
        release.SetResult();
        var frames = await connection.ReadUntilEndAsync();

        var answer = Assert.Single(frames);
        Assert.Equal((FrameKind.Response, 7ul, "later"), (answer.Kind, answer.Id, answer.Text));
    }

    /// <summary>Answers with the request's data once <paramref name="release"/> completes.</summary>
    private sealed class LateHandler(Task release) : FramedHandler
    {
        public override async ValueTask HandleAsync(FramedRequest request, FramedServerResponse response, CancellationToken cancellationToken)
        {
            await release.WaitAsync(cancellationToken);
            foreach (var segment in request.Data)
            {
                response.Data.Write(segment.Span);
            }
        }
    }
}
