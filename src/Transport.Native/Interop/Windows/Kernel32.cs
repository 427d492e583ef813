using System.Runtime.InteropServices;

namespace EchoHost.Transport.Native.Interop.Windows;

/// <summary>
/// The completion port calls of the IOCP engine. Every call returns the system's result; on failure the caller reads
/// <see cref="Marshal.GetLastPInvokeError"/>. Nothing here throws.
/// </summary>
internal static unsafe partial class Kernel32
{
    private const string Library = "kernel32.dll";

    [LibraryImport(Library, SetLastError = true)]
    public static partial nint CreateIoCompletionPort(nint fileHandle, nint existingCompletionPort, nuint completionKey, uint numberOfConcurrentThreads);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int GetQueuedCompletionStatusEx(nint completionPort, OverlappedEntry* entries, uint count, uint* removed, uint milliseconds, int alertable);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int PostQueuedCompletionStatus(nint completionPort, uint bytesTransferred, nuint completionKey, NativeOverlapped* overlapped);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int CancelIoEx(nint handle, NativeOverlapped* overlapped);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int SetFileCompletionNotificationModes(nint fileHandle, byte flags);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int CloseHandle(nint handle);
}
