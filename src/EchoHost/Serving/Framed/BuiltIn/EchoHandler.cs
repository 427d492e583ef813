namespace EchoHost.Serving.Framed.BuiltIn;

/// <summary>Echo (0x10): the request's Data and Metadata back, copied from the input straight into the output.</summary>
internal sealed class EchoHandler : ImmediateHandler
{
    protected override void Answer(in FramedRequest request, FramedServerResponse response) => response.EchoRequest(request);
}
