namespace EchoHost.Serving.Framed.BuiltIn;

/// <summary>
/// A handler that always answers at once, on the fast path, as the built-ins do: it never waits for anything. Should
/// the server ever call its asynchronous path, that gives the same answer.
/// </summary>
internal abstract class ImmediateHandler : FramedHandler
{
    public sealed override bool TryHandle(in FramedRequest request, FramedServerResponse response)
    {
        Answer(request, response);
        return true;
    }

    public sealed override ValueTask HandleAsync(FramedRequest request, FramedServerResponse response, CancellationToken cancellationToken)
    {
        Answer(request, response);
        return ValueTask.CompletedTask;
    }

    /// <summary>Writes the answer to <paramref name="request"/> into <paramref name="response"/>.</summary>
    protected abstract void Answer(in FramedRequest request, FramedServerResponse response);
}
