using System.Runtime.InteropServices;

namespace EchoHost.ServiceManagers.Launchd;

/// <summary>
/// launchd's socket hand-over, from libSystem (its liblaunch): launch_activate_socket(3). It returns an error number
/// rather than setting errno; on success the caller owns the descriptors and frees the array with <c>free</c>.
/// Declared everywhere, called only on macOS.
/// </summary>
internal static unsafe partial class Launch
{
    private const string Library = "/usr/lib/libSystem.dylib";

    /// <summary>macOS's errno values that launch_activate_socket returns for "nothing to hand over".</summary>
    public const int ENOENT = 2;
    public const int ESRCH = 3;

    [LibraryImport(Library, EntryPoint = "launch_activate_socket", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ActivateSocket(string name, int** fds, nuint* count);

    [LibraryImport(Library, EntryPoint = "free")]
    public static partial void Free(void* pointer);
}
