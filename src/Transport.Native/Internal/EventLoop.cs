using System.Collections.Concurrent;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;

namespace EchoHost.Transport.Native.Internal;

/// <summary>Something registered with a loop that is told when its descriptor becomes ready. Runs on the loop's thread.</summary>
internal interface IEventHandler
{
    void OnReady(Readiness readiness);
}

/// <summary>A handler of a ring engine, told when one of its operations completes. Runs on the loop's thread.</summary>
internal interface ICompletionHandler : IEventHandler
{
    /// <summary>Operation <paramref name="operation"/> (the handler's own code, not 0) completed with <paramref name="result"/> (a count or -errno).</summary>
    void OnCompleted(byte operation, int result, uint flags);
}

/// <summary>
/// One thread that waits on a poller and runs, in turn, the handlers of the descriptors that became ready and the work
/// that other threads posted to it. As a <see cref="PipeScheduler"/> it runs pipe continuations on that thread, so all
/// I/O of a connection happens on its loop and needs no lock.
/// </summary>
internal sealed class EventLoop : PipeScheduler, IDisposable
{
    private const int EventBatch = 256;

    private readonly IPoller _poller;
    private readonly ILogger _logger;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<(Action<object?> Action, object? State)> _work = new();

    // Work the loop queues for itself (a send after an inline handler's flush, once per message): no interlocked
    // operation and no wake-up. Loop thread only.
    private readonly Queue<(Action<object?> Action, object? State)> _ownWork = new();

    // Slots of registered handlers; a token is (generation << 32 | slot) so that an event that was already read for a
    // closed descriptor cannot reach whatever takes its slot (or its descriptor number) next. Generations wrap at 24
    // bits: a ring engine keeps its operation in the token's top byte. Loop thread only.
    public const uint GenerationMask = 0xFF_FFFF;

    private IEventHandler?[] _handlers = new IEventHandler?[64];
    private uint[] _generations = new uint[64];
    private readonly Stack<int> _freeSlots = new();
    private int _slotsUsed;

    // Work to run after a delay, kept by the loop itself: when the process is out of descriptors, a timer could not
    // even start its thread. Loop thread only; there are few (accept back-offs), so a list will do.
    private readonly List<(long Due, Action<object?> Action, object? State)> _delayed = [];

    private int _wakePending;
    private volatile bool _stopping;

    public EventLoop(int index, NativeTransportOptions options, IPoller poller, BlockMemoryPool pool, TransportMetrics metrics, ReadBudget? budget, ILogger logger)
    {
        Index = index;
        Metrics = metrics;
        Budget = budget;
        MemoryPool = pool;
        _logger = logger;
        _poller = poller;

        PipeScheduler applicationScheduler = options.UnsafePreferInlineScheduling ? Inline : ThreadPool;
        long maxRead = options.MaxReadBufferSize ?? 0;
        long maxWrite = options.MaxWriteBufferSize ?? 0;
        InputOptions = new PipeOptions(pool, readerScheduler: applicationScheduler, writerScheduler: this,
            pauseWriterThreshold: maxRead, resumeWriterThreshold: maxRead / 2, useSynchronizationContext: false);
        // Sends run on the loop, after the turn in which the application flushed (see NativeConnection.Send).
        OutputOptions = new PipeOptions(pool, readerScheduler: this, writerScheduler: applicationScheduler,
            pauseWriterThreshold: maxWrite, resumeWriterThreshold: maxWrite / 2, useSynchronizationContext: false);

        _thread = new Thread(Run) { IsBackground = true, Name = $"Native transport loop {index}" };
        _thread.Start();
    }

    public int Index { get; }

    /// <summary>The engine under the loop; a ring engine's connections submit their operations to it.</summary>
    public IPoller Poller => _poller;

    /// <summary>The memory of the pipes of the loop's connections, shared by the loops of an engine.</summary>
    public BlockMemoryPool MemoryPool { get; }

    /// <summary>The transport's counters, which the loop's connections add to.</summary>
    public TransportMetrics Metrics { get; }

    /// <summary>The transport's cap on bytes buffered over all connections, or none when unlimited.</summary>
    public ReadBudget? Budget { get; }

    /// <summary>Options of the pipe from the socket to the application (reads).</summary>
    public PipeOptions InputOptions { get; }

    /// <summary>Options of the pipe from the application to the socket (writes).</summary>
    public PipeOptions OutputOptions { get; }

    public bool IsCurrentThread => Thread.CurrentThread == _thread;

    /// <summary>Runs <paramref name="action"/> on the loop's thread, after the events it is handling now.</summary>
    public override void Schedule(Action<object?> action, object? state)
    {
        if (IsCurrentThread)
        {
            _ownWork.Enqueue((action, state));
            return;
        }

        _work.Enqueue((action, state));

        // The loop drains its queue before it waits again, so only another thread needs to wake it, and only once
        // until the loop has seen the wake-up.
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            _poller.Wake();
        }
    }

    /// <summary>Runs <paramref name="action"/> on the loop's thread once <paramref name="milliseconds"/> have passed.</summary>
    public void ScheduleAfter(int milliseconds, Action<object?> action, object? state)
        => Schedule(static item =>
        {
            var (loop, due, action, state) = ((EventLoop, long, Action<object?>, object?))item!;
            loop._delayed.Add((due, action, state));
        }, (this, Environment.TickCount64 + milliseconds, action, state));

    /// <summary>Registers a descriptor with the poller; loop thread only. Returns 0 or errno.</summary>
    public int Register(int fd, IEventHandler handler, Interest interest, out ulong token)
    {
        token = Register(handler);
        int errno = _poller.Add(fd, token, interest);
        if (errno != 0)
        {
            Release(token);
        }

        return errno;
    }

    /// <summary>
    /// Gives <paramref name="handler"/> a token without telling the poller: a ring engine's connection names its
    /// operations with it, and their completions reach the handler until <see cref="Release"/>. Loop thread only.
    /// </summary>
    public ulong Register(IEventHandler handler)
    {
        if (!_freeSlots.TryPop(out int slot))
        {
            slot = _slotsUsed++;
            if (slot == _handlers.Length)
            {
                Array.Resize(ref _handlers, slot * 2);
                Array.Resize(ref _generations, slot * 2);
            }
        }

        _handlers[slot] = handler;
        return ((ulong)_generations[slot] << 32) | (uint)slot;
    }

    /// <summary>Stops events for <paramref name="token"/>; loop thread only, before the descriptor is closed.</summary>
    public void Unregister(int fd, ulong token)
    {
        _poller.Remove(fd);
        Release(token);
    }

    /// <summary>Frees the slot of <paramref name="token"/>: whatever still arrives for it is dropped. Loop thread only.</summary>
    public void Release(ulong token)
    {
        int slot = (int)(uint)token;
        _handlers[slot] = null;
        _generations[slot] = (_generations[slot] + 1) & GenerationMask;
        _freeSlots.Push(slot);
    }

    /// <summary>Asks the loop to stop and waits for its thread to finish.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _poller.Wake();
        if (!IsCurrentThread)
        {
            _thread.Join();
        }
    }

    private void Run()
    {
        Span<PollEvent> events = new PollEvent[EventBatch];
        while (!_stopping)
        {
            int count = _poller.Wait(events, _work.IsEmpty && _ownWork.Count == 0 ? MillisecondsUntilDelayedWork() : 0, out bool woken);
            if (woken)
            {
                Volatile.Write(ref _wakePending, 0);
            }

            for (int i = 0; i < count; i++)
            {
                Dispatch(events[i]);
            }

            RunWork();
            RunDelayedWork();
        }

        _poller.Dispose();
    }

    private void Dispatch(PollEvent pollEvent)
    {
        int slot = (int)(uint)pollEvent.Token;
        if (slot >= _slotsUsed || _generations[slot] != (uint)(pollEvent.Token >> 32) || _handlers[slot] is not { } handler)
        {
            return;
        }

        try
        {
            if (pollEvent.Operation == 0)
            {
                handler.OnReady(pollEvent.Readiness);
            }
            else
            {
                ((ICompletionHandler)handler).OnCompleted(pollEvent.Operation, pollEvent.Result, pollEvent.Flags);
            }
        }
        catch (Exception ex)
        {
            NativeLog.LoopHandlerFailed(_logger, Index, ex);
        }
    }

    private int MillisecondsUntilDelayedWork()
    {
        if (_delayed.Count == 0)
        {
            return -1;
        }

        long first = long.MaxValue;
        foreach (var item in _delayed)
        {
            first = Math.Min(first, item.Due);
        }

        return (int)Math.Clamp(first - Environment.TickCount64, 0, int.MaxValue);
    }

    private void RunDelayedWork()
    {
        long now = Environment.TickCount64;
        for (int i = _delayed.Count - 1; i >= 0; i--)
        {
            var item = _delayed[i];
            if (item.Due <= now)
            {
                _delayed.RemoveAt(i);
                Run(item.Action, item.State);
            }
        }
    }

    private void Run(Action<object?> action, object? state)
    {
        try
        {
            action(state);
        }
        catch (Exception ex)
        {
            NativeLog.LoopHandlerFailed(_logger, Index, ex);
        }
    }

    private void RunWork()
    {
        // Only what is queued now: work that queues more work runs on the next turn, after the poller is asked again,
        // so that a busy connection cannot starve the others' events.
        for (int remaining = _ownWork.Count; remaining > 0 && _ownWork.TryDequeue(out var item); remaining--)
        {
            Run(item.Action, item.State);
        }

        for (int remaining = _work.Count; remaining > 0 && _work.TryDequeue(out var item); remaining--)
        {
            Run(item.Action, item.State);
        }
    }
}
