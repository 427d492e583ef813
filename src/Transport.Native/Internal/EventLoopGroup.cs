using Microsoft.Extensions.Logging;

namespace EchoHost.Transport.Native.Internal;

/// <summary>The transport's event loops and the memory they share; connections are spread over the loops in turn.</summary>
internal sealed class EventLoopGroup : IDisposable
{
    private readonly EventLoop[] _loops;
    private uint _next;

    public EventLoopGroup(NativeTransportOptions options, TransportMetrics metrics, ReadBudget? budget, ILogger logger)
    {
        int count = options.ThreadCount > 0 ? options.ThreadCount : Environment.ProcessorCount;
        MemoryPool = new BlockMemoryPool();
        _loops = new EventLoop[count];
        for (int i = 0; i < count; i++)
        {
            _loops[i] = new EventLoop(i, options, MemoryPool, metrics, budget, logger);
        }
    }

    public BlockMemoryPool MemoryPool { get; }

    public int Count => _loops.Length;

    public EventLoop this[int index] => _loops[index];

    public EventLoop Next() => _loops[(int)(Interlocked.Increment(ref _next) % (uint)_loops.Length)];

    public void Dispose()
    {
        foreach (EventLoop loop in _loops)
        {
            loop.Dispose();
        }
    }
}
