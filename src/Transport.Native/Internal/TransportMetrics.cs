using System.Diagnostics.Metrics;
using System.Globalization;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// What the transport counts for operators (meter <c>EchoHost.Transport.Native</c>): back-pressure pauses and accept
/// errors. Both are events of a connection's or a listener's life, never of each byte: an interlocked addition each,
/// read by observable instruments when metrics are collected.
/// </summary>
internal sealed class TransportMetrics
{
    public const string MeterName = "EchoHost.Transport.Native";

    /// <summary>The label value of accepts paused because the process came within the headroom of its descriptor limit.</summary>
    public const string DescriptorHeadroom = "descriptor_headroom";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _acceptErrors = new(StringComparer.Ordinal);
    private long _receivePauses;
    private long _sendPauses;
    private long _budgetPauses;

    /// <summary>Creates the instruments on a meter of <paramref name="meterFactory"/>, or none without one.</summary>
    public TransportMetrics(IMeterFactory? meterFactory, ReadBudget? budget = null)
    {
        if (meterFactory is null)
        {
            return;
        }

        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter(
            "echohost.transport.backpressure.pauses",
            () => new Measurement<long>[]
            {
                new(Volatile.Read(ref _receivePauses), new KeyValuePair<string, object?>("direction", "read")),
                new(Volatile.Read(ref _sendPauses), new KeyValuePair<string, object?>("direction", "write")),
                new(Volatile.Read(ref _budgetPauses), new KeyValuePair<string, object?>("direction", "read_total")),
            },
            "{pause}",
            "Times reading stopped because the application was behind (read: MaxReadBufferSize reached; read_total: MaxTotalReadBufferSize reached over all connections) or sending waited because the peer was (write: the socket's send buffer full).");
        if (budget is not null)
        {
            meter.CreateObservableGauge(
                "echohost.transport.read.buffered",
                () => budget.Buffered,
                "By",
                "Bytes read from connections and not yet consumed by the application, over all connections (counted when MaxTotalReadBufferSize caps them).");
        }

        meter.CreateObservableCounter(
            "echohost.transport.accept.errors",
            ReadAcceptErrors,
            "{error}",
            "Accepts that failed or were paused, by error: out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM, descriptor_headroom) or another errno.");
    }

    /// <summary>The application had not read what the connection received: reading from the socket stops.</summary>
    public void ReceivePaused() => Interlocked.Increment(ref _receivePauses);

    /// <summary>The transport's total read buffer was full and this connection's application behind: reading from it stops.</summary>
    public void ReceivePausedForBudget() => Interlocked.Increment(ref _budgetPauses);

    /// <summary>The socket's send buffer was full (IOCP: a send went pending): sending waits for the peer to read.</summary>
    public void SendPaused() => Interlocked.Increment(ref _sendPauses);

    /// <summary>An accept failed with <paramref name="errno"/>, or (0) was paused for the descriptor headroom.</summary>
    public void AcceptFailed(int errno) => AcceptFailed(errno == 0 ? DescriptorHeadroom : ErrnoName(errno));

    /// <summary>An accept failed with the error named <paramref name="name"/> (Windows: a <c>SocketError</c> name).</summary>
    public void AcceptFailed(string name)
    {
        lock (_gate)
        {
            _acceptErrors[name] = _acceptErrors.GetValueOrDefault(name) + 1;
        }
    }

    private IEnumerable<Measurement<long>> ReadAcceptErrors()
    {
        lock (_gate)
        {
            return _acceptErrors.Select(e => new Measurement<long>(e.Value, new KeyValuePair<string, object?>("error", e.Key))).ToList();
        }
    }

    private static string ErrnoName(int errno) =>
        errno == Sys.EMFILE ? "EMFILE"
        : errno == Sys.ENFILE ? "ENFILE"
        : errno == Sys.ENOBUFS ? "ENOBUFS"
        : errno == Sys.ENOMEM ? "ENOMEM"
        : errno == Sys.ECONNABORTED ? "ECONNABORTED"
        : errno == Sys.EPERM ? "EPERM"
        : errno == Sys.EPROTO ? "EPROTO"
        : errno == Sys.EINVAL ? "EINVAL"
        : "errno_" + errno.ToString(CultureInfo.InvariantCulture);
}
