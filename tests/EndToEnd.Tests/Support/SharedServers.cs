using System.Collections.Concurrent;

namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>
/// One running EchoHost per build and transport, started on first use and shared by the tests of a class that only talk to
/// it as clients do; killed when the class is done.
/// </summary>
public sealed class SharedServers : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, Lazy<Task<EchoHostProcess>>> _servers = new(StringComparer.Ordinal);

    internal async Task<(EchoHostProcess Process, IReadOnlyDictionary<string, string> Addresses)> GetAsync(string build, string transport)
    {
        var process = await _servers.GetOrAdd($"{build} {transport}", _ => new Lazy<Task<EchoHostProcess>>(() => StartAsync(build, transport))).Value;
        return (process, await process.WaitForEndpointsAsync("echo", "http"));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var server in _servers.Values.Where(s => s.IsValueCreated))
        {
            try
            {
                await (await server.Value).DisposeAsync();
            }
            catch (InvalidOperationException)
            {
                // It never started; its test has reported why.
            }
            catch (TimeoutException)
            {
            }
        }
    }

    private static async Task<EchoHostProcess> StartAsync(string build, string transport)
    {
        var process = EchoHostProcess.StartOnLoopback(build, transport);
        try
        {
            await process.WaitForEndpointsAsync("echo", "http");
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }
}
