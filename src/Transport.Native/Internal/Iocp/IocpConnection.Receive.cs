using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Windows;

namespace EchoHost.Transport.Native.Internal.Iocp;

internal sealed partial class IocpConnection
{
    private readonly ReceiveOperation _receive;
    private readonly Action _onFlushed;

    // State of the receiving side, touched only by whoever drives it: the thread that issued the call, its
    // completion, or the continuation of a flush that waited for the application. A length of 0 is a probe.
    private ValueTask<FlushResult> _pendingFlush;
    private MemoryHandle _receivePin;
    private int _receiveLength;

    /// <summary>
    /// Receives until a call is left outstanding or the receiving side stops. A probe is a zero-byte
    /// <c>WSARecv</c>: it completes when data (or the end) arrives, without a buffer, so an idle connection holds none;
    /// then a real receive goes into the input pipe's memory. A receive that fills its buffer is followed by another,
    /// one that does not (the socket is empty) by a probe.
    /// </summary>
    private void Receive(bool probe)
    {
        while (true)
        {
            int error = IssueReceive(probe, out uint received, out bool pending);
            if (pending || !OnReceived(probe, error, received, out probe))
            {
                return;
            }
        }
    }

    private void OnReceiveCompleted(int error, uint received)
    {
        lock (_gate)
        {
            _receivePending = false;
        }

        if (OnReceived(_receiveLength == 0, error, received, out bool probe))
        {
            Receive(probe);
        }

        ReleaseWhenIdle();
    }

    /// <summary>Issues one receive; returns 0 or the error, with <paramref name="pending"/> set when it completes later.</summary>
    private unsafe int IssueReceive(bool probe, out uint received, out bool pending)
    {
        received = 0;
        pending = false;
        _receiveLength = 0;
        if (!probe)
        {
            Memory<byte> memory = _input.Writer.GetMemory();
            _receivePin = memory.Pin();
            _receiveLength = memory.Length;
        }

        lock (_gate)
        {
            // Once closed, the operation's memory may be freed: nothing of it is touched.
            if (_closed)
            {
                return IocpErrors.Aborted;
            }

            WsaBuf* buffer = _receive.Buffer;
            buffer->Buffer = (byte*)_receivePin.Pointer;
            buffer->Length = (uint)_receiveLength;
            _receive.Reset();
            uint flags = 0;
            uint bytes;
            int error = WinSock.WSARecv(_socket, buffer, 1, &bytes, &flags, _receive.Overlapped, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
            if (_engine.CompletesLater(error))
            {
                pending = true;
                _receivePending = true;
                return 0;
            }

            // Done at once, and no completion queued (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS): the result is here.
            received = bytes;
            return error;
        }
    }

    /// <summary>Takes in what a receive brought; true when the caller should receive again (a probe if <paramref name="probe"/>).</summary>
    private bool OnReceived(bool wasProbe, int error, uint received, out bool probe)
    {
        probe = false;
        if (!wasProbe)
        {
            _receivePin.Dispose();
            _receivePin = default;
        }

        if (error != 0)
        {
            if (IsClosed)
            {
                // Cancelled because the transport closed the socket.
                CompleteReceive(_closeError);
                return false;
            }

            Exception exception = IocpErrors.ConnectionError(error);
            Close(exception, reset: false);
            CompleteReceive(exception);
            return false;
        }

        if (wasProbe)
        {
            // Something arrived: data, the peer's FIN or an error, which the real receive tells apart.
            return true;
        }

        if (received == 0)
        {
            // The peer's FIN: the input ends, the output stays open (half-close). But a reset that a send met first
            // is reported to that send only, and receives then see an end: the input ends with that error.
            CompleteReceive(Volatile.Read(ref _sendError));
            return false;
        }

        PipeWriter writer = _input.Writer;
        writer.Advance((int)received);
        ValueTask<FlushResult> flush = writer.FlushAsync();
        if (!flush.IsCompleted)
        {
            // The application is behind (the pipe holds MaxReadBufferSize): receive again once it has read half.
            _engine.Metrics.ReceivePaused();
            _pendingFlush = flush;
            flush.GetAwaiter().UnsafeOnCompleted(_onFlushed);
            return false;
        }

        probe = received < _receiveLength;
        return ReceivesAfterFlush(flush.GetAwaiter().GetResult());
    }

    private void OnFlushed()
    {
        ValueTask<FlushResult> flush = _pendingFlush;
        _pendingFlush = default;
        FlushResult result;
        try
        {
            result = flush.GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            CompleteReceive(ex);
            ReleaseWhenIdle();
            return;
        }

        // Whether or not the socket has more, a probe finds out without holding a buffer.
        if (ReceivesAfterFlush(result))
        {
            Receive(probe: true);
        }

        ReleaseWhenIdle();
    }

    /// <summary>True when receiving goes on after a flush into the input pipe; otherwise the input has been completed.</summary>
    private bool ReceivesAfterFlush(FlushResult result)
    {
        if (result.IsCompleted)
        {
            // The application has stopped reading.
            CompleteReceive(null);
            return false;
        }

        if (result.IsCanceled || IsClosed)
        {
            // Close cancelled the flush that waited for the application.
            CompleteReceive(_closeError);
            return false;
        }

        return true;
    }

    private sealed unsafe class ReceiveOperation(IocpConnection connection) : IocpOperation(sizeof(WsaBuf))
    {
        public WsaBuf* Buffer => (WsaBuf*)Extra;

        public override void OnCompleted(int error, uint bytesTransferred) => connection.OnReceiveCompleted(error, bytesTransferred);
    }
}
