using System.Runtime.InteropServices;
using EchoHost.Tests.Support;
using FreeBsdKqueue = EchoHost.Transport.Native.Interop.FreeBsd.Kqueue;
using MacOSKqueue = EchoHost.Transport.Native.Interop.MacOS.Kqueue;

namespace EchoHost.Transport.Native.Tests;

/// <summary>
/// Runs the transport's kqueue engine on Linux: builds <c>kqueue_shim.c</c> (kqueue over epoll) with the machine's gcc,
/// once with macOS's <c>struct kevent</c> and once with FreeBSD's, and makes the transport assembly load them where it
/// asks for macOS's libSystem and FreeBSD's libc.so.7, the libraries its kqueue calls name. Every other library the
/// transport uses (libc) resolves as usual, so the engine runs with Linux's socket calls and values.
/// </summary>
internal static class KqueueShim
{
    private static readonly Lazy<bool> s_installed = new(InstallResolver);

    /// <summary>Builds and installs the emulation, once per process; throws when gcc is missing or fails.</summary>
    public static void Install() => _ = s_installed.Value;

    private static bool InstallResolver()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "KqueueShim", "kqueue_shim.c");
        DirectoryInfo build = Directory.CreateTempSubdirectory("echohost-kqueue-shim-");
        try
        {
            // Loaded now, the files can go: the mappings stay.
            nint macOS = NativeLibrary.Load(Compile(source, Path.Combine(build.FullName, "kqueue-macos.so")));
            nint freeBsd = NativeLibrary.Load(Compile(source, Path.Combine(build.FullName, "kqueue-freebsd.so"), "-DKEVENT_FREEBSD"));
            NativeLibrary.SetDllImportResolver(typeof(NativeTransportOptions).Assembly, (name, _, _) => name switch
            {
                MacOSKqueue.Library => macOS,
                FreeBsdKqueue.Library => freeBsd,
                _ => 0,
            });
        }
        finally
        {
            build.Delete(recursive: true);
        }

        return true;
    }

    private static string Compile(string source, string output, params string[] defines)
    {
        Gcc.Run("The kqueue engine's tests build their kqueue emulation",
            ["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden", .. defines, "-o", output, source, "-lpthread"]);
        return output;
    }
}
