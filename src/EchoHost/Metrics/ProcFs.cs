using System.Buffers.Text;
using Microsoft.Win32.SafeHandles;

namespace EchoHost.Metrics;

/// <summary>What Linux tells a process about itself under /proc/self, read into a stack buffer.</summary>
internal static class ProcFs
{
    /// <summary>Virtual and resident size in bytes, from /proc/self/statm (which counts in pages).</summary>
    public static bool TryReadMemory(out long virtualBytes, out long residentBytes)
    {
        virtualBytes = residentBytes = 0;
        Span<byte> buffer = stackalloc byte[256];
        var text = Read("/proc/self/statm", buffer);
        if (!TryTakeLong(ref text, out var virtualPages) || !TryTakeLong(ref text, out var residentPages))
        {
            return false;
        }

        virtualBytes = virtualPages * Environment.SystemPageSize;
        residentBytes = residentPages * Environment.SystemPageSize;
        return true;
    }

    /// <summary>The number of threads, field 20 of /proc/self/stat.</summary>
    public static bool TryReadThreadCount(out long threads)
    {
        threads = 0;
        Span<byte> buffer = stackalloc byte[1024];
        var text = Read("/proc/self/stat", buffer);

        // The command name, in parentheses, may hold spaces and parentheses: the fields after it start at the last ')'.
        var close = text.LastIndexOf((byte)')');
        if (close < 0)
        {
            return false;
        }

        text = text[(close + 1)..];
        const int FieldsFromStateToThreads = 17;
        for (var field = 0; field < FieldsFromStateToThreads; field++)
        {
            text = text.TrimStart((byte)' ');
            var space = text.IndexOf((byte)' ');
            if (space < 0)
            {
                return false;
            }

            text = text[space..];
        }

        return TryTakeLong(ref text, out threads);
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

    /// <summary>The open descriptors: the entries of /proc/self/fd, less the one this enumeration opens.</summary>
    public static long CountOpenDescriptors()
    {
        var count = Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount();
        return Math.Max(0, count - 1);
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
