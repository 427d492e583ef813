using System.ComponentModel;
using System.Diagnostics;

namespace EchoHost.Tests.Support;

/// <summary>
/// The machine's gcc, for the tests that build a C helper of their own (the transport's kqueue emulation, the end-to-end
/// tests' seccomp launcher). One copy, linked into each test project that needs it, so that every such test fails the
/// same clear way when gcc is missing: such tests fail, they do not skip.
/// </summary>
internal static class Gcc
{
    /// <summary>
    /// Runs gcc with <paramref name="arguments"/> to its end; throws, naming <paramref name="purpose"/> (what the build
    /// is for, e.g. "The kqueue engine's tests build their kqueue emulation"), when gcc is missing or fails.
    /// </summary>
    public static void Run(string purpose, params string[] arguments)
    {
        var start = new ProcessStartInfo("gcc", arguments) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        Process gcc;
        try
        {
            gcc = Process.Start(start) ?? throw new InvalidOperationException($"{purpose} with gcc, which did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"{purpose} with gcc, which is not installed (./test.sh installs it; as root: apt-get install gcc libc6-dev).", ex);
        }

        using (gcc)
        {
            // Both streams at once, so that neither can fill its pipe and hold gcc.
            Task<string> output = gcc.StandardOutput.ReadToEndAsync();
            string errors = gcc.StandardError.ReadToEnd();
            gcc.WaitForExit();
            if (gcc.ExitCode != 0)
            {
                throw new InvalidOperationException($"{purpose} with gcc; gcc {string.Join(' ', arguments)} failed ({gcc.ExitCode}): {errors}{output.Result}");
            }
        }
    }
}
