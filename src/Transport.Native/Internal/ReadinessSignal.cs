namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// A set-or-not flag that one waiter can await: however often it is set before the wait, the wait completes once.
/// The acceptor uses it to hear that its listening socket may have connections, without counting the edges.
/// </summary>
internal sealed class ReadinessSignal
{
    private readonly Lock _gate = new();
    private bool _set;
    private TaskCompletionSource? _waiter;

    public void Set()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            waiter = _waiter;
            _waiter = null;
            _set = waiter is null;
        }

        waiter?.TrySetResult();
    }

    /// <summary>Forgets a set that came before now: what the caller is about to look at covers it.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _set = false;
        }
    }

    public Task WaitAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_set)
            {
                _set = false;
                return Task.CompletedTask;
            }

            waiter = _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return cancellationToken.CanBeCanceled ? WaitCancellablyAsync(waiter, cancellationToken) : waiter.Task;
    }

    private async Task WaitCancellablyAsync(TaskCompletionSource waiter, CancellationToken cancellationToken)
    {
        try
        {
            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The next wait gets a waiter of its own, and a set meanwhile is not lost to the abandoned one.
            lock (_gate)
            {
                if (_waiter == waiter)
                {
                    _waiter = null;
                }
                else if (waiter.Task.IsCompletedSuccessfully)
                {
                    _set = true;
                }
            }

            throw;
        }
    }
}
