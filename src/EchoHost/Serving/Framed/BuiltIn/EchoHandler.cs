using System.Buffers;
using EchoHost.Protocol;

namespace EchoHost.Serving.Framed.BuiltIn;

/// <summary>Echo (0x10): the request's Data and Metadata back, copied from the input straight into the output.</summary>
internal sealed class EchoHandler : BuiltInHandler
{
    public override string? Answer(in Message request, IBufferWriter<byte> output, int maxFrameBytes)
    {
        FrameWriter.WriteMessage(output, FrameKind.Response, request.Id, request.Type, request.Data, request.Metadata);
        return null;
    }
}
