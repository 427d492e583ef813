using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Windows;

namespace EchoHost.Transport.Native.Internal.Iocp;

internal sealed partial class IocpConnection
{
    /// <summary>Segments of one gather send: with 4 KiB blocks, 64 KiB, the default <c>MaxWriteBufferSize</c>.</summary>
    private const int MaxSendSegments = 16;

    private readonly SendOperation _send;
    private readonly Action _onOutputReadable;
    private readonly MemoryHandle[] _sendPins = new MemoryHandle[MaxSendSegments];
    private ValueTask<ReadResult> _pendingRead;

    // State of the sending side, touched only by whoever drives it: the application's thread inside its flush (the
    // output pipe's reader runs inline), or the completion of the send it issued.
    private ReadOnlySequence<byte> _sendBuffer;
    private int _sendPinCount;
    private bool _sendIsLast;

    // Why a send failed (a reset), for the receiving side, which would otherwise see only an end of input.
    private Exception? _sendError;

    /// <summary>
    /// Sends what the application has flushed, all of it (up to <see cref="MaxSendSegments"/> segments) in one
    /// gather <c>WSASend</c>, so flushes that pile up while a send is outstanding go out together.
    /// </summary>
    private void Send()
    {
        while (true)
        {
            ValueTask<ReadResult> read = _output.Reader.ReadAsync();
            if (!read.IsCompleted)
            {
                // Nothing may touch the send state after this: the continuation can run at once, on another thread.
                _pendingRead = read;
                read.GetAwaiter().UnsafeOnCompleted(_onOutputReadable);
                return;
            }

            if (!TrySend(read.GetAwaiter().GetResult()))
            {
                return;
            }
        }
    }

    private void OnOutputReadable()
    {
        ValueTask<ReadResult> read = _pendingRead;
        _pendingRead = default;
        ReadResult result;
        try
        {
            result = read.GetAwaiter().GetResult();
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

        ReleaseWhenIdle();
    }

    private void OnSendCompleted(int error, uint sent)
    {
        lock (_gate)
        {
            _sendPending = false;
        }

        if (OnSent(error, sent))
        {
            Send();
        }

        ReleaseWhenIdle();
    }

    /// <summary>Sends one read's buffer; true when the caller should read the output again.</summary>
    private unsafe bool TrySend(ReadResult result)
    {
        ReadOnlySequence<byte> buffer = result.Buffer;
        if (IsClosed)
        {
            _output.Reader.AdvanceTo(buffer.End);
            CompleteSend(_closeError);
            return false;
        }

        if (buffer.IsEmpty)
        {
            if (result.IsCompleted)
            {
                Finish();
                return false;
            }

            return true;
        }

        _sendBuffer = buffer;
        int error;
        uint sent = 0;
        lock (_gate)
        {
            // Once closed, the operation's memory may be freed: nothing of it is touched.
            error = _closed ? IocpErrors.Aborted : IssueSend(buffer, result.IsCompleted, &sent);
            if (_engine.CompletesLater(error))
            {
                // Sends complete at once unless the peer is behind reading.
                _engine.Metrics.SendPaused();
                _sendPending = true;
                return false;
            }
        }

        return OnSent(error, sent);
    }

    /// <summary>Pins the segments and issues the gather send; returns 0 or the error (ERROR_IO_PENDING included). Under the gate.</summary>
    private unsafe int IssueSend(in ReadOnlySequence<byte> buffer, bool isLast, uint* sent)
    {
        WsaBuf* buffers = _send.Buffers;
        int count = 0;
        long offered = 0;
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            if (segment.IsEmpty)
            {
                continue;
            }

            _sendPins[count] = segment.Pin();
            buffers[count].Buffer = (byte*)_sendPins[count].Pointer;
            buffers[count].Length = (uint)segment.Length;
            offered += segment.Length;
            if (++count == MaxSendSegments)
            {
                break;
            }
        }

        _sendPinCount = count;
        _sendIsLast = isLast && offered == buffer.Length;
        _send.Reset();
        return WinSock.WSASend(_socket, buffers, (uint)count, sent, 0, _send.Overlapped, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Accounts for a finished send; true when the caller should read the output again.</summary>
    private bool OnSent(int error, uint sent)
    {
        for (int i = 0; i < _sendPinCount; i++)
        {
            _sendPins[i].Dispose();
            _sendPins[i] = default;
        }

        _sendPinCount = 0;
        ReadOnlySequence<byte> buffer = _sendBuffer;
        _sendBuffer = default;
        PipeReader reader = _output.Reader;
        if (error != 0)
        {
            reader.AdvanceTo(buffer.End);
            if (IsClosed)
            {
                CompleteSend(_closeError);
                return false;
            }

            Exception exception = IocpErrors.ConnectionError(error);
            Volatile.Write(ref _sendError, exception);
            CompleteSend(exception);
            Close(exception, reset: false);
            return false;
        }

        reader.AdvanceTo(buffer.GetPosition(sent));
        if (_sendIsLast && sent == buffer.Length)
        {
            Finish();
            return false;
        }

        return true;
    }

    /// <summary>The application has finished writing and all of it is sent: FIN.</summary>
    private void Finish()
    {
        lock (_gate)
        {
            if (!_closed)
            {
                WinSock.Shutdown(_socket, WinSockConstants.SD_SEND);
            }
        }

        CompleteSend(null);
    }

    private sealed unsafe class SendOperation(IocpConnection connection) : IocpOperation(sizeof(WsaBuf) * MaxSendSegments)
    {
        public WsaBuf* Buffers => (WsaBuf*)Extra;

        public override void OnCompleted(int error, uint bytesTransferred) => connection.OnSendCompleted(error, bytesTransferred);
    }
}
