using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Linux;
using EchoHost.Transport.Native.Interop.Unix;
using Ring = EchoHost.Transport.Native.Interop.Linux.IoUring;

namespace EchoHost.Transport.Native.Internal.IoUring;

/// <summary>
/// Whether this system runs the io_uring engine, asked once: the kernel's version (multishot receive and provided-
/// buffer rings came with 6.0), a ring of its own (which a kernel with io_uring turned off, a seccomp filter or a
/// locked-memory limit refuses), the ring's features, and the operations the kernel says it has
/// (<c>IORING_REGISTER_PROBE</c>).
/// </summary>
internal static unsafe class IoUringProbe
{
    private static readonly Version s_minimumKernel = new(6, 1);

    private static readonly (byte Operation, string Name)[] s_operations =
    [
        (Ring.IORING_OP_POLL_ADD, "POLL_ADD"),
        (Ring.IORING_OP_POLL_REMOVE, "POLL_REMOVE"),
        (Ring.IORING_OP_SENDMSG, "SENDMSG"),
        (Ring.IORING_OP_ACCEPT, "ACCEPT"),
        (Ring.IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"),
        (Ring.IORING_OP_CLOSE, "CLOSE"),
        (Ring.IORING_OP_SEND, "SEND"),
        (Ring.IORING_OP_RECV, "RECV"),
    ];

    private static readonly Lazy<string?> s_whyUnavailable = new(Probe);

    /// <summary>Why the io_uring engine cannot run here, in a few words; null when it can.</summary>
    public static string? WhyUnavailable() => s_whyUnavailable.Value;

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return $"it runs on Linux only, not {RuntimeInformation.OSDescription}";
        }

        Version kernel = Environment.OSVersion.Version;
        if (kernel < s_minimumKernel)
        {
            return $"kernel {kernel} is older than {s_minimumKernel} (multishot receive, provided-buffer rings, deferred task work)";
        }

        // Set up as the engine's rings are, so that a kernel that refuses their flags is found here.
        IoUringParams parameters = default;
        parameters.Flags = IoUringPoller.SetupFlags;
        parameters.CqEntries = 16;
        int fd = Ring.Setup(8, &parameters);
        if (fd < 0)
        {
            return WhySetupFailed(Marshal.GetLastPInvokeError());
        }

        try
        {
            const uint needed = Ring.IORING_FEAT_SINGLE_MMAP | Ring.IORING_FEAT_NODROP | Ring.IORING_FEAT_EXT_ARG;
            if ((parameters.Features & needed) != needed)
            {
                return "the kernel's io_uring lacks single-mapping rings, no-drop completions or waits with a timeout";
            }

            return MissingOperation(fd);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private static string? MissingOperation(int fd)
    {
        const int probeOperations = 256;
        const int headerSize = 16;
        const int operationSize = 8;
        byte* probe = stackalloc byte[headerSize + probeOperations * operationSize];
        new Span<byte>(probe, headerSize + probeOperations * operationSize).Clear();
        if (Ring.Register(fd, Ring.IORING_REGISTER_PROBE, probe, probeOperations) < 0)
        {
            return $"IORING_REGISTER_PROBE failed: {NativeErrors.Describe(Marshal.GetLastPInvokeError())}";
        }

        // struct io_uring_probe { u8 last_op; u8 ops_len; ...; struct io_uring_probe_op ops[] } with ops[i].flags at 2.
        int length = probe[1];
        foreach ((byte operation, string name) in s_operations)
        {
            if (operation >= length || (*(ushort*)(probe + headerSize + operation * operationSize + 2) & Ring.IO_URING_OP_SUPPORTED) == 0)
            {
                return $"the kernel's io_uring lacks IORING_OP_{name}";
            }
        }

        return null;
    }

    private static string WhySetupFailed(int errno)
    {
        string disabled = KernelSetting.Read("kernel/io_uring_disabled");
        if (errno == Errno.ENOSYS && disabled == "")
        {
            return "io_uring_setup is refused (ENOSYS): the kernel lacks io_uring or a seccomp filter blocks it";
        }

        if (errno is Errno.EPERM or Errno.ENOSYS)
        {
            if (disabled is "1" or "2")
            {
                return $"io_uring is turned off for this process (kernel.io_uring_disabled = {disabled})";
            }

            // Container runtimes' default seccomp profiles answer EPERM or (podman's) ENOSYS.
            return errno == Errno.EPERM
                ? $"io_uring_setup is not permitted ({NativeErrors.Describe(errno)}): a seccomp filter or policy blocks it"
                : $"io_uring_setup is refused ({NativeErrors.Describe(errno)}) although the kernel has io_uring on: a seccomp filter blocks it";
        }

        if (errno == Errno.ENOMEM)
        {
            return "io_uring_setup is refused for memory (ENOMEM): the locked-memory limit (ulimit -l) is too low for the rings";
        }

        return $"io_uring_setup failed: {NativeErrors.Describe(errno)}";
    }
}
