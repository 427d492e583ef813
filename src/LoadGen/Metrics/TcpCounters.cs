using System.Globalization;

namespace EchoHost.LoadGen.Metrics;

/// <summary>
/// The kernel's TCP counters that show a connection burst the server did not keep up with, read as <c>nstat</c>
/// reads them (/proc/net/netstat and /proc/net/snmp, system-wide). A difference of two readings is what happened
/// between them, on the whole machine.
/// </summary>
internal sealed record TcpCounters(long ListenOverflows, long ListenDrops, long SynRetransmits, long RetransmittedSegments)
{
    /// <summary>The counters now, or null when /proc/net cannot be read (not Linux).</summary>
    public static TcpCounters? Read()
    {
        try
        {
            var counters = Parse(File.ReadAllText("/proc/net/netstat") + File.ReadAllText("/proc/net/snmp"));
            return From(counters);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>What the counters grew by since <paramref name="before"/>.</summary>
    public TcpCounters Since(TcpCounters before) => new(
        ListenOverflows - before.ListenOverflows,
        ListenDrops - before.ListenDrops,
        SynRetransmits - before.SynRetransmits,
        RetransmittedSegments - before.RetransmittedSegments);

    /// <summary>The four counters of a parsed reading; a counter the kernel does not have reads as 0.</summary>
    internal static TcpCounters From(IReadOnlyDictionary<string, long> counters) => new(
        counters.GetValueOrDefault("TcpExtListenOverflows"),
        counters.GetValueOrDefault("TcpExtListenDrops"),
        counters.GetValueOrDefault("TcpExtTCPSynRetrans"),
        counters.GetValueOrDefault("TcpRetransSegs"));

    /// <summary>
    /// Reads the /proc/net/netstat and /proc/net/snmp format: pairs of lines, <c>Prefix: Name1 Name2 ...</c> then
    /// <c>Prefix: value1 value2 ...</c>, into nstat's names (prefix and name joined: <c>TcpExtListenOverflows</c>).
    /// </summary>
    /// <exception cref="FormatException">A header without its values line, or a count that does not match.</exception>
    internal static Dictionary<string, long> Parse(string text)
    {
        var counters = new Dictionary<string, long>(StringComparer.Ordinal);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = 0; i < lines.Length; i += 2)
        {
            var names = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var values = i + 1 < lines.Length ? lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
            if (values.Length != names.Length || values[0] != names[0] || !names[0].EndsWith(':'))
            {
                throw new FormatException($"Expected a line of values after '{names[0]}' with one value per name.");
            }

            var prefix = names[0][..^1];
            for (var k = 1; k < names.Length; k++)
            {
                counters[prefix + names[k]] = long.Parse(values[k], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            }
        }

        return counters;
    }
}
