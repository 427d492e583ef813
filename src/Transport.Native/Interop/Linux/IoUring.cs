using System.Runtime.InteropServices;

namespace EchoHost.Transport.Native.Interop.Linux;

/// <summary>
/// io_uring's three system calls (through libc's <c>syscall</c>: glibc wraps none of them) and <c>mmap</c> for the
/// shared rings; -1 and errno on failure, as <see cref="Unix.Libc"/>. Values from <c>linux/io_uring.h</c>.
/// </summary>
internal static unsafe partial class IoUring
{
    private const string Library = "libc";

    // asm-generic/unistd.h: the same numbers on x86-64 and arm64.
    private const long SysSetup = 425;
    private const long SysEnter = 426;
    private const long SysRegister = 427;

    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    public static int Setup(uint entries, IoUringParams* parameters) => (int)Syscall(SysSetup, (nint)entries, (nint)parameters, 0, 0, 0, 0);

    public static int Enter(int fd, uint toSubmit, uint minComplete, uint flags, void* argument, nint argumentSize)
        => (int)Syscall(SysEnter, fd, (nint)toSubmit, (nint)minComplete, (nint)flags, (nint)argument, argumentSize);

    public static int Register(int fd, uint opcode, void* argument, uint count)
        => (int)Syscall(SysRegister, fd, (nint)opcode, (nint)argument, (nint)count, 0, 0);

    [LibraryImport(Library, EntryPoint = "mmap", SetLastError = true)]
    public static partial void* MMap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(Library, EntryPoint = "munmap", SetLastError = true)]
    public static partial int MUnmap(void* address, nuint length);

    public const int PROT_READ = 0x1;       // bits/mman-linux.h
    public const int PROT_WRITE = 0x2;      // bits/mman-linux.h
    public const int MAP_SHARED = 0x01;     // bits/mman-linux.h
    public const int MAP_PRIVATE = 0x02;    // bits/mman-linux.h
    public const int MAP_ANONYMOUS = 0x20;  // bits/mman-linux.h
    public const int MAP_POPULATE = 0x8000; // bits/mman-map-flags-generic.h

    public const long IORING_OFF_SQ_RING = 0;
    public const long IORING_OFF_CQ_RING = 0x8000000;
    public const long IORING_OFF_SQES = 0x10000000;

    public const uint IORING_SETUP_CQSIZE = 1u << 3;
    public const uint IORING_SETUP_SUBMIT_ALL = 1u << 7;
    public const uint IORING_SETUP_R_DISABLED = 1u << 6;
    public const uint IORING_SETUP_COOP_TASKRUN = 1u << 8;
    public const uint IORING_SETUP_SINGLE_ISSUER = 1u << 12;
    public const uint IORING_SETUP_DEFER_TASKRUN = 1u << 13;

    public const uint IORING_FEAT_SINGLE_MMAP = 1u << 0;
    public const uint IORING_FEAT_NODROP = 1u << 1;
    public const uint IORING_FEAT_EXT_ARG = 1u << 8;

    public const uint IORING_ENTER_GETEVENTS = 1u << 0;
    public const uint IORING_ENTER_EXT_ARG = 1u << 3;

    public const uint IORING_REGISTER_PROBE = 8;
    public const uint IORING_REGISTER_ENABLE_RINGS = 12;
    public const uint IORING_REGISTER_PBUF_RING = 22;
    public const ushort IO_URING_OP_SUPPORTED = 1;

    public const byte IORING_OP_POLL_ADD = 6;
    public const byte IORING_OP_POLL_REMOVE = 7;
    public const byte IORING_OP_SENDMSG = 9;
    public const byte IORING_OP_ACCEPT = 13;
    public const byte IORING_OP_ASYNC_CANCEL = 14;
    public const byte IORING_OP_CLOSE = 19;
    public const byte IORING_OP_SEND = 26;
    public const byte IORING_OP_RECV = 27;

    public const byte IOSQE_IO_HARDLINK = 1 << 3;
    public const byte IOSQE_BUFFER_SELECT = 1 << 5;

    public const uint IORING_POLL_ADD_MULTI = 1u << 0;
    public const ushort IORING_RECV_MULTISHOT = 1 << 1;
    public const ushort IORING_ACCEPT_MULTISHOT = 1 << 0;
    public const uint IORING_ASYNC_CANCEL_ALL = 1u << 0;
    public const uint IORING_ASYNC_CANCEL_FD = 1u << 1;

    public const uint IORING_CQE_F_BUFFER = 1u << 0;
    public const uint IORING_CQE_F_MORE = 1u << 1;
    public const int IORING_CQE_BUFFER_SHIFT = 16;
}

/// <summary><c>struct io_sqring_offsets</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SqRingOffsets
{
    public uint Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Reserved1;
    public ulong UserAddress;
}

/// <summary><c>struct io_cqring_offsets</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CqRingOffsets
{
    public uint Head, Tail, RingMask, RingEntries, Overflow, Cqes, Flags, Reserved1;
    public ulong UserAddress;
}

/// <summary><c>struct io_uring_params</c> (120 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoUringParams
{
    public uint SqEntries, CqEntries, Flags, SqThreadCpu, SqThreadIdle, Features, WqFd;
    public fixed uint Reserved[3];
    public SqRingOffsets SqOffsets;
    public CqRingOffsets CqOffsets;
}

/// <summary><c>struct io_uring_sqe</c> (64 bytes), with the fields of the operations the transport submits.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct IoUringSqe
{
    [FieldOffset(0)] public byte Opcode;
    [FieldOffset(1)] public byte Flags;
    [FieldOffset(2)] public ushort IoPriority;
    [FieldOffset(4)] public int Fd;
    [FieldOffset(8)] public ulong Offset;
    [FieldOffset(16)] public ulong Address;
    [FieldOffset(24)] public uint Length;

    /// <summary>The union of <c>msg_flags</c>, <c>poll32_events</c>, <c>cancel_flags</c> and the like.</summary>
    [FieldOffset(28)] public uint OperationFlags;
    [FieldOffset(32)] public ulong UserData;
    [FieldOffset(40)] public ushort BufferGroup;
}

/// <summary><c>struct io_uring_cqe</c> (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoUringCqe
{
    public ulong UserData;
    public int Result;
    public uint Flags;
}

/// <summary><c>struct io_uring_buf</c> (16 bytes): one entry of a provided-buffer ring.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoUringBuf
{
    public ulong Address;
    public uint Length;
    public ushort BufferId;
    public ushort Reserved;
}

/// <summary><c>struct io_uring_buf_reg</c> (40 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoUringBufReg
{
    public ulong RingAddress;
    public uint RingEntries;
    public ushort GroupId;
    public ushort Flags;
    public fixed ulong Reserved[3];
}

/// <summary><c>struct io_uring_getevents_arg</c> (24 bytes), for a wait with a timeout.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoUringGetEventsArg
{
    public ulong SigMask;
    public uint SigMaskSize;
    public uint MinWaitMicroseconds;
    public ulong Timespec;
}

/// <summary><c>struct __kernel_timespec</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KernelTimespec
{
    public long Seconds;
    public long Nanoseconds;
}
