using EchoHost.Configuration;

namespace EchoHost.Serving.Framed;

/// <summary>
/// The process-wide bound on asynchronous handlers running at once (<c>MaxConcurrentHandlers</c>), so that many
/// connections each within their own bound still cannot start more work than the machine should run.
/// </summary>
internal sealed class HandlerLimiter(FramedOptions options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.MaxConcurrentHandlers, options.MaxConcurrentHandlers);

    public Task WaitAsync(CancellationToken cancellationToken) => _slots.WaitAsync(cancellationToken);

    public void Release() => _slots.Release();

    public void Dispose() => _slots.Dispose();
}
