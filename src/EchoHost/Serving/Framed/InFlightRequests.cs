using EchoHost.Connections;

namespace EchoHost.Serving.Framed;

/// <summary>
/// Counts a connection's requests that went to an asynchronous handler and are not answered yet, and lets the read
/// loop wait for the count to drop: below <c>MaxInFlightPerConnection</c> to read on (back-pressure), or to zero
/// before the connection closes (every request read is answered).
/// </summary>
internal sealed class InFlightRequests(int limit) : IPendingWork
{
    private readonly Lock _gate = new();
    private int _count;
    private int _waitBelow;
    private bool _closeRequested;
    private TaskCompletionSource? _waiter;

    /// <summary>True when no more requests may be read until one is answered.</summary>
    public bool IsFull => Volatile.Read(ref _count) >= limit;

    public int Count => Volatile.Read(ref _count);

    int IPendingWork.Pending => Count;

    public void Add()
    {
        lock (_gate)
        {
            _count++;
        }
    }

    public void Remove()
    {
        TaskCompletionSource? waiter = null;
        lock (_gate)
        {
            _count--;
            if (_waiter is not null && _count < _waitBelow)
            {
                waiter = _waiter;
                _waiter = null;
            }
        }

        // Outside the lock; continuations run asynchronously, so the handler's thread does not run the read loop.
        waiter?.TrySetResult();
    }

    /// <summary>Wakes a wait for a free slot, so that the read loop sees the close request and sends GoAway.</summary>
    public void RequestClose()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            _closeRequested = true;
            waiter = _waiter;
            _waiter = null;
        }

        waiter?.TrySetResult();
    }

    /// <summary>Waits until a request may be read again, or the connection is asked to close.</summary>
    public Task WaitForSlotAsync() => WaitBelowAsync(limit, wakeOnClose: true);

    /// <summary>Waits until every request read has been answered.</summary>
    public async Task WaitForAllAsync()
    {
        while (Count > 0)
        {
            await WaitBelowAsync(1, wakeOnClose: false);
        }
    }

    private Task WaitBelowAsync(int below, bool wakeOnClose)
    {
        lock (_gate)
        {
            if (_count < below || (wakeOnClose && _closeRequested))
            {
                return Task.CompletedTask;
            }

            // One waiter at a time: only the read loop waits.
            _waitBelow = below;
            _waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _waiter.Task;
        }
    }
}
