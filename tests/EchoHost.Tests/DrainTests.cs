using System.Text;
using EchoHost.Protocol;
using EchoHost.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EchoHost.Tests;

/// <summary>How a stopping service drains: readiness goes, and connections that do not finish in time are cut off.</summary>
public sealed class DrainTests
{
    public static TheoryData<string> Transports => new() { "Sockets", "Native" };

    [Fact]
    public async Task Readiness_is_starting_then_listening_then_draining()
    {
        await using var server = await FramedServer.StartAsync("Native");
        var health = server.App.Services.GetRequiredService<HealthCheckService>();
        var lifetime = server.App.Services.GetRequiredService<IHostApplicationLifetime>();

        var ready = await health.CheckHealthAsync(check => check.Tags.Contains("ready"));
        Assert.Equal(HealthStatus.Healthy, ready.Status);

        lifetime.StopApplication();
        var draining = await health.CheckHealthAsync(check => check.Tags.Contains("ready"));
        Assert.Equal(HealthStatus.Unhealthy, draining.Status);
        Assert.Equal("draining", draining.Entries.Single().Value.Description);

        // Liveness is not readiness: a draining service is still alive.
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(check => !check.Tags.Contains("ready"))).Status);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Connections_still_open_at_the_shutdown_timeout_are_aborted_and_counted_in_the_log(string transport)
    {
        await using var server = await FramedServer.StartAsync(
            transport, "--EchoHost:ShutdownTimeout=00:00:01", "--EchoHost:Framed:HandlerTimeout=00:00:05");
        using var client = await server.ConnectAsync();

        // The Slow handler answers only when cancelled; the echo behind it shows the server has read both requests.
        await client.SendRequestAsync(1, TestHandlers.Slow, []);
        Assert.Equal(FrameKind.Response, (await client.CallAsync(2, MessageTypes.Echo, Encoding.UTF8.GetBytes("here"))).Kind);

        await server.App.StopAsync();

        Assert.Contains(
            server.Log.Entries,
            e => e.Level == LogLevel.Warning && e.Message == "Shutdown timeout (00:00:01) reached with 1 connection(s) still open: aborting them");
        Assert.Equal(FrameKind.GoAway, (await client.ReadFrameAsync()).Kind);
    }
}
