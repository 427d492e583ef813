namespace EchoHost.Logging;

/// <summary>
/// Whether standard output is connected to systemd's journal. systemd sets <c>JOURNAL_STREAM</c> to the device and
/// inode of the stream it connects; a child whose output was redirected elsewhere inherits the variable, so the inode
/// is compared with that of this process's standard output, as sd_journal_stream_fd(3) advises.
/// </summary>
internal static class JournalStream
{
    public static bool IsStandardOutput() =>
        IsStandardOutput(Environment.GetEnvironmentVariable("JOURNAL_STREAM"), ReadStandardOutputLink());

    /// <param name="journalStream">The value of <c>JOURNAL_STREAM</c>: <c>DEVICE:INODE</c>.</param>
    /// <param name="standardOutputLink">What <c>/proc/self/fd/1</c> links to: <c>socket:[INODE]</c> for the journal's socket.</param>
    internal static bool IsStandardOutput(string? journalStream, string? standardOutputLink)
    {
        if (string.IsNullOrEmpty(journalStream) || string.IsNullOrEmpty(standardOutputLink))
        {
            return false;
        }

        var separator = journalStream.IndexOf(':', StringComparison.Ordinal);
        if (separator < 1 || !ulong.TryParse(journalStream.AsSpan(separator + 1), out var inode))
        {
            return false;
        }

        return standardOutputLink == $"socket:[{inode}]";
    }

    private static string? ReadStandardOutputLink()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            return new FileInfo("/proc/self/fd/1").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
