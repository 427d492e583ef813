using System.Text;
using EchoHost.Client.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EchoHost.Client.Tests;

/// <summary>Named clients registered with AddFramedClient in a generic host, their options bound from configuration.</summary>
public class DependencyInjectionTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    private static HostApplicationBuilder Builder(Dictionary<string, string?> configuration)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddLogging();
        builder.Services.AddMetrics();
        return builder;
    }

    [Fact]
    public async Task Named_clients_resolve_with_their_own_options_and_are_disposed_with_the_host()
    {
        await using var orders = new FakeFramedServer();
        await using var inventory = new FakeFramedServer();
        var builder = Builder(new()
        {
            ["FramedClients:orders:Host"] = "127.0.0.1",
            ["FramedClients:orders:Port"] = orders.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["FramedClients:orders:PoolSize"] = "2",
            ["FramedClients:orders:RequestTimeout"] = "00:00:07",
            ["FramedClients:orders:IdempotentTypes"] = "0x60, 97",
            ["FramedClients:orders:Resilience:MaxRetryAttempts"] = "5",
            ["FramedClients:orders:Resilience:BreakDuration"] = "00:00:09",
            ["FramedClients:inventory:Host"] = "127.0.0.1",
            ["FramedClients:inventory:Port"] = inventory.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["FramedClients:inventory:HealthCheckInterval"] = "00:00:00",
            ["FramedClients:inventory:Tls:TargetHost"] = "inventory.example",
        });
        builder.Services.AddFramedClient("orders");
        builder.Services.AddFramedClient("inventory", o => o.PoolSize = 3);
        var host = builder.Build();
        await host.StartAsync();

        var factory = host.Services.GetRequiredService<IFramedClientFactory>();
        var ordersClient = factory.GetClient("orders");
        var inventoryClient = host.Services.GetRequiredKeyedService<FramedClient>("inventory");

        Assert.Same(ordersClient, factory.GetClient("orders"));
        Assert.Same(inventoryClient, factory.GetClient("inventory"));
        Assert.Same(ordersClient, host.Services.GetRequiredKeyedService<FramedClient>("orders"));

        var a = ordersClient.Options;
        Assert.Equal("orders", ordersClient.Name);
        Assert.Equal(2, a.PoolSize);
        Assert.Equal(TimeSpan.FromSeconds(7), a.RequestTimeout);
        Assert.Equal(new byte[] { 0x60, 0x61 }, a.IdempotentTypes.Order());
        Assert.Equal(5, a.Resilience.MaxRetryAttempts);
        Assert.Equal(TimeSpan.FromSeconds(9), a.Resilience.BreakDuration);
        Assert.Equal(TimeSpan.FromSeconds(30), a.HealthCheckInterval);
        Assert.Null(a.Tls);
        Assert.Same(host.Services.GetRequiredService<ILoggerFactory>(), a.LoggerFactory);
        Assert.NotNull(a.MeterFactory);

        var b = inventoryClient.Options;
        Assert.Equal(3, b.PoolSize);
        Assert.Equal(TimeSpan.Zero, b.HealthCheckInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), b.RequestTimeout);
        Assert.Equal("inventory.example", b.Tls!.TargetHost);

        var response = await ordersClient.SendAsync(0x60, "order"u8.ToArray()).WaitAsync(Hang);
        Assert.Equal("order", Encoding.UTF8.GetString(response.Data.Span));
        Assert.Equal(1, orders.Accepted);
        Assert.Equal(0, inventory.Accepted);
        var connection = await orders.Connections.Reader.ReadAsync().AsTask().WaitAsync(Hang);

        await host.StopAsync();
        await ((IAsyncDisposable)host).DisposeAsync();

        await connection.ClientFinished.WaitAsync(Hang);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ordersClient.SendAsync(0x60, "late"u8.ToArray()));
    }

    [Fact]
    public async Task A_host_disposed_synchronously_disposes_its_clients_too()
    {
        await using var server = new FakeFramedServer();
        var builder = Builder(new()
        {
            ["FramedClients:sync:Host"] = "127.0.0.1",
            ["FramedClients:sync:Port"] = server.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.Services.AddFramedClient("sync");
        var host = builder.Build();
        var client = host.Services.GetRequiredKeyedService<FramedClient>("sync");
        await client.SendAsync(0x60, "x"u8.ToArray()).WaitAsync(Hang);
        var connection = await server.Connections.Reader.ReadAsync().AsTask().WaitAsync(Hang);

        host.Dispose();

        await connection.ClientFinished.WaitAsync(Hang);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.SendAsync(0x60, "late"u8.ToArray()));
    }

    [Fact]
    public async Task A_name_that_is_not_registered_is_a_clear_error()
    {
        var builder = Builder(new() { ["FramedClients:orders:Host"] = "127.0.0.1" });
        builder.Services.AddFramedClient("orders");
        using var host = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<IFramedClientFactory>().GetClient("billing"));
        Assert.Contains("'billing'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Registered: orders", error.Message, StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Theory]
    [InlineData("FramedClients:bad:Prot", "1513", "FramedClients:bad:Prot: unknown setting")]
    [InlineData("FramedClients:bad:PoolSize", "many", "FramedClients:bad:PoolSize: 'many' is not a whole number")]
    [InlineData("FramedClients:bad:RequestTimeout", "5 seconds", "FramedClients:bad:RequestTimeout: '5 seconds' is not a time span")]
    [InlineData("FramedClients:bad:IdempotentTypes", "0x160", "FramedClients:bad:IdempotentTypes: '0x160' is not message types")]
    [InlineData("FramedClients:bad:Resilience:FailureRatio", "2", "FailureRatio must be more than 0 and at most 1")]
    [InlineData("FramedClients:bad:PoolSize", "0", "PoolSize must be at least 1")]
    public async Task Bad_configuration_fails_the_host_at_start_naming_the_key(string key, string value, string expected)
    {
        var builder = Builder(new() { ["FramedClients:bad:Host"] = "127.0.0.1", [key] = value });
        builder.Services.AddFramedClient("bad");
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.True(error is InvalidOperationException or OptionsValidationException, error.ToString());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_without_a_server_fails_the_host_at_start()
    {
        var builder = Builder(new() { ["FramedClients:nowhere:PoolSize"] = "2" });
        builder.Services.AddFramedClient("nowhere");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("FramedClients:nowhere:Host", error.Message, StringComparison.Ordinal);
    }
}
