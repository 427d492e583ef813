using System.Buffers.Text;
using Microsoft.Win32.SafeHandles;

namespace EchoHost.Metrics;

/// <summary>
/// What Linux tells of a process under /proc/<c>process</c> (<c>self</c>, or a process id), read into a stack buffer.
/// The one reader of these files: the service's process metrics read their own process, and the load generator
/// (which compiles this file in too) reads the server's.
/// </summary>
internal static class ProcFs
{
    /// <summary>The calling process, as /proc names it.</summary>
    public const string Self = "self";

    /// <summary>Clock ticks per second of /proc/PID/stat's times (USER_HZ, 100 on every Linux build in use).</summary>
    private const double ClockTicksPerSecond = 100;

    /// <summary>Virtual and resident size in bytes, from /proc/<paramref name="process"/>/statm (which counts in pages).</summary>
    public static bool TryReadMemory(out long virtualBytes, out long residentBytes, string process = Self)
    {
        virtualBytes = residentBytes = 0;
        Span<byte> buffer = stackalloc byte[256];
        var text = Read($"/proc/{process}/statm", buffer);
        if (!TryTakeLong(ref text, out var virtualPages) || !TryTakeLong(ref text, out var residentPages))
        {
            return false;
        }

        virtualBytes = virtualPages * Environment.SystemPageSize;
        residentBytes = residentPages * Environment.SystemPageSize;
        return true;
    }

    /// <summary>The number of threads, field 20 of /proc/<paramref name="process"/>/stat.</summary>
    public static bool TryReadThreadCount(out long threads, string process = Self) => TryReadStatField(process, 20, out threads);

    /// <summary>User plus system CPU seconds (utime + stime, fields 14 and 15 of /proc/<paramref name="process"/>/stat).</summary>
    public static bool TryReadCpuSeconds(out double seconds, string process = Self)
    {
        seconds = 0;
        if (!TryReadStatField(process, 14, out var user) || !TryReadStatField(process, 15, out var system))
        {
            return false;
        }

        seconds = (user + system) / ClockTicksPerSecond;
        return true;
    }

    /// <summary>The soft limit on open descriptors, from the "Max open files" line of /proc/self/limits.</summary>
    public static bool TryReadMaxOpenFiles(out long limit)
    {
        limit = 0;
        Span<byte> buffer = stackalloc byte[4096];
        var text = Read("/proc/self/limits", buffer);
        var line = "Max open files"u8;
        var start = text.IndexOf(line);
        if (start < 0)
        {
            return false;
        }

        text = text[(start + line.Length)..];
        return TryTakeLong(ref text, out limit);
    }

    /// <summary>
    /// The open descriptors: the entries of /proc/<paramref name="process"/>/fd (less the one this enumeration opens,
    /// when the process is this one); -1 when they cannot be listed.
    /// </summary>
    public static long CountOpenDescriptors(string process = Self)
    {
        try
        {
            var count = Directory.EnumerateFileSystemEntries($"/proc/{process}/fd").LongCount();
            return process == Self ? Math.Max(0, count - 1) : count;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>Field <paramref name="field"/> (numbered from 1, as in proc(5)) of /proc/<paramref name="process"/>/stat.</summary>
    private static bool TryReadStatField(string process, int field, out long value)
    {
        value = 0;
        Span<byte> buffer = stackalloc byte[1024];
        var text = Read($"/proc/{process}/stat", buffer);

        // The command name (field 2), in parentheses, may hold spaces and parentheses: field 3 starts after the last ')'.
        var close = text.LastIndexOf((byte)')');
        if (close < 0)
        {
            return false;
        }

        text = text[(close + 1)..];
        for (var skipped = 3; skipped < field; skipped++)
        {
            text = text.TrimStart((byte)' ');
            var space = text.IndexOf((byte)' ');
            if (space < 0)
            {
                return false;
            }

            text = text[space..];
        }

        return TryTakeLong(ref text, out value);
    }
    private static ReadOnlySpan<byte> Read(string path, Span<byte> buffer)
    {
        try
        {
            using SafeFileHandle file = File.OpenHandle(path);
            var length = RandomAccess.Read(file, buffer, 0);
            return buffer[..length];
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Parses the next whitespace-separated number and moves past it; "unlimited" and the like fail.</summary>
    private static bool TryTakeLong(ref ReadOnlySpan<byte> text, out long value)
    {
        text = text.TrimStart(" \t\n"u8);
        if (!Utf8Parser.TryParse(text, out value, out var consumed) || consumed == 0)
        {
            return false;
        }

        text = text[consumed..];
        return true;
    }
}
