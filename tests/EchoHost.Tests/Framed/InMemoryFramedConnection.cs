using System.Buffers;
using System.IO.Pipelines;
using EchoHost.Connections;
using EchoHost.Metrics;
using EchoHost.Protocol;
using EchoHost.Serving.Framed;
using EchoHost.Serving.Framed.BuiltIn;
using EchoHost.Tests.Support;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace EchoHost.Tests.Framed;

/// <summary>
/// A <see cref="FramedServerConnection"/> over an in-memory <see cref="ConnectionContext"/>: two pipes, one each way,
/// and no socket. The test is the peer: it writes frames into <see cref="ToServer"/> and reads the server's from
/// <see cref="FromServer"/>. Time is the given <see cref="TimeProvider"/>.
/// </summary>
internal sealed class InMemoryFramedConnection : IAsyncDisposable
{
    private readonly Pipe _toServer = new();
    private readonly Pipe _fromServer = new();
    private readonly ServiceProvider _services;
    private readonly FramedServerConnection _connection;

    public InMemoryFramedConnection(TimeProvider time, IDictionary<string, string?>? settings = null, params FramedHandlerRegistration[] handlers)
    {
        var values = ConfigurationBuilding.Defaults();
        values["EchoHost:Endpoints:framed:Url"] = "tcp://127.0.0.1:0";
        values["EchoHost:Endpoints:framed:Protocol"] = "framed";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var echoHost = ConfigurationBuilding.Load(values);
        var endpoint = echoHost.Endpoints.Single(e => e.Name == "framed");
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var messageTypes = new MessageTypeSlots(BuiltInHandlers.All.Select(b => (b.Type, b.Name)).Concat(handlers.Select(h => (h.Type, h.Description))));
        var registry = new LiveConnectionRegistry(echoHost, messageTypes);
        var metrics = new ServiceMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), echoHost, registry, messageTypes);
        var stats = new FramedStats(metrics, messageTypes);
        var services = new FramedConnectionServices(
            new FramedHandlerRegistry(handlers, _services, stats),
            new HandlerLimiter(echoHost.Framed),
            echoHost.Framed,
            metrics,
            messageTypes,
            time,
            NullLogger<FramedConnectionHandler>.Instance);

        var context = new DefaultConnectionContext(
            "in-memory",
            new DuplexPipe(_toServer.Reader, _fromServer.Writer),
            new DuplexPipe(_fromServer.Reader, _toServer.Writer));
        Counters = new FramedCounters(messageTypes.Names.Length);
        Watch = new ConnectionWatch(echoHost.Limits.For(endpoint), context.ConnectionId, context.Transport.Input, time);
        var live = new LiveConnection(Counters, Watch, requests: null);
        _connection = new FramedServerConnection(context, Counters, live, services);
        Running = _connection.RunAsync();
    }

    /// <summary>The connection's read loop; completes once the connection has ended.</summary>
    public Task Running { get; }

    public FramedCounters Counters { get; }

    public ConnectionWatch Watch { get; }

    public PipeWriter ToServer => _toServer.Writer;

    public async Task SendAsync(byte[] frame) => await _toServer.Writer.WriteAsync(frame);

    /// <summary>The peer half-closes: it sends nothing more.</summary>
    public Task HalfCloseAsync() => _toServer.Writer.CompleteAsync().AsTask();

    /// <summary>Reads the next frame the server sent, or null once the server's side is complete and drained.</summary>
    public async Task<ReceivedFrame?> ReadFrameAsync()
    {
        var input = _fromServer.Reader;
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            if (FrameReader.TryRead(buffer, int.MaxValue, out var frame, out var end, out _) == FrameReadStatus.Complete)
            {
                var received = new ReceivedFrame((byte)frame.Kind, frame.Payload.ToArray());
                input.AdvanceTo(end);
                return received;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>Ends the server's side as Kestrel does once the connection's handler returns.</summary>
    public async Task<List<ReceivedFrame>> ReadUntilEndAsync()
    {
        await Running;
        await _fromServer.Writer.CompleteAsync();
        var frames = new List<ReceivedFrame>();
        while (await ReadFrameAsync() is { } frame)
        {
            frames.Add(frame);
        }

        return frames;
    }

    public async ValueTask DisposeAsync()
    {
        await _toServer.Writer.CompleteAsync();
        await Running;
        _connection.Dispose();
        await _services.DisposeAsync();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }
}
