namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>
/// A launcher that runs the service under a seccomp filter refusing io_uring with EPERM, as a container runtime's or
/// a hardened unit's policy may (<c>refuse_io_uring.c</c>). Built with gcc once per test run into the test's output
/// folder; without gcc the tests that use it fail, they do not skip.
/// </summary>
internal static class IoUringRefusal
{
    private static readonly Lazy<string> s_executable = new(Build);

    /// <summary>The command to put in front of the service (<see cref="EchoHostProcess.Start"/>'s launcher).</summary>
    public static IReadOnlyList<string> Launcher => [s_executable.Value];

    private static string Build()
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "IoUringRefusal");
        string executable = Path.Combine(folder, "refuse_io_uring");
        // Built under a name of this process's and renamed over the last run's: a run beside this one never sees half a file.
        string building = $"{executable}.{Environment.ProcessId}";
        Gcc.Run("The end-to-end tests of a refused io_uring build their seccomp launcher",
            "-O2", "-Wall", "-Wextra", "-Werror", "-o", building, Path.Combine(folder, "refuse_io_uring.c"));
        File.Move(building, executable, overwrite: true);
        return executable;
    }
}
