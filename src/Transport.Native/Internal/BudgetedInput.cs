using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// The application's side of a connection's pipes when the transport has a <see cref="ReadBudget"/>: the input pipe's
/// reader, which tells the budget what the application consumes and the connection what it has examined. One object
/// per connection, in place of the plain pair of pipes.
/// </summary>
/// <remarks>
/// Only a connection whose application is behind (it has bytes it has not examined yet) stops reading for the budget.
/// One whose application has examined everything waits for more bytes to make progress (the rest of a frame), so it
/// keeps reading, bounded by <c>MaxReadBufferSize</c> alone: the budget can never hold back the bytes that would let
/// an application consume, and so never deadlocks. See docs/transport.md.
/// </remarks>
internal sealed class BudgetedInput : PipeReader, IDuplexPipe
{
    private readonly PipeReader _inner;
    private readonly ReadBudget _budget;
    private readonly NativeConnection _connection;

    // The buffer of the application's last read: its positions come back in AdvanceTo. Application side only.
    private ReadOnlySequence<byte> _lastBuffer;
    private long _consumed;

    // Received and not consumed: the loop adds, the application (or the release at the end) takes away.
    private long _buffered;
    private long _received;
    private long _examined;
    private int _paused;
    private int _released;

    public BudgetedInput(PipeReader inner, PipeWriter output, ReadBudget budget, NativeConnection connection)
    {
        _inner = inner;
        _budget = budget;
        _connection = connection;
        Output = output;
    }

    public PipeReader Input => this;

    public PipeWriter Output { get; }

    private bool HasUnexamined => Volatile.Read(ref _received) > Interlocked.Read(ref _examined);

    /// <summary>The loop read <paramref name="bytes"/> into the pipe. Loop thread.</summary>
    public void OnReceived(int bytes)
    {
        Volatile.Write(ref _received, _received + bytes);
        Interlocked.Add(ref _buffered, bytes);
        _budget.Add(bytes);
        if (Volatile.Read(ref _released) != 0)
        {
            // The application has gone: what it will never consume goes back at once.
            _budget.Release(Interlocked.Exchange(ref _buffered, 0));
        }
    }

    /// <summary>
    /// True when the loop must stop reading: the budget is spent and the application is behind. The application's
    /// next <see cref="AdvanceTo(SequencePosition, SequencePosition)"/> that finds the budget under its low-water mark,
    /// or finds everything examined, resumes the connection. Loop thread.
    /// </summary>
    public bool ShouldPause()
    {
        if (!_budget.IsExhausted || !HasUnexamined)
        {
            return false;
        }

        Interlocked.Exchange(ref _paused, 1);

        // The application may have advanced between the test above and the flag: look again, as it will have looked.
        if (!_budget.IsUnderLowWater && HasUnexamined)
        {
            return true;
        }

        // Whoever clears the flag resumes: if the application did, its resume is on the way.
        return Interlocked.CompareExchange(ref _paused, 0, 1) == 0;
    }

    /// <summary>Gives back what the application did not consume; once, when the input is completed or the connection disposed.</summary>
    public void Release()
    {
        Interlocked.Exchange(ref _released, 1);
        _budget.Release(Interlocked.Exchange(ref _buffered, 0));
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<ReadResult> read = _inner.ReadAsync(cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            ReadResult result = read.Result;
            _lastBuffer = result.Buffer;
            return new ValueTask<ReadResult>(result);
        }

        return ReadPendingAsync(read);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!_inner.TryRead(out result))
        {
            return false;
        }

        _lastBuffer = result.Buffer;
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        long consumedBytes = _lastBuffer.GetOffset(consumed);
        long examinedBytes = _lastBuffer.GetOffset(examined);
        _inner.AdvanceTo(consumed, examined);
        _lastBuffer = default;
        if (Volatile.Read(ref _released) != 0)
        {
            return;
        }

        long examinedTotal = _consumed + examinedBytes;
        _consumed += consumedBytes;
        if (examinedTotal > Interlocked.Read(ref _examined))
        {
            Interlocked.Exchange(ref _examined, examinedTotal);
        }

        if (consumedBytes > 0)
        {
            Interlocked.Add(ref _buffered, -consumedBytes);
            _budget.Release(consumedBytes);
        }

        // A full fence came before (the exchange or the additions), so a loop that set the flag is seen here.
        if (Volatile.Read(ref _paused) != 0 && (_budget.IsUnderLowWater || !HasUnexamined)
            && Interlocked.CompareExchange(ref _paused, 0, 1) == 1)
        {
            _connection.ResumeAfterBudget();
        }
    }

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        _inner.Complete(exception);
        Release();
    }

    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        Complete(exception);
        return default;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> ReadPendingAsync(ValueTask<ReadResult> read)
    {
        ReadResult result = await read.ConfigureAwait(false);
        _lastBuffer = result.Buffer;
        return result;
    }
}
