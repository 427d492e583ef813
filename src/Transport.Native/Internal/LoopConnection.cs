using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using EchoHost.Transport.Native.Interop.Unix;
using Microsoft.AspNetCore.Connections;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// A connection owned by one <see cref="EventLoop"/> (epoll, kqueue, io_uring): its descriptor, its pair of pipes, and
/// what driving them takes whatever the engine's I/O. All of it runs on the loop's thread, so its state needs no
/// lock: the application's flushes reach the send loop through the output pipe, whose reader runs on the loop; its
/// abort and disposal are scheduled there. An engine supplies how it receives, sends and closes its descriptor.
/// </summary>
internal abstract class LoopConnection : TransportConnection
{
    private static readonly Action<object?> s_onOutputReadable = static state => ((LoopConnection)state!).OnOutputReadable();
    private static readonly Action<object?> s_onFlushed = static state => ((LoopConnection)state!).OnFlushed();

    protected LoopConnection(int fd, EventLoop loop, EndPoint listenEndPoint, ReadOnlySpan<byte> peerAddress)
        : base(listenEndPoint, peerAddress)
    {
        InputPipe = new ConnectionPipe(loop.InputOptions, loop.Budget);
        OutputPipe = new ConnectionPipe(loop.OutputOptions);
        Fd = fd;
        Loop = loop;
    }

    public override PipeReader Input => InputPipe;

    public override PipeWriter Output => OutputPipe.Writer;

    public override MemoryPool<byte> MemoryPool => Loop.MemoryPool;

    public override nint Handle => Fd;

    protected EventLoop Loop { get; }

    protected int Fd { get; }

    /// <summary>From the socket to the application: the loop writes, counting the transport's read budget.</summary>
    protected ConnectionPipe InputPipe { get; }

    /// <summary>From the application to the socket: the loop reads.</summary>
    protected ConnectionPipe OutputPipe { get; }

    // Loop-thread state. A lock on the connection itself (an object of its own would cost each connection 40 bytes)
    // only keeps the descriptor from closing under an application thread that asks it for its local address.
    protected bool Closed { get; private set; }

    protected Exception? CloseError { get; private set; }

    protected bool DisposeRequested { get; private set; }

    protected bool ReceivePaused { get; set; }

    protected bool ReceiveDone { get; private set; }

    protected bool SendDone { get; private set; }

    /// <summary>Why a send failed (a reset), for the receiving side, which would otherwise see only an end of input.</summary>
    protected Exception? SendError { get; set; }

    /// <summary>True once the loop has taken the connection on (registered it, or armed its first operation).</summary>
    protected abstract bool IsStarted { get; }

    protected override unsafe EndPoint? QueryLocalEndPoint()
    {
        byte* address = stackalloc byte[SockAddr.StorageSize];
        int length = SockAddr.StorageSize;
        lock (this)
        {
            if (Closed || Libc.GetSockName(Fd, address, &length) != 0)
            {
                return null;
            }
        }

        return SockAddr.ToIPEndPoint(new ReadOnlySpan<byte>(address, length));
    }

    protected override void OnAbort(ConnectionAbortedException reason)
        => Loop.Schedule(static state =>
        {
            var connection = (LoopConnection)state!;
            connection.Close(connection.AbortReason, reset: true);
        }, this);

    protected override void OnDispose()
    {
        InputPipe.Complete();
        OutputPipe.CompleteWriter();
        Loop.Schedule(static state => ((LoopConnection)state!).OnDisposeOnLoop(), this);
    }

    private void OnDisposeOnLoop()
    {
        DisposeRequested = true;
        if (SendDone || !IsStarted)
        {
            Close(null, reset: false);
        }

        TryCompleteDispose();
    }

    // ---- Sending ----

    /// <summary>
    /// Sends what the application has flushed. Sending runs on the loop only: the output pipe's reader scheduler is
    /// the loop, so an application's flush queues the send to the end of the loop's turn, and flushes made within one
    /// turn of the application's work (Kestrel's HTTP/1.1 flushes a response's head and its last chunk separately)
    /// leave together. Waits for the application's next flush, or for the engine (<see cref="TrySend"/> false).
    /// </summary>
    protected void Send()
    {
        while (true)
        {
            ValueTask<ReadResult> read = OutputPipe.ReadAsync();
            if (!read.IsCompleted)
            {
                OutputPipe.OnReadCompleted(s_onOutputReadable, this);
                return;
            }

            if (!TrySend(read.GetAwaiter().GetResult()))
            {
                return;
            }
        }
    }

    /// <summary>Sends, or starts sending, one read's buffer; true when the caller should read the output again.</summary>
    protected abstract bool TrySend(ReadResult result);

    private void OnOutputReadable()
    {
        ReadResult result;
        try
        {
            result = OutputPipe.GetPendingReadResult();
        }
        catch (Exception ex)
        {
            // The application completed its output with an error: abort, as Kestrel's Sockets transport does.
            CompleteSend(ex);
            Close(ex, reset: true);
            return;
        }

        if (TrySend(result))
        {
            Send();
        }
    }

    /// <summary>Ends the sending side; a disposal that waited for it closes the socket.</summary>
    protected void CompleteSend(Exception? error)
    {
        if (SendDone)
        {
            return;
        }

        SendDone = true;
        OutputPipe.Complete(error);
        if (DisposeRequested)
        {
            Close(null, reset: false);
        }

        TryCompleteDispose();
    }

    // ---- Receiving ----

    /// <summary>Stops reading until the application has caught up: the input's pending flush completes, on the loop.</summary>
    protected void WaitForApplication()
    {
        ReceivePaused = true;
        InputPipe.OnFlushCompleted(s_onFlushed, this);
    }

    private void OnFlushed()
    {
        FlushResult result;
        try
        {
            result = InputPipe.GetPendingFlushResult();
        }
        catch (Exception ex)
        {
            result = default;
            CompleteReceive(ex);
        }

        ReceivePaused = false;
        if (ReceiveDone)
        {
            return;
        }

        if (result.IsCompleted)
        {
            CompleteReceive(null);
            return;
        }

        ResumeReceive();
    }

    /// <summary>Goes on receiving after the application caught up.</summary>
    protected abstract void ResumeReceive();

    /// <summary>Ends the input, with <paramref name="error"/> or at the peer's end.</summary>
    protected void CompleteReceive(Exception? error)
    {
        if (ReceiveDone)
        {
            return;
        }

        ReceiveDone = true;
        OnReceiveEnding();
        InputPipe.CompleteWriter(error);

        // As in Kestrel's Sockets transport: the end of the input is the connection closing for the application,
        // though its output stays writable (half-close).
        FireConnectionClosed();
    }

    /// <summary>What the engine does when the input ends, before the application hears of it.</summary>
    protected virtual void OnReceiveEnding()
    {
    }

    // ---- Closing ----

    /// <summary>Closes the descriptor (with RST when <paramref name="reset"/>) and ends whatever still waits. Loop thread.</summary>
    protected unsafe void Close(Exception? error, bool reset)
    {
        if (Closed)
        {
            return;
        }

        lock (this)
        {
            Closed = true;
            CloseError = error;
            if (reset)
            {
                var linger = new Linger { OnOff = 1, Seconds = 0 };
                Libc.SetSockOpt(Fd, Sys.SOL_SOCKET, Sys.SO_LINGER, &linger, sizeof(Linger));
            }

            CloseDescriptor();
        }

        CompleteReceive(error);
        EndSendingOnClose(error);
        FireConnectionClosed();
        TryCompleteDispose();
    }

    /// <summary>The engine's close of the descriptor; under the connection's lock.</summary>
    protected abstract void CloseDescriptor();

    /// <summary>
    /// Ends the sending side once the descriptor is closed. Sending that waits for the application (or is running) sees
    /// the socket closed through a cancelled read; an engine with a send of its own outstanding ends it otherwise.
    /// </summary>
    protected virtual void EndSendingOnClose(Exception? error)
    {
        if (!SendDone)
        {
            OutputPipe.CancelPendingRead();
        }
    }

    /// <summary>Completes a disposal once the socket is closed and the sending side has ended.</summary>
    protected virtual void TryCompleteDispose()
    {
        if (DisposeRequested && Closed && SendDone)
        {
            CompleteDisposal();
        }
    }
}
