using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;

namespace EchoHost.Serving;

/// <summary>
/// One line per message in the common log format of the simplest echo servers, <c>remote - - [time] "ECHO" bytes</c>,
/// logged at Information under the category <c>EchoHost.AccessLog</c>. Off by default (<c>EchoHost:AccessLog</c>):
/// then connections hold null instead of this and the hot path pays one null check.
/// </summary>
internal sealed partial class AccessLog(ILogger logger)
{
    public const string Category = "EchoHost.AccessLog";

    public void Write(EndPoint? remote, string request, long bytes)
    {
        var address = remote switch
        {
            IPEndPoint ip => ip.Address.ToString(),
            null => "-",
            _ => remote.ToString() ?? "-",
        };

        var time = DateTimeOffset.UtcNow.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture);
        LogLine(logger, address, time, request, bytes);
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "{RemoteAddress} - - [{Time}] \"{Request}\" {Bytes}")]
    private static partial void LogLine(ILogger logger, string remoteAddress, string time, string request, long bytes);
}
