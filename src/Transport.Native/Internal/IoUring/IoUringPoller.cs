using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Linux;
using EchoHost.Transport.Native.Interop.Unix;
using Ring = EchoHost.Transport.Native.Interop.Linux.IoUring;

namespace EchoHost.Transport.Native.Internal.IoUring;

/// <summary>
/// One io_uring instance, owned by one event loop: the loop's thread is its only submitter and reaper. As the loop's
/// poller, its wait submits what the turn queued and waits for completions (one <c>io_uring_enter</c>): those of the
/// connections' and listening sockets' own operations, and, as <see cref="IPoller"/> asks, readiness of descriptors
/// registered for it (by multishot poll; the engine's own handlers use operations instead). It owns the loop's provided-buffer ring: multishot receives take a buffer
/// only when data arrives, and the connection gives it back once it has copied the data into its pipe.
/// </summary>
internal sealed unsafe class IoUringPoller : IPoller
{
    private const uint SubmissionEntries = 1024;

    // Multishot receives of many connections can complete within one wait; the kernel keeps what overflows (NODROP),
    // but a roomy queue avoids that slow path.
    private const uint CompletionEntries = 8 * SubmissionEntries;

    /// <summary>Buffers of the loop's provided-buffer ring (a power of two), each the size of a pipe block.</summary>
    public const int BufferCount = 512;

    public const int BufferSize = BlockMemoryPool.BlockSize;

    private const ushort BufferGroup = 0;

    // The top byte of user_data says what completed: a connection's own operation (1 to 0xFD, given back as the
    // event's Operation), a registered descriptor's poll, or the wake-up eventfd's poll.
    private const byte PollOperation = 0xFE;
    private const ulong WakeUserData = 0xFFul << 56;
    private const ulong TokenMask = (1ul << 56) - 1;

    private readonly int _ringFd;
    private readonly byte* _rings;
    private readonly nuint _ringsSize;
    private readonly IoUringSqe* _sqes;
    private readonly nuint _sqesSize;
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint _sqMask;
    private readonly uint _sqEntries;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly IoUringCqe* _cqes;
    private uint _sqLocalTail;

    private readonly IoUringBuf* _bufferRing;
    private readonly byte* _buffers;
    private ushort _bufferTail;

    private readonly int _wakeFd;
    private bool _enabled;

    // Descriptors registered for readiness (listening sockets: few), by token, with the events asked for.
    private readonly Dictionary<ulong, (int Fd, uint Events)> _polls = [];
    private bool _disposed;

    /// <summary>
    /// How the rings are set up. One submitter (the loop's thread) lets the kernel skip the locking for many, and its
    /// completions' work runs when that thread enters the ring rather than interrupting it. The ring starts disabled:
    /// the thread that creates it is not the loop's, which makes itself the submitter when it enables it.
    /// </summary>
    public const uint SetupFlags = Ring.IORING_SETUP_CQSIZE | Ring.IORING_SETUP_SUBMIT_ALL | Ring.IORING_SETUP_COOP_TASKRUN
        | Ring.IORING_SETUP_SINGLE_ISSUER | Ring.IORING_SETUP_DEFER_TASKRUN | Ring.IORING_SETUP_R_DISABLED;

    public IoUringPoller()
    {
        IoUringParams parameters = default;
        parameters.Flags = SetupFlags;
        parameters.CqEntries = CompletionEntries;
        _ringFd = Ring.Setup(SubmissionEntries, &parameters);
        if (_ringFd < 0)
        {
            throw new IOException($"io_uring_setup failed: {NativeErrors.Describe(Marshal.GetLastPInvokeError())}");
        }

        _wakeFd = -1;
        try
        {
            // One mapping for both rings (IORING_FEAT_SINGLE_MMAP, which the probe requires).
            nuint sqSize = parameters.SqOffsets.Array + parameters.SqEntries * sizeof(uint);
            nuint cqSize = parameters.CqOffsets.Cqes + parameters.CqEntries * (nuint)sizeof(IoUringCqe);
            _ringsSize = Math.Max(sqSize, cqSize);
            _rings = (byte*)Map(_ringsSize, Ring.IORING_OFF_SQ_RING);
            _sqesSize = parameters.SqEntries * (nuint)sizeof(IoUringSqe);
            _sqes = (IoUringSqe*)Map(_sqesSize, Ring.IORING_OFF_SQES);

            _sqHead = (uint*)(_rings + parameters.SqOffsets.Head);
            _sqTail = (uint*)(_rings + parameters.SqOffsets.Tail);
            _sqMask = *(uint*)(_rings + parameters.SqOffsets.RingMask);
            _sqEntries = parameters.SqEntries;
            _sqLocalTail = *_sqTail;
            uint* array = (uint*)(_rings + parameters.SqOffsets.Array);
            for (uint i = 0; i < _sqEntries; i++)
            {
                // Entry i of the submission array is always SQE i: SQEs are used in ring order.
                array[i] = i;
            }

            _cqHead = (uint*)(_rings + parameters.CqOffsets.Head);
            _cqTail = (uint*)(_rings + parameters.CqOffsets.Tail);
            _cqMask = *(uint*)(_rings + parameters.CqOffsets.RingMask);
            _cqes = (IoUringCqe*)(_rings + parameters.CqOffsets.Cqes);

            // The provided buffers and their ring, in anonymous mappings: the kernel pins their pages while registered.
            _bufferRing = (IoUringBuf*)MapAnonymous((nuint)(BufferCount * sizeof(IoUringBuf)));
            _buffers = (byte*)MapAnonymous((nuint)BufferCount * BufferSize);
            IoUringBufReg registration = default;
            registration.RingAddress = (ulong)_bufferRing;
            registration.RingEntries = BufferCount;
            registration.GroupId = BufferGroup;
            if (Ring.Register(_ringFd, Ring.IORING_REGISTER_PBUF_RING, &registration, 1) < 0)
            {
                throw new IOException($"registering the provided-buffer ring failed: {NativeErrors.Describe(Marshal.GetLastPInvokeError())}");
            }

            for (int i = 0; i < BufferCount; i++)
            {
                Recycle((ushort)i);
            }

            _wakeFd = Epoll.EventFd(0, Epoll.EFD_NONBLOCK | Epoll.EFD_CLOEXEC);
            if (_wakeFd < 0)
            {
                throw new IOException($"eventfd failed: {NativeErrors.Describe(Marshal.GetLastPInvokeError())}");
            }

            PollAdd(_wakeFd, WakeUserData, Epoll.EPOLLIN);
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <summary>The bytes a receive completion put into buffer <paramref name="bufferId"/>.</summary>
    public ReadOnlySpan<byte> Buffer(ushort bufferId, int length) => new(_buffers + (nuint)bufferId * BufferSize, length);

    /// <summary>Gives buffer <paramref name="bufferId"/> back to the kernel for the next receive.</summary>
    public void Recycle(ushort bufferId)
    {
        // Field by field: the ring's tail lives in the first entry's reserved field.
        IoUringBuf* entry = _bufferRing + (_bufferTail & (BufferCount - 1));
        entry->Address = (ulong)(_buffers + (nuint)bufferId * BufferSize);
        entry->Length = BufferSize;
        entry->BufferId = bufferId;
        _bufferTail++;
        Volatile.Write(ref *(ushort*)((byte*)_bufferRing + 14), _bufferTail);
    }

    /// <summary>The user_data of operation <paramref name="operation"/> (1 to 0xFD) of the handler with <paramref name="token"/>.</summary>
    public static ulong UserData(ulong token, byte operation) => ((ulong)operation << 56) | token;

    /// <summary>
    /// A receive into the loop's provided buffers: multishot (a completion each time data arrives, until it ends), or
    /// one buffer's worth once.
    /// </summary>
    public void Receive(int fd, ulong userData, bool multishot)
    {
        IoUringSqe* sqe = Next();
        sqe->Opcode = Ring.IORING_OP_RECV;
        sqe->Fd = fd;
        sqe->IoPriority = multishot ? Ring.IORING_RECV_MULTISHOT : (ushort)0;
        sqe->Flags = Ring.IOSQE_BUFFER_SELECT;
        sqe->BufferGroup = BufferGroup;
        sqe->UserData = userData;
    }

    /// <summary>
    /// An accept of non-blocking, close-on-exec sockets: of one, or (<paramref name="multishot"/>) of every connection
    /// until cancelled, with a completion per connection holding its descriptor. No address is asked for: a multishot
    /// accept's completions would all write the same one before the loop reads it.
    /// </summary>
    public void Accept(int fd, ulong userData, bool multishot)
    {
        IoUringSqe* sqe = Next();
        sqe->Opcode = Ring.IORING_OP_ACCEPT;
        sqe->Fd = fd;
        sqe->IoPriority = multishot ? Ring.IORING_ACCEPT_MULTISHOT : (ushort)0;
        sqe->OperationFlags = (uint)Sys.AcceptFlags;
        sqe->UserData = userData;
    }

    /// <summary>Submits what is queued now rather than at the end of the turn.</summary>
    public void SubmitNow() => Submit(wait: false, timeoutMilliseconds: 0);

    /// <summary>A send of one buffer.</summary>
    public void Send(int fd, byte* buffer, uint length, ulong userData)
    {
        IoUringSqe* sqe = Next();
        sqe->Opcode = Ring.IORING_OP_SEND;
        sqe->Fd = fd;
        sqe->Address = (ulong)buffer;
        sqe->Length = length;
        sqe->OperationFlags = (uint)SocketConstants.MSG_NOSIGNAL;
        sqe->UserData = userData;
    }

    /// <summary>A gather send; <paramref name="message"/> and its buffers must stay until the completion.</summary>
    public void SendMessage(int fd, MsgHdr* message, ulong userData)
    {
        IoUringSqe* sqe = Next();
        sqe->Opcode = Ring.IORING_OP_SENDMSG;
        sqe->Fd = fd;
        sqe->Address = (ulong)message;
        sqe->Length = 1;
        sqe->OperationFlags = (uint)SocketConstants.MSG_NOSIGNAL;
        sqe->UserData = userData;
    }

    /// <summary>Cancels the operation submitted with <paramref name="target"/>.</summary>
    public void Cancel(ulong target, ulong userData)
    {
        IoUringSqe* sqe = Next();
        sqe->Opcode = Ring.IORING_OP_ASYNC_CANCEL;
        sqe->Fd = -1;
        sqe->Address = target;
        sqe->UserData = userData;
    }

    /// <summary>
    /// Cancels every operation on <paramref name="fd"/>, then closes it, in that order whatever the cancellation
    /// finds (a hard link): the descriptor's number cannot be reused while an operation of the old socket is queued.
    /// </summary>
    public void CancelAllAndClose(int fd, ulong cancelUserData, ulong closeUserData)
    {
        // Both in one submission, or the link would end at its boundary.
        Reserve(2);
        IoUringSqe* cancel = Next();
        cancel->Opcode = Ring.IORING_OP_ASYNC_CANCEL;
        cancel->Fd = fd;
        cancel->OperationFlags = Ring.IORING_ASYNC_CANCEL_FD | Ring.IORING_ASYNC_CANCEL_ALL;
        cancel->Flags = Ring.IOSQE_IO_HARDLINK;
        cancel->UserData = cancelUserData;

        IoUringSqe* close = Next();
        close->Opcode = Ring.IORING_OP_CLOSE;
        close->Fd = fd;
        close->UserData = closeUserData;
    }

    public int Add(int fd, ulong token, Interest interest)
    {
        uint events = Epoll.EPOLLRDHUP | ((interest & Interest.Read) != 0 ? Epoll.EPOLLIN : 0) | ((interest & Interest.Write) != 0 ? Epoll.EPOLLOUT : 0);
        _polls[token] = (fd, events);
        PollAdd(fd, UserData(token, PollOperation), events);
        return 0;
    }

    public int Remove(int fd)
    {
        foreach (KeyValuePair<ulong, (int Fd, uint Events)> poll in _polls)
        {
            if (poll.Value.Fd == fd)
            {
                _polls.Remove(poll.Key);
                IoUringSqe* sqe = Next();
                sqe->Opcode = Ring.IORING_OP_POLL_REMOVE;
                sqe->Fd = -1;
                sqe->Address = UserData(poll.Key, PollOperation);

                // Now, not at the end of the turn: the poll holds the socket open, and its owner closes it next.
                SubmitNow();
                return 0;
            }
        }

        return 0;
    }

    public int Wait(Span<PollEvent> events, int timeoutMilliseconds, out bool woken)
    {
        if (!_enabled)
        {
            // The first wait runs on the loop's thread: it becomes the ring's only submitter.
            if (Ring.Register(_ringFd, Ring.IORING_REGISTER_ENABLE_RINGS, null, 0) < 0)
            {
                throw new IOException($"enabling the io_uring ring failed: {NativeErrors.Describe(Marshal.GetLastPInvokeError())}");
            }

            _enabled = true;
        }

        woken = false;
        int count = Reap(events, ref woken);
        if (count == 0 || Pending > 0)
        {
            int result = Submit(wait: count == 0 && timeoutMilliseconds != 0, timeoutMilliseconds);
            if (result < 0 && result != -Errno.EINTR && result != -Errno.ETIME && result != -Errno.EBUSY)
            {
                return result;
            }

            count += Reap(events[count..], ref woken);
        }

        return count;
    }

    public void Wake()
    {
        ulong one = 1;
        Libc.Write(_wakeFd, (byte*)&one, sizeof(ulong));
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            Release();
        }
    }

    private uint Pending => _sqLocalTail - Volatile.Read(ref *_sqHead);

    /// <summary>Submits what is queued and, when <paramref name="wait"/>, waits for a completion. Returns 0 or -errno.</summary>
    private int Submit(bool wait, int timeoutMilliseconds)
    {
        uint flags = Ring.IORING_ENTER_GETEVENTS;
        IoUringGetEventsArg argument = default;
        KernelTimespec timeout = default;
        void* argumentPointer = null;
        nint argumentSize = 0;
        if (wait && timeoutMilliseconds > 0)
        {
            timeout.Seconds = timeoutMilliseconds / 1000;
            timeout.Nanoseconds = timeoutMilliseconds % 1000 * 1_000_000L;
            argument.Timespec = (ulong)&timeout;
            argumentPointer = &argument;
            argumentSize = sizeof(IoUringGetEventsArg);
            flags |= Ring.IORING_ENTER_EXT_ARG;
        }

        int result = Ring.Enter(_ringFd, Pending, wait ? 1u : 0u, flags, argumentPointer, argumentSize);
        return result < 0 ? -Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>Room for <paramref name="count"/> more entries in this submission, submitting what is queued if need be.</summary>
    private void Reserve(uint count)
    {
        if (_sqEntries - Pending < count)
        {
            Submit(wait: false, timeoutMilliseconds: 0);
            if (_sqEntries - Pending < count)
            {
                throw new IOException("the io_uring submission queue is full and the kernel takes no more");
            }
        }
    }

    /// <summary>The next submission entry, cleared; the kernel sees it at the next submit (no polling thread).</summary>
    private IoUringSqe* Next()
    {
        Reserve(1);
        IoUringSqe* sqe = _sqes + (_sqLocalTail & _sqMask);
        *sqe = default;
        _sqLocalTail++;
        Volatile.Write(ref *_sqTail, _sqLocalTail);
        return sqe;
    }

    private void PollAdd(int fd, ulong userData, uint events)
    {
        IoUringSqe* sqe = Next();
        sqe->Opcode = Ring.IORING_OP_POLL_ADD;
        sqe->Fd = fd;
        sqe->Length = Ring.IORING_POLL_ADD_MULTI;
        sqe->OperationFlags = events;
        sqe->UserData = userData;
    }

    private int Reap(Span<PollEvent> events, ref bool woken)
    {
        uint head = *_cqHead;
        uint tail = Volatile.Read(ref *_cqTail);
        int count = 0;
        while (head != tail && count < events.Length)
        {
            IoUringCqe cqe = _cqes[head & _cqMask];
            head++;
            bool more = (cqe.Flags & Ring.IORING_CQE_F_MORE) != 0;
            if (cqe.UserData == WakeUserData)
            {
                woken = true;
                ulong value;
                Libc.Read(_wakeFd, (byte*)&value, sizeof(ulong));
                if (!more && !_disposed)
                {
                    PollAdd(_wakeFd, WakeUserData, Epoll.EPOLLIN);
                }

                continue;
            }

            byte operation = (byte)(cqe.UserData >> 56);
            ulong token = cqe.UserData & TokenMask;
            if (operation == PollOperation)
            {
                // A poll of a descriptor since removed (its last completion, or one already queued) goes nowhere.
                if (!_polls.TryGetValue(token, out (int Fd, uint Events) poll))
                {
                    continue;
                }

                if (!more)
                {
                    // The kernel ended the multishot poll (an overflow, an error): ask again.
                    PollAdd(poll.Fd, cqe.UserData, poll.Events);
                }

                events[count++] = new PollEvent(token, ToReadiness(cqe.Result));
                continue;
            }

            events[count++] = new PollEvent(token, Readiness.None, operation, cqe.Result, cqe.Flags);
        }

        Volatile.Write(ref *_cqHead, head);
        return count;
    }

    /// <summary>A poll's result: the descriptor's events, or -errno (the poll itself failed: let the handler's calls say why).</summary>
    private static Readiness ToReadiness(int result) => result < 0 ? Readiness.Closed : EpollPoller.ToReadiness((uint)result);

    private void* Map(nuint length, long offset)
    {
        void* address = Ring.MMap(null, length, Ring.PROT_READ | Ring.PROT_WRITE, Ring.MAP_SHARED | Ring.MAP_POPULATE, _ringFd, offset);
        if (address == (void*)-1)
        {
            throw new IOException($"mapping the io_uring rings failed: {NativeErrors.Describe(Marshal.GetLastPInvokeError())}");
        }

        return address;
    }

    private static void* MapAnonymous(nuint length)
    {
        void* address = Ring.MMap(null, length, Ring.PROT_READ | Ring.PROT_WRITE, Ring.MAP_PRIVATE | Ring.MAP_ANONYMOUS, -1, 0);
        if (address == (void*)-1)
        {
            throw new IOException($"mapping the provided buffers failed: {NativeErrors.Describe(Marshal.GetLastPInvokeError())}");
        }

        return address;
    }

    /// <summary>
    /// Closes the ring (the kernel cancels what it still holds) and unmaps its memory; the buffers' pages stay pinned
    /// by the kernel until its teardown is done, so nothing is written into memory given to someone else.
    /// </summary>
    private void Release()
    {
        if (_wakeFd >= 0)
        {
            Libc.Close(_wakeFd);
        }

        if (_ringFd >= 0)
        {
            Libc.Close(_ringFd);
        }

        Unmap(_rings, _ringsSize);
        Unmap(_sqes, _sqesSize);
        Unmap(_bufferRing, (nuint)(BufferCount * sizeof(IoUringBuf)));
        Unmap(_buffers, (nuint)BufferCount * BufferSize);
    }

    private static void Unmap(void* address, nuint length)
    {
        if (address is not null)
        {
            Ring.MUnmap(address, length);
        }
    }
}
