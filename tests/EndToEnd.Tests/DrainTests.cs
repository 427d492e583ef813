using System.Net.Http;
using EchoHost.EndToEnd.Tests.Support;

namespace EchoHost.EndToEnd.Tests;

/// <summary>SIGTERM drains the built service: no answer to a request it read is lost.</summary>
public class DrainTests
{
    [Theory]
    [ForEachBuild]
    public async Task Sigterm_mid_stream_answers_every_framed_request_read_and_ends_with_go_away_then_end_of_stream(string build)
    {
        // Native only: when a connection ends with input unread, Kestrel's Sockets transport closes both directions
        // at once and the kernel resets the connection, which can destroy answers in flight (see README).
        await using var process = EchoHostProcess.StartOnLoopback(build, "Native");
        var outcome = await DrainClient.RunAsync(await process.EndPointAsync("framed"), stopAfter: 1000, process.Terminate);

        Assert.True(outcome.GoAway, "no GoAway before the end of the stream");
        Assert.Equal(0, await process.WaitForExitAsync());
    }

    [Theory]
    [ForEachBuild]
    public async Task Readyz_and_healthz_answer_200_while_serving(string build)
    {
        await using var process = EchoHostProcess.StartOnLoopback(build, "Native");
        var http = await process.EndPointAsync("http");
        using var client = new HttpClient { BaseAddress = new Uri($"http://{http}") };

        using var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
        using var alive = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.OK, alive.StatusCode);
    }
}
