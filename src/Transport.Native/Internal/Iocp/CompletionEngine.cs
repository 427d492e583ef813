using System.IO.Pipelines;
using System.Net;
using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Windows;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace EchoHost.Transport.Native.Internal.Iocp;

/// <summary>
/// The IOCP engine: one completion port for every socket of the transport, and <c>ThreadCount</c> threads that
/// dequeue its completions in batches (<c>GetQueuedCompletionStatusEx</c>) and hand each to its operation. Unlike the
/// readiness loops, no socket belongs to a thread: whichever thread dequeues a completion runs it.
/// </summary>
internal sealed unsafe class CompletionEngine : INativeEngine
{
    private const int EntryBatch = 64;

    // Completion key of the packets that stop the threads; sockets are associated with key 0.
    private const nuint StopKey = 1;

    private readonly nint _port;
    private readonly Thread[] _threads;
    private readonly ILogger _logger;
    private readonly Lazy<bool> _skipsCompletionOnSuccess;
    private readonly NativeTransportOptions _options;
    private bool _disposed;

    public CompletionEngine(EngineContext context)
    {
        NativeTransportOptions options = context.Options;
        ILogger logger = context.Logger;
        _logger = logger;
        _options = options;
        Metrics = context.Metrics;
        EngineName = context.EngineName;
        _port = Kernel32.CreateIoCompletionPort(-1, 0, 0, 0);
        if (_port == 0)
        {
            throw IocpErrors.Exception("CreateIoCompletionPort", Marshal.GetLastPInvokeError());
        }

        NoDelay = options.NoDelay;

        // Read at the first association, once the listening socket has started Winsock.
        _skipsCompletionOnSuccess = new Lazy<bool>(() =>
        {
            bool skips = IfsProviders.AllTcpProvidersAreIfs();
            NativeLog.CompletionModes(logger, skips);
            return skips;
        });
        MemoryPool = new BlockMemoryPool();
        PipeScheduler applicationScheduler = options.UnsafePreferInlineScheduling ? PipeScheduler.Inline : PipeScheduler.ThreadPool;
        long maxRead = options.MaxReadBufferSize ?? 0;
        long maxWrite = options.MaxWriteBufferSize ?? 0;

        // The receive side resumes after back-pressure on the thread pool: inline, it would run inside the
        // application's AdvanceTo and could call back into the application's pending read.
        InputOptions = new PipeOptions(MemoryPool, readerScheduler: applicationScheduler, writerScheduler: PipeScheduler.ThreadPool,
            pauseWriterThreshold: maxRead, resumeWriterThreshold: maxRead / 2, useSynchronizationContext: false);

        // Sends start inline in the application's flush, as in the readiness engines.
        OutputOptions = new PipeOptions(MemoryPool, readerScheduler: PipeScheduler.Inline, writerScheduler: applicationScheduler,
            pauseWriterThreshold: maxWrite, resumeWriterThreshold: maxWrite / 2, useSynchronizationContext: false);

        int count = options.ThreadCount > 0 ? options.ThreadCount : Environment.ProcessorCount;
        _threads = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            _threads[i] = new Thread(Run) { IsBackground = true, Name = $"Native transport IOCP {i}" };
            _threads[i].Start(i);
        }
    }

    /// <summary>The transport's counters, which the engine's connections and listeners add to.</summary>
    public TransportMetrics Metrics { get; }

    public int ThreadCount => _threads.Length;

    /// <summary>The engine's name, as its listeners report it.</summary>
    public string EngineName { get; }

    public IConnectionListener Bind(EndPoint endPoint) => IocpListener.Bind(endPoint, this, _options, _logger);

    public bool NoDelay { get; }

    public BlockMemoryPool MemoryPool { get; }

    /// <summary>Options of the pipe from the socket to the application (reads).</summary>
    public PipeOptions InputOptions { get; }

    /// <summary>Options of the pipe from the application to the socket (writes).</summary>
    public PipeOptions OutputOptions { get; }

    /// <summary>
    /// False when a call that succeeds at once still queues its completion: the caller must then wait for it as for a
    /// pending call. Known after the first <see cref="Associate"/>.
    /// </summary>
    public bool SkipsCompletionOnSuccess => _skipsCompletionOnSuccess.Value;

    /// <summary>
    /// Sends the completions of <paramref name="socket"/> to the port. Where Winsock allows it, a call that succeeds at
    /// once queues no completion (the caller goes on with its result), and no event is set on the handle. Returns 0 or
    /// the error.
    /// </summary>
    public int Associate(nint socket)
    {
        if (Kernel32.CreateIoCompletionPort(socket, _port, 0, 0) == 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        byte modes = SkipsCompletionOnSuccess
            ? (byte)(Win32Constants.FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | Win32Constants.FILE_SKIP_SET_EVENT_ON_HANDLE)
            : Win32Constants.FILE_SKIP_SET_EVENT_ON_HANDLE;
        return Kernel32.SetFileCompletionNotificationModes(socket, modes) == 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>Whether a call that returned <paramref name="error"/> (0: success) will report through the port.</summary>
    public bool CompletesLater(int error) => error == Win32Constants.ERROR_IO_PENDING || (error == 0 && !SkipsCompletionOnSuccess);

    /// <summary>Stops the threads (after the completions queued before) and closes the port.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (Thread _ in _threads)
        {
            Kernel32.PostQueuedCompletionStatus(_port, 0, StopKey, null);
        }

        foreach (Thread thread in _threads)
        {
            if (thread != Thread.CurrentThread)
            {
                thread.Join();
            }
        }

        Kernel32.CloseHandle(_port);
    }

    private void Run(object? index)
    {
        OverlappedEntry* entries = stackalloc OverlappedEntry[EntryBatch];
        while (true)
        {
            uint removed;
            if (Kernel32.GetQueuedCompletionStatusEx(_port, entries, EntryBatch, &removed, Win32Constants.Infinite, 0) == 0)
            {
                int error = Marshal.GetLastPInvokeError();
                if (error is Win32Constants.ERROR_ABANDONED_WAIT_0 or Win32Constants.ERROR_INVALID_HANDLE)
                {
                    return;
                }

                NativeLog.CompletionWaitFailed(_logger, (int)index!, error);
                continue;
            }

            int stops = 0;
            for (int i = 0; i < removed; i++)
            {
                if (entries[i].Overlapped is null)
                {
                    stops += entries[i].CompletionKey == StopKey ? 1 : 0;
                    continue;
                }

                try
                {
                    IocpOperation.Dispatch(entries[i]);
                }
                catch (Exception ex)
                {
                    NativeLog.LoopHandlerFailed(_logger, (int)index!, ex);
                }
            }

            if (stops > 0)
            {
                // One batch can take the stop packets of other threads: give them back.
                for (int i = 1; i < stops; i++)
                {
                    Kernel32.PostQueuedCompletionStatus(_port, 0, StopKey, null);
                }

                return;
            }
        }
    }
}
