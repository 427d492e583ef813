using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// Makes a connection of an accepted socket on <paramref name="loop"/> and starts it there; the engine's own
/// connection type (readiness or ring).
/// </summary>
internal delegate TransportConnection LoopConnectionStarter(int fd, EventLoop loop, EndPoint listenEndPoint, ReadOnlySpan<byte> peerAddress, ILogger logger);

/// <summary>
/// The engines that run event loops (epoll, kqueue, io_uring): the loops and the memory they share; connections are
/// spread over the loops in turn. The engines differ in their poller and their connections.
/// </summary>
internal sealed class EventLoopGroup : INativeEngine
{
    private readonly EventLoop[] _loops;
    private readonly NativeTransportOptions _options;
    private readonly ILogger _logger;
    private uint _next;

    public EventLoopGroup(EngineContext context, Func<IPoller> createPoller, LoopConnectionStarter startConnection)
    {
        _options = context.Options;
        _logger = context.Logger;
        EngineName = context.EngineName;
        StartConnection = startConnection;
        int count = _options.ThreadCount > 0 ? _options.ThreadCount : Environment.ProcessorCount;
        MemoryPool = new BlockMemoryPool();
        _loops = new EventLoop[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                _loops[i] = new EventLoop(i, _options, createPoller(), MemoryPool, context.Metrics, context.Budget, _logger);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public BlockMemoryPool MemoryPool { get; }

    /// <summary>The engine's name, as its listeners report it.</summary>
    public string EngineName { get; }

    public LoopConnectionStarter StartConnection { get; }

    public int Count => _loops.Length;

    public EventLoop this[int index] => _loops[index];

    public EventLoop Next() => _loops[(int)(Interlocked.Increment(ref _next) % (uint)_loops.Length)];

    public IConnectionListener Bind(EndPoint endPoint) => NativeConnectionListener.Bind(endPoint, this, _options, _logger);

    public void Dispose()
    {
        foreach (EventLoop? loop in _loops)
        {
            loop?.Dispose();
        }
    }
}
