using System.Net;
using EchoHost.Connections;

namespace EchoHost.Serving.Framed;

/// <summary>A framed connection's access log: one line per request, named by its Type (<c>"ECHO"</c>, <c>"0x50"</c>).</summary>
internal sealed class RequestAccessLog(AccessLog log, EndPoint? remote, MessageTypeSlots messageTypes)
{
    public void Write(byte type, long payloadBytes) =>
        log.Write(remote, messageTypes.Names[messageTypes.SlotOf(type)].ToUpperInvariant(), payloadBytes);
}
