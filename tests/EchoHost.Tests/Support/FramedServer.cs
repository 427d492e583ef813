using System.Buffers;
using System.Diagnostics;
using System.Net;
using EchoHost.Hosting;
using EchoHost.Protocol;
using EchoHost.Serving.Framed;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EchoHost.Tests.Support;

/// <summary>
/// EchoHost in this process, as <c>Program</c> builds it, with a framed endpoint on an ephemeral loopback port and the
/// test application handlers of <see cref="TestHandlers"/> registered; the log is captured.
/// </summary>
internal sealed class FramedServer : IAsyncDisposable
{
    private FramedServer(WebApplication app, EndPoint endPoint, CapturingLoggerProvider log, Gate gate)
    {
        App = app;
        EndPoint = endPoint;
        Log = log;
        Gate = gate;
    }

    public WebApplication App { get; }

    public EndPoint EndPoint { get; }

    public CapturingLoggerProvider Log { get; }

    /// <summary>Holds the requests of <see cref="TestHandlers.Gated"/> until released.</summary>
    public Gate Gate { get; }

    public static Task<FramedServer> StartAsync(string transport, params string[] more) => StartAsync(transport, TimeProvider.System, more);

    /// <summary>A server whose limits, handler timeout and other rules of time run on <paramref name="time"/>.</summary>
    public static async Task<FramedServer> StartAsync(string transport, TimeProvider time, params string[] more)
    {
#pragma warning disable CA2000 // the server owns the gate, and disposes of it with itself
        var gate = new Gate();
#pragma warning restore CA2000
        var log = new CapturingLoggerProvider();
        string[] args =
        [
            $"--EchoHost:Transport={transport}",
            "--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:0",
            "--EchoHost:Endpoints:http:Enabled=false",
            "--EchoHost:Endpoints:framed:Url=tcp://127.0.0.1:0",
            .. more,
        ];
        var app = Program.Build(args, builder =>
        {
            builder.Services.AddSingleton(time);
            TestHandlers.Register(builder.Services, gate);
        });
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(log);
        try
        {
            await app.StartAsync();
            var framed = app.Services.GetRequiredService<ListeningEndpoints>().GetBound().Single(e => e.Definition.Name == "framed");
            return new FramedServer(app, framed.EndPoint, log, gate);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public Task<FramedTestClient> ConnectAsync(IPAddress? from = null) => FramedTestClient.ConnectAsync(EndPoint, from);

    /// <summary>The endpoint named <paramref name="name"/> as bound (the echo endpoint is on an ephemeral port too).</summary>
    public EndPoint EndPointOf(string name) =>
        App.Services.GetRequiredService<ListeningEndpoints>().GetBound().Single(e => e.Definition.Name == name).EndPoint;

    public async ValueTask DisposeAsync()
    {
        // Whatever a test left held must not hold the host's stop.
        Gate.Release();
        await App.DisposeAsync();
        Gate.Dispose();
    }
}

/// <summary>Lets a test hold requests inside a handler, and know when they have arrived there.</summary>
internal sealed class Gate : IDisposable
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _entered = new(0);

    public Task Released => _released.Task;

    public void Enter() => _entered.Release();

    public void Release() => _released.TrySetResult();

    public void Dispose() => _entered.Dispose();

    /// <summary>Waits until <paramref name="count"/> requests have entered the handler.</summary>
    public async Task WaitForEnteredAsync(int count)
    {
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        for (var i = 0; i < count; i++)
        {
            await _entered.WaitAsync(timeout.Token);
        }
    }
}

/// <summary>Application handlers, registered as an application registers its own.</summary>
internal static class TestHandlers
{
    /// <summary>Asynchronous; throws.</summary>
    public const byte Throwing = 0x50;

    /// <summary>Asynchronous; never answers until cancelled.</summary>
    public const byte Slow = 0x51;

    /// <summary>Asynchronous; waits for the <see cref="Gate"/>, then echoes Data.</summary>
    public const byte Gated = 0x52;

    /// <summary>Synchronous fast path; throws.</summary>
    public const byte SyncThrowing = 0x53;

    /// <summary>Synchronous fast path: Data with "!" appended, metadata path=sync.</summary>
    public const byte Sync = 0x54;

    /// <summary>A delegate, asynchronous: Data back, metadata path=async.</summary>
    public const byte Async = 0x55;

    /// <summary>The last Type an application may use; registered to show that it is accepted.</summary>
    public const byte Last = MessageTypes.LastApplication;

    public static void Register(IServiceCollection services, Gate gate)
    {
        services.AddSingleton(gate);
        services.AddFramedHandler<ThrowingHandler>(Throwing);
        services.AddFramedHandler<SlowHandler>(Slow);
        services.AddFramedHandler<GatedHandler>(Gated);
        services.AddFramedHandler<SyncThrowingHandler>(SyncThrowing);
        services.AddFramedHandler<SyncHandler>(Sync);
        services.AddFramedHandler(Async, async (request, response, cancellationToken) =>
        {
            await Task.Yield();
            response.Data.Write(BuffersExtensions.ToArray(request.Data));
            response.AddMetadata("path", "async"u8.ToArray());
        });
        services.AddFramedHandler(Last, (request, response, cancellationToken) =>
        {
            response.Data.Write("last"u8);
            return ValueTask.CompletedTask;
        });
    }

    private sealed class ThrowingHandler : FramedHandler
    {
        public override async ValueTask HandleAsync(FramedRequest request, FramedServerResponse response, CancellationToken cancellationToken)
        {
            await Task.Yield();
            throw new InvalidOperationException("the test handler fails on purpose");
        }
    }

    /// <summary>Answers only when its request is cancelled (it timed out, or the connection is gone).</summary>
    private sealed class SlowHandler : FramedHandler
    {
        public override async ValueTask HandleAsync(FramedRequest request, FramedServerResponse response, CancellationToken cancellationToken) =>
            await new TaskCompletionSource().Task.WaitAsync(cancellationToken);
    }

    private sealed class GatedHandler(Gate gate) : FramedHandler
    {
        public override async ValueTask HandleAsync(FramedRequest request, FramedServerResponse response, CancellationToken cancellationToken)
        {
            gate.Enter();
            await gate.Released;
            response.Data.Write(BuffersExtensions.ToArray(request.Data));
        }
    }

    private sealed class SyncThrowingHandler : FramedHandler
    {
        public override bool TryHandle(in FramedRequest request, FramedServerResponse response) =>
            throw new InvalidOperationException("the synchronous test handler fails on purpose");

        public override ValueTask HandleAsync(FramedRequest request, FramedServerResponse response, CancellationToken cancellationToken) =>
            throw new UnreachableException();
    }

    private sealed class SyncHandler : FramedHandler
    {
        public override bool TryHandle(in FramedRequest request, FramedServerResponse response)
        {
            foreach (var segment in request.Data)
            {
                response.Data.Write(segment.Span);
            }

            response.Data.Write("!"u8);
            response.AddMetadata("path", "sync"u8.ToArray());
            return true;
        }

        public override ValueTask HandleAsync(FramedRequest request, FramedServerResponse response, CancellationToken cancellationToken) =>
            throw new UnreachableException("the fast path answers every request");
    }
}
