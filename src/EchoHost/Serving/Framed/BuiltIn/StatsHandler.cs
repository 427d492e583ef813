using System.Buffers;
using EchoHost.Protocol;

namespace EchoHost.Serving.Framed.BuiltIn;

/// <summary>Stats (0x40): the process's framed-protocol counters as a UTF-8 JSON object, formatted on the stack.</summary>
internal sealed class StatsHandler(FramedStats stats) : BuiltInHandler
{
    public override string? Answer(in Message request, IBufferWriter<byte> output, int maxFrameBytes)
    {
        Span<byte> json = stackalloc byte[FramedStats.MaxJsonBytes];
        stats.TryWriteJson(json, out var written);
        FrameWriter.WriteMessage(output, FrameKind.Response, request.Id, request.Type, json[..written], []);
        return null;
    }
}
