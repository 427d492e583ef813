using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace EchoHost.Transport.Native.Tests;

/// <summary>
/// What every transport test needs: the transport under test, a deadline that bounds every wait (a hang becomes a
/// failure, never a stuck run), and clean-up of the servers and client sockets a test opened.
/// </summary>
public abstract class TransportTestBase(TransportSelector transport, ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private readonly CancellationTokenSource _deadline = new(TimeSpan.FromSeconds(90));
    private readonly List<TestServer> _servers = [];
    private readonly List<Socket> _sockets = [];

    /// <summary>The transport under test.</summary>
    protected TransportSelector Transport { get; } = transport;

    /// <summary>The test's output.</summary>
    protected ITestOutputHelper Output { get; } = output;

    /// <summary>Cancelled when the test has run far longer than it should: an upper bound for every wait, not a timing assertion.</summary>
    protected CancellationToken Deadline => _deadline.Token;

    /// <summary>How long a test waits for one thing to happen before it fails: generous, never a timing assertion.</summary>
    protected static TimeSpan WaitLimit { get; } = TimeSpan.FromSeconds(30);

    /// <summary>Starts a server on the transport under test (or on <paramref name="transport"/>); it is disposed when the test ends.</summary>
    protected async Task<TestServer> StartAsync(Action<Listen> listen, Action<IApplicationBuilder>? app = null, Action<IServiceCollection>? services = null, TransportSelector? transport = null)
    {
        var server = await TestServer.StartAsync(transport ?? Transport, Output, listen, app, services, Deadline);
        lock (_servers)
        {
            _servers.Add(server);
        }

        return server;
    }

    /// <summary>Connects a client socket; it is disposed when the test ends.</summary>
    protected async Task<Socket> ConnectAsync(EndPoint endPoint, Action<Socket>? beforeConnect = null)
    {
        var socket = await Client.ConnectAsync(endPoint, Deadline, beforeConnect);
        lock (_sockets)
        {
            _sockets.Add(socket);
        }

        return socket;
    }

    /// <summary>Asserts that the connection came from the transport under test and not from another one Kestrel fell back to.</summary>
    protected void AssertServedByTransport(ConnectionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (Transport.IsNative)
        {
            Assert.True(record.NativeHandle is not null, $"Connection {record} has no INativeHandleFeature: it did not come from the native transport.");
        }
        else
        {
            Assert.Null(record.NativeHandle);
        }
    }

    /// <summary>Waits for <paramref name="task"/> for at most <see cref="WaitLimit"/>; fails the test, saying what did not happen, if it does not complete.</summary>
    protected async Task<T> WithinLimitAsync<T>(Task<T> task, string what)
    {
        ArgumentNullException.ThrowIfNull(task);
        try
        {
            return await task.WaitAsync(WaitLimit, Deadline);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{Transport}: {what} did not happen within {WaitLimit.TotalSeconds:N0} s.");
            throw;
        }
    }

    /// <inheritdoc cref="WithinLimitAsync{T}(Task{T}, string)"/>
    protected async Task WithinLimitAsync(Task task, string what)
    {
        ArgumentNullException.ThrowIfNull(task);
        try
        {
            await task.WaitAsync(WaitLimit, Deadline);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{Transport}: {what} did not happen within {WaitLimit.TotalSeconds:N0} s.");
            throw;
        }
    }

    /// <summary>
    /// Sends <paramref name="data"/> in 64 KiB writes without reading until it is all sent or a write makes no progress
    /// for a few seconds (the peer pushes back). Returns the bytes sent and whether it stalled.
    /// </summary>
    protected async Task<(long Sent, bool Stalled)> SendUntilStalledAsync(Socket socket, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(data);
        long sent = 0;
        while (sent < data.Length)
        {
            var send = socket.SendAsync(data.AsMemory((int)sent, (int)Math.Min(64 * 1024, data.Length - sent)), SocketFlags.None, Deadline).AsTask();
            try
            {
                sent += await send.WaitAsync(TimeSpan.FromSeconds(3), Deadline);
            }
            catch (TimeoutException)
            {
                return (sent, true);
            }
        }

        return (sent, false);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes; returns whether it held.</summary>
    protected async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan? within = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Deadline);
        limit.CancelAfter(within ?? WaitLimit);
        while (!condition())
        {
            try
            {
                await Task.Delay(20, limit.Token);
            }
            catch (OperationCanceledException)
            {
                return condition();
            }
        }

        return true;
    }

    /// <inheritdoc />
    public Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        for (int i = _servers.Count - 1; i >= 0; i--)
        {
            await _servers[i].DisposeAsync();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _deadline.Dispose();
        GC.SuppressFinalize(this);
    }
}
