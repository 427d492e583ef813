using System.Net;
using System.Text;
using EchoHost.Client.Tests.Support;
using EchoHost.Protocol;

namespace EchoHost.Client.Tests;

/// <summary>Reconnection against the real server: it dies, the client's requests fail as lost, it comes back, they succeed.</summary>
public class ReconnectionTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task After_the_server_dies_and_comes_back_on_its_port_requests_go_through_again()
    {
        var first = StartServer(port: 0);
        try
        {
            await using var client = await FramedClient.ConnectAsync(await first.EndPointAsync("framed"));
            int port = ((IPEndPoint)client.EndPoint).Port;
            await AssertEchoesAsync(client, "before");

            await first.DisposeAsync();

            // Nothing listens: the connection is lost and reconnecting is refused; each request says so, none hangs.
            var lost = await ClientAssert.ConnectionFailureAsync(() => client.SendAsync(MessageTypes.Echo, "gone"u8.ToArray()).WaitAsync(Deadline));
            Assert.NotEmpty(lost.Message);

            await using var second = StartServer(port);
            await second.EndPointAsync("framed");

            // The client backs off between attempts to connect (at most 2 s), so the first requests may still fail fast.
            var deadline = DateTime.UtcNow + Deadline;
            while (true)
            {
                try
                {
                    await AssertEchoesAsync(client, "after");
                    break;
                }
                catch (FramedConnectionException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100);
                }
            }
        }
        finally
        {
            await first.DisposeAsync();
        }
    }

    private static EchoHostProcess StartServer(int port) => EchoHostProcess.StartOnLoopback(
        ServiceBuilds.Jit, "Auto", $"--EchoHost:Endpoints:framed:Url=tcp://127.0.0.1:{port}", "--EchoHost:Endpoints:framed:Protocol=framed");

    private static async Task AssertEchoesAsync(FramedClient client, string text)
    {
        var response = await client.SendAsync(MessageTypes.Echo, Encoding.UTF8.GetBytes(text)).WaitAsync(Deadline);
        Assert.Equal(text, Encoding.UTF8.GetString(response.Data.Span));
    }
}
