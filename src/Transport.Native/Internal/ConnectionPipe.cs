using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Tasks.Sources;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// One direction of a connection's bytes: a pipe for one reader and one writer on different threads, with the
/// contract of <see cref="Pipe"/> (examined positions, back-pressure at <see cref="PipeOptions.PauseWriterThreshold"/>
/// resuming under <see cref="PipeOptions.ResumeWriterThreshold"/>, cancellation, completion with an error that the
/// other side sees, continuations on each side's scheduler) at a fraction of its size: it keeps segments only while
/// data is in flight (<see cref="PipeSegment"/>, pooled process-wide), completes both sides' waits itself, as
/// <see cref="IValueTaskSource{TResult}"/>, and queues thread-pool continuations as itself, so no operation allocates.
/// </summary>
/// <remarks>
/// The pipe is its reader; its writer is <see cref="Writer"/>, a view made when asked for. The transport calls the
/// side it owns directly (the loop writes the input and reads the output), so a connection has one object per direction
/// plus the output's writer view. An input pipe can carry the transport's <see cref="ReadBudget"/>: its bytes count
/// from their flush to their consumption, and <see cref="WaitForBudget"/> holds the writer while the budget is spent
/// and the reader is behind. State changes happen under a lock on the pipe; continuations run after it is released.
/// </remarks>
internal sealed class ConnectionPipe : PipeReader, IValueTaskSource<ReadResult>, IValueTaskSource<FlushResult>, IThreadPoolWorkItem
{
    [Flags]
    private enum State
    {
        ReaderCompleted = 1 << 0,
        WriterCompleted = 1 << 1,

        // The reader examined all that was committed: its next read waits for more.
        ExaminedAll = 1 << 2,
        ReadCancelRequested = 1 << 3,
        FlushCancelRequested = 1 << 4,
        ReadPending = 1 << 5,
        FlushPending = 1 << 6,

        // The pending flush is the writer's wait for the read budget, not back-pressure.
        FlushForBudget = 1 << 7,
        ReadCanceledByToken = 1 << 8,
        FlushCanceledByToken = 1 << 9,

        // The writer holds memory from GetMemory: its segment must stay.
        WritingActive = 1 << 10,
    }

    // Which side's continuation a completion runs, and which ones are queued on the thread pool.
    private const int ReaderSide = 1;
    private const int WriterSide = 2;

    private static readonly Action<object?> s_runReaderContinuation = static state => ((ConnectionPipe)state!).RunContinuation(ReaderSide);
    private static readonly Action<object?> s_runWriterContinuation = static state => ((ConnectionPipe)state!).RunContinuation(WriterSide);
    private static readonly Action<object?> s_cancelRead = static state => ((ConnectionPipe)state!).CancelReadByToken();
    private static readonly Action<object?> s_cancelFlush = static state => ((ConnectionPipe)state!).CancelFlushByToken();

    private readonly PipeOptions _options;
    private readonly ReadBudget? _budget;
    private State _state;
    private int _queuedOnThreadPool;

    // The data runs from (_readHead, _readHeadIndex) to the committed end (_readTail, _readTailIndex); what the writer
    // has not flushed follows, up to _writingHead. All null when the pipe holds nothing.
    private PipeSegment? _readHead;
    private int _readHeadIndex;
    private PipeSegment? _readTail;
    private int _readTailIndex;
    private PipeSegment? _writingHead;
    private long _unconsumed;
    private long _unflushed;

    private Action<object?>? _readerContinuation;
    private object? _readerContinuationState;
    private Action<object?>? _writerContinuation;
    private object? _writerContinuationState;
    private short _readToken;
    private short _flushToken;
    private Registrations? _registrations;

    // What the side that completed first completed with, which the other side's operations throw. One field is
    // enough: a side that has completed does no more operations, so the second side's error has nobody to reach.
    private Exception? _completionError;

    private PipeWriter? _writer;

    /// <param name="options">Pool, schedulers and thresholds; the other options of <see cref="Pipe"/> do not apply.</param>
    /// <param name="budget">The transport's cap on buffered bytes, for an input pipe; null for none.</param>
    public ConnectionPipe(PipeOptions options, ReadBudget? budget = null)
    {
        _options = options;
        _budget = budget;
    }

    /// <summary>The writing side as a <see cref="PipeWriter"/>.</summary>
    public PipeWriter Writer => _writer ??= new PipeWriterView(this);

    /// <summary>Bytes written and not yet flushed. Writer side.</summary>
    public long UnflushedBytes => _unflushed;

    private bool IsReadable
        => (_state & (State.WriterCompleted | State.ReadCancelRequested)) != 0 || (_unconsumed > 0 && (_state & State.ExaminedAll) == 0);

    // ---- Reading ----

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<ReadResult>(cancellationToken);
        }

        lock (this)
        {
            ThrowIfReaderCompleted();
            if ((_state & State.ReadPending) != 0)
            {
                throw new InvalidOperationException("A read is already pending.");
            }

            if (IsReadable)
            {
                return new ValueTask<ReadResult>(TakeReadResult());
            }

            _state |= State.ReadPending;
            _readToken++;
            if (cancellationToken.CanBeCanceled)
            {
                (_registrations ??= new()).Read = cancellationToken.UnsafeRegister(s_cancelRead, this);

                // Cancelled since the check above: the callback ran before its registration was stored, and missed it.
                if (cancellationToken.IsCancellationRequested && (_state & State.ReadPending) != 0)
                {
                    _state = (_state & ~State.ReadPending) | State.ReadCanceledByToken;
                }
            }

            return new ValueTask<ReadResult>(this, _readToken);
        }
    }

    public override bool TryRead(out ReadResult result)
    {
        lock (this)
        {
            ThrowIfReaderCompleted();
            if ((_state & State.ReadPending) == 0 && (_unconsumed > 0 || IsReadable))
            {
                result = TakeReadResult();
                return true;
            }
        }

        result = default;
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        int dispatch = 0;
        lock (this)
        {
            ThrowIfReaderCompleted();
            var consumedSegment = (PipeSegment?)consumed.GetObject();
            long consumedBytes = 0;
            if (consumedSegment is not null && _readHead is not null)
            {
                consumedBytes = consumedSegment.RunningIndex + consumed.GetInteger() - (_readHead.RunningIndex + _readHeadIndex);
            }

            if (consumedBytes < 0 || consumedBytes > _unconsumed)
            {
                throw new ArgumentOutOfRangeException(nameof(consumed), "The position is not within the buffer of the last read.");
            }

            // Everything is examined when the position reaches the committed end, which a flush may have moved since
            // the read: then there is more to read at once.
            bool examinedAll = examined.GetObject() is not PipeSegment examinedSegment || _readTail is null
                || examinedSegment.RunningIndex + examined.GetInteger() >= _readTail.RunningIndex + _readTailIndex;
            _state = examinedAll ? _state | State.ExaminedAll : _state & ~State.ExaminedAll;

            if (consumedSegment is not null)
            {
                Consume(consumedSegment, consumed.GetInteger(), consumedBytes);
            }

            if ((_state & State.FlushPending) != 0)
            {
                bool resume = (_state & State.FlushForBudget) != 0
                    ? _budget!.IsUnderLowWater || examinedAll
                    : _unconsumed < _options.ResumeWriterThreshold;
                if (resume)
                {
                    CompleteFlush(ref dispatch);
                }
            }
        }

        Dispatch(dispatch);
    }

    public override void CancelPendingRead()
    {
        int dispatch = 0;
        lock (this)
        {
            _state |= State.ReadCancelRequested;
            CompleteRead(ref dispatch);
        }

        Dispatch(dispatch);
    }

    public override void Complete(Exception? exception = null)
    {
        int dispatch = 0;
        lock (this)
        {
            if ((_state & State.ReaderCompleted) != 0)
            {
                return;
            }

            _completionError = (_state & State.WriterCompleted) == 0 ? exception : _completionError;
            _state |= State.ReaderCompleted;

            // Nothing will consume what is committed, nor what comes: it goes back now (DropCommitted on each flush).
            DropCommitted();
            CompleteFlush(ref dispatch);
        }

        Dispatch(dispatch);
    }

    // ---- Writing ----

    /// <summary>Memory to write into, at least <paramref name="sizeHint"/> bytes (a block, or an array when larger). Writer side.</summary>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        lock (this)
        {
            if ((_state & State.WriterCompleted) != 0)
            {
                throw new InvalidOperationException("Writing is not allowed after the writer was completed.");
            }

            _state |= State.WritingActive;
            PipeSegment? head = _writingHead;
            if (head is null)
            {
                head = PipeSegment.Rent(_options.Pool, sizeHint, runningIndex: 0);
                _readHead = _readTail = _writingHead = head;
                _readHeadIndex = _readTailIndex = 0;
            }
            else if (head.Writable.Length == 0 || head.Writable.Length < sizeHint)
            {
                PipeSegment next = PipeSegment.Rent(_options.Pool, sizeHint, head.RunningIndex + head.End);
                head.Append(next);
                _writingHead = head = next;
            }

            return head.Writable;
        }
    }

    /// <summary>The writer wrote <paramref name="bytes"/> into the memory of <see cref="GetMemory"/>. Writer side.</summary>
    public void Advance(int bytes)
    {
        if (bytes == 0)
        {
            return;
        }

        if ((_state & State.WritingActive) == 0 || _writingHead is not { } head)
        {
            throw new InvalidOperationException("Advance needs memory from GetMemory first.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, head.Writable.Length);
        head.Advance(bytes);
        _unflushed += bytes;
    }

    /// <summary>
    /// Makes what was written visible to the reader. Completes at once unless the reader is behind by
    /// <see cref="PipeOptions.PauseWriterThreshold"/> or more: then when it has consumed down to the resume threshold. Writer side.
    /// </summary>
    public ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<FlushResult>(cancellationToken);
        }

        int dispatch = 0;
        ValueTask<FlushResult> flush;
        Exception? error = null;
        lock (this)
        {
            if ((_state & State.WriterCompleted) != 0)
            {
                throw new InvalidOperationException("Writing is not allowed after the writer was completed.");
            }

            Commit(ref dispatch);
            long pause = _options.PauseWriterThreshold;
            if ((_state & (State.FlushCancelRequested | State.ReaderCompleted)) != 0 || pause <= 0 || _unconsumed < pause)
            {
                flush = new ValueTask<FlushResult>(TakeFlushResult(out error));
            }
            else
            {
                flush = BeginFlushWait(cancellationToken);
            }
        }

        // The reader runs before an error of its own completion reaches the writer.
        Dispatch(dispatch);
        if (error is not null)
        {
            throw error;
        }

        return flush;
    }

    /// <summary>The writer gives back the memory of <see cref="GetMemory"/> without writing into it. Writer side.</summary>
    public void ReturnUnusedMemory()
    {
        lock (this)
        {
            if (_unflushed == 0)
            {
                _state &= ~State.WritingActive;
                ReleaseIfEmpty();
            }
        }
    }

    /// <summary>
    /// Waits, when the transport's read budget is spent, until this pipe's reader has caught up: it consumed enough for
    /// the total to fall under half the budget, or it examined everything (then it needs more bytes to go on, and
    /// holding them back could never end). Completes at once otherwise. Writer side, before taking memory.
    /// </summary>
    public ValueTask<FlushResult> WaitForBudget()
    {
        if (_budget is null || !_budget.IsExhausted)
        {
            return default;
        }

        lock (this)
        {
            if ((_state & (State.ReaderCompleted | State.ExaminedAll | State.FlushCancelRequested)) != 0 || _unconsumed == 0)
            {
                return default;
            }

            _state |= State.FlushForBudget;
            return BeginFlushWait(default);
        }
    }

    /// <summary>Makes the writer's pending or next flush complete with <see cref="FlushResult.IsCanceled"/>. Writer side or any thread.</summary>
    public void CancelPendingFlush()
    {
        int dispatch = 0;
        lock (this)
        {
            _state |= State.FlushCancelRequested;
            CompleteFlush(ref dispatch);
        }

        Dispatch(dispatch);
    }

    /// <summary>Ends the writing side: what was written is flushed, and the reader sees the end, or <paramref name="exception"/>.</summary>
    public void CompleteWriter(Exception? exception = null)
    {
        int dispatch = 0;
        lock (this)
        {
            if ((_state & State.WriterCompleted) != 0)
            {
                return;
            }

            Commit(ref dispatch);
            _completionError = (_state & State.ReaderCompleted) == 0 ? exception : _completionError;
            _state |= State.WriterCompleted;
            CompleteRead(ref dispatch);
            if ((_state & State.ReaderCompleted) != 0)
            {
                DropCommitted();
            }
        }

        Dispatch(dispatch);
    }

    // ---- Waiting without a ValueTask: the transport's own side ----

    /// <summary>
    /// Runs <paramref name="continuation"/> with <paramref name="state"/> on the reader's scheduler once the read that
    /// <see cref="ReadAsync"/> left pending completes; <see cref="GetPendingReadResult"/> then has its result. Lets the
    /// transport wait with a static delegate instead of a delegate and a stored ValueTask per connection.
    /// </summary>
    public void OnReadCompleted(Action<object?> continuation, object state) => OnCompleted(ReaderSide, continuation, state, default);

    /// <summary>The result of the read that <see cref="OnReadCompleted"/> waited for.</summary>
    public ReadResult GetPendingReadResult() => ((IValueTaskSource<ReadResult>)this).GetResult(_readToken);

    /// <summary>As <see cref="OnReadCompleted"/>, for a pending <see cref="FlushAsync"/> or <see cref="WaitForBudget"/>.</summary>
    public void OnFlushCompleted(Action<object?> continuation, object state) => OnCompleted(WriterSide, continuation, state, default);

    /// <summary>The result of the flush that <see cref="OnFlushCompleted"/> waited for.</summary>
    public FlushResult GetPendingFlushResult() => ((IValueTaskSource<FlushResult>)this).GetResult(_flushToken);

    // ---- Completion of the two sides' operations ----

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token)
    {
        // Read without the lock: a stale Pending only sends the caller to OnCompleted, which looks again under it.
        State state = _state;
        return (state & State.ReadPending) != 0 ? ValueTaskSourceStatus.Pending
            : (state & State.ReadCanceledByToken) != 0 ? ValueTaskSourceStatus.Canceled
            : (state & State.WriterCompleted) != 0 && _completionError is not null ? ValueTaskSourceStatus.Faulted
            : ValueTaskSourceStatus.Succeeded;
    }

    ValueTaskSourceStatus IValueTaskSource<FlushResult>.GetStatus(short token)
    {
        State state = _state;
        return (state & State.FlushPending) != 0 ? ValueTaskSourceStatus.Pending
            : (state & State.FlushCanceledByToken) != 0 ? ValueTaskSourceStatus.Canceled
            : (state & State.ReaderCompleted) != 0 && _completionError is not null ? ValueTaskSourceStatus.Faulted
            : ValueTaskSourceStatus.Succeeded;
    }

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => OnCompleted(ReaderSide, continuation, state, flags);

    void IValueTaskSource<FlushResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => OnCompleted(WriterSide, continuation, state, flags);

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token)
    {
        lock (this)
        {
            if (token != _readToken || (_state & State.ReadPending) != 0)
            {
                throw new InvalidOperationException("The read is not complete, or its result was already taken.");
            }

            CancellationToken cancellationToken = Registrations.Take(ref _registrations, flush: false);
            if ((_state & State.ReadCanceledByToken) != 0)
            {
                _state &= ~State.ReadCanceledByToken;
                throw new OperationCanceledException(cancellationToken);
            }

            return TakeReadResult();
        }
    }

    FlushResult IValueTaskSource<FlushResult>.GetResult(short token)
    {
        FlushResult result;
        Exception? error;
        lock (this)
        {
            if (token != _flushToken || (_state & State.FlushPending) != 0)
            {
                throw new InvalidOperationException("The flush is not complete, or its result was already taken.");
            }

            CancellationToken cancellationToken = Registrations.Take(ref _registrations, flush: true);
            if ((_state & State.FlushCanceledByToken) != 0)
            {
                _state &= ~State.FlushCanceledByToken;
                throw new OperationCanceledException(cancellationToken);
            }

            result = TakeFlushResult(out error);
        }

        return error is null ? result : throw error;
    }

    void IThreadPoolWorkItem.Execute()
    {
        int queued = Interlocked.Exchange(ref _queuedOnThreadPool, 0);
        if ((queued & ReaderSide) != 0)
        {
            RunContinuation(ReaderSide);
        }

        if ((queued & WriterSide) != 0)
        {
            RunContinuation(WriterSide);
        }
    }

    private void OnCompleted(int side, Action<object?> continuation, object? state, ValueTaskSourceOnCompletedFlags flags)
    {
        if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0 && ExecutionContext.Capture() is { } context)
        {
            // Only a caller that does not flow the context itself asks for this (await does), so the wrapper is rare.
            (continuation, state) = ContextContinuation.Wrap(continuation, state, context);
        }

        bool completed;
        lock (this)
        {
            if (side == ReaderSide)
            {
                _readerContinuation = continuation;
                _readerContinuationState = state;
                completed = (_state & State.ReadPending) == 0;
            }
            else
            {
                _writerContinuation = continuation;
                _writerContinuationState = state;
                completed = (_state & State.FlushPending) == 0;
            }
        }

        if (completed)
        {
            Dispatch(side);
        }
    }

    /// <summary>Runs the continuations of the completed <paramref name="sides"/>, each on its side's scheduler.</summary>
    private void Dispatch(int sides)
    {
        if ((sides & ReaderSide) != 0)
        {
            Schedule(ReaderSide, _options.ReaderScheduler);
        }

        if ((sides & WriterSide) != 0)
        {
            Schedule(WriterSide, _options.WriterScheduler);
        }
    }

    private void Schedule(int side, PipeScheduler scheduler)
    {
        if (scheduler == PipeScheduler.Inline)
        {
            RunContinuation(side);
        }
        else if (scheduler == PipeScheduler.ThreadPool)
        {
            // The pipe is its own work item: the pool's queueing of a delegate would allocate per call.
            Interlocked.Or(ref _queuedOnThreadPool, side);
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        else
        {
            scheduler.Schedule(side == ReaderSide ? s_runReaderContinuation : s_runWriterContinuation, this);
        }
    }

    private void RunContinuation(int side)
    {
        Action<object?>? continuation;
        object? state;
        lock (this)
        {
            if (side == ReaderSide)
            {
                (continuation, state) = (_readerContinuation, _readerContinuationState);
                (_readerContinuation, _readerContinuationState) = (null, null);
            }
            else
            {
                (continuation, state) = (_writerContinuation, _writerContinuationState);
                (_writerContinuation, _writerContinuationState) = (null, null);
            }
        }

        continuation?.Invoke(state);
    }

    private void CancelReadByToken()
    {
        int dispatch = 0;
        lock (this)
        {
            // A registration that fired late belongs to a read that already completed, unless this one shares its token.
            if ((_state & State.ReadPending) != 0 && _registrations?.Read.Token.IsCancellationRequested == true)
            {
                _state |= State.ReadCanceledByToken;
                CompleteRead(ref dispatch);
            }
        }

        Dispatch(dispatch);
    }

    private void CancelFlushByToken()
    {
        int dispatch = 0;
        lock (this)
        {
            if ((_state & State.FlushPending) != 0 && _registrations?.Flush.Token.IsCancellationRequested == true)
            {
                _state |= State.FlushCanceledByToken;
                CompleteFlush(ref dispatch);
            }
        }

        Dispatch(dispatch);
    }

    // ---- Under the lock ----

    private void ThrowIfReaderCompleted()
    {
        if ((_state & State.ReaderCompleted) != 0)
        {
            throw new InvalidOperationException("Reading is not allowed after the reader was completed.");
        }
    }

    private ReadResult TakeReadResult()
    {
        bool canceled = (_state & State.ReadCancelRequested) != 0;
        _state &= ~State.ReadCancelRequested;
        bool completed = (_state & State.WriterCompleted) != 0;
        if (completed && _completionError is { } error)
        {
            throw error;
        }

        ReadOnlySequence<byte> buffer = _readHead is null ? default : new ReadOnlySequence<byte>(_readHead, _readHeadIndex, _readTail!, _readTailIndex);
        return new ReadResult(buffer, canceled, completed);
    }

    private FlushResult TakeFlushResult(out Exception? error)
    {
        bool canceled = (_state & State.FlushCancelRequested) != 0;
        _state &= ~State.FlushCancelRequested;
        bool completed = (_state & State.ReaderCompleted) != 0;
        error = completed ? _completionError : null;
        return new FlushResult(canceled, completed);
    }

    private ValueTask<FlushResult> BeginFlushWait(CancellationToken cancellationToken)
    {
        _state |= State.FlushPending;
        _flushToken++;
        if (cancellationToken.CanBeCanceled)
        {
            (_registrations ??= new()).Flush = cancellationToken.UnsafeRegister(s_cancelFlush, this);
            if (cancellationToken.IsCancellationRequested && (_state & State.FlushPending) != 0)
            {
                _state = (_state & ~(State.FlushPending | State.FlushForBudget)) | State.FlushCanceledByToken;
            }
        }

        return new ValueTask<FlushResult>(this, _flushToken);
    }

    private void CompleteRead(ref int dispatch)
    {
        if ((_state & State.ReadPending) != 0)
        {
            _state &= ~State.ReadPending;
            dispatch |= _readerContinuation is null ? 0 : ReaderSide;
        }
    }

    private void CompleteFlush(ref int dispatch)
    {
        if ((_state & State.FlushPending) != 0)
        {
            _state &= ~(State.FlushPending | State.FlushForBudget);
            dispatch |= _writerContinuation is null ? 0 : WriterSide;
        }
    }

    /// <summary>Makes what the writer wrote visible to the reader, and wakes it when there is something new.</summary>
    private void Commit(ref int dispatch)
    {
        _state &= ~State.WritingActive;
        if (_unflushed == 0)
        {
            ReleaseIfEmpty();
            return;
        }

        for (PipeSegment? segment = _readTail; segment is not null; segment = segment.Next)
        {
            segment.Commit();
        }

        _readTail = _writingHead;
        _readTailIndex = _writingHead!.End;
        _unconsumed += _unflushed;
        _budget?.Add(_unflushed);
        _unflushed = 0;
        _state &= ~State.ExaminedAll;
        if ((_state & State.ReaderCompleted) != 0)
        {
            DropCommitted();
        }
        else
        {
            CompleteRead(ref dispatch);
        }
    }

    private void DropCommitted()
    {
        if (_readTail is not null)
        {
            Consume(_readTail, _readTailIndex, _unconsumed);
        }
    }

    /// <summary>The reader is done with <paramref name="bytes"/>, up to (<paramref name="segment"/>, <paramref name="index"/>): their segments go back.</summary>
    private void Consume(PipeSegment segment, int index, long bytes)
    {
        _unconsumed -= bytes;
        if (bytes > 0)
        {
            _budget?.Release(bytes);
        }

        if (ReleaseIfEmpty())
        {
            return;
        }

        // A segment the writer has left, consumed to its end: the data starts at the next one.
        if (segment != _writingHead && index == segment.End)
        {
            PipeSegment next = segment.Next!;
            if (_readTail == segment)
            {
                _readTail = next;
                _readTailIndex = 0;
            }

            segment = next;
            index = 0;
        }

        ReturnSegments(_readHead, until: segment);
        _readHead = segment;
        _readHeadIndex = index;
    }

    /// <summary>Gives back every segment when the pipe is empty and the writer holds none: an idle pipe keeps nothing.</summary>
    private bool ReleaseIfEmpty()
    {
        if (_unconsumed != 0 || _unflushed != 0 || (_state & State.WritingActive) != 0)
        {
            return false;
        }

        ReturnSegments(_readHead, until: null);
        _readHead = _readTail = _writingHead = null;
        _readHeadIndex = _readTailIndex = 0;
        return true;
    }

    private static void ReturnSegments(PipeSegment? from, PipeSegment? until)
    {
        while (from is not null && from != until)
        {
            PipeSegment? next = from.Next;
            from.Return();
            from = next;
        }
    }

    /// <summary>The writing side as the application sees it.</summary>
    private sealed class PipeWriterView(ConnectionPipe pipe) : PipeWriter
    {
        public override bool CanGetUnflushedBytes => true;

        public override long UnflushedBytes => pipe.UnflushedBytes;

        public override void Advance(int bytes) => pipe.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => pipe.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => pipe.GetMemory(sizeHint).Span;

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => pipe.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => pipe.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => pipe.CompleteWriter(exception);
    }

    /// <summary>
    /// The registrations of a read and a flush given a token that can be cancelled: made when a pipe is first given one,
    /// since most never are (the transport's own side never is), so a pipe does not carry two registrations inline.
    /// </summary>
    private sealed class Registrations
    {
        public CancellationTokenRegistration Read;
        public CancellationTokenRegistration Flush;

        /// <summary>Ends the registration of a completed operation and returns its token.</summary>
        public static CancellationToken Take(ref Registrations? registrations, bool flush)
        {
            if (registrations is null)
            {
                return default;
            }

            ref CancellationTokenRegistration registration = ref flush ? ref registrations.Flush : ref registrations.Read;
            CancellationToken token = registration.Token;
            registration.Unregister();
            registration = default;
            return token;
        }
    }

    /// <summary>A continuation that must run in the execution context of whoever registered it.</summary>
    private sealed class ContextContinuation(Action<object?> continuation, object? state, ExecutionContext context)
    {
        private static readonly Action<object?> s_run = static item => ((ContextContinuation)item!).Run();
        private static readonly ContextCallback s_invoke = static item => ((ContextContinuation)item!).Invoke();

        public static (Action<object?>, object?) Wrap(Action<object?> continuation, object? state, ExecutionContext context)
            => (s_run, new ContextContinuation(continuation, state, context));

        private void Run() => ExecutionContext.Run(context, s_invoke, this);

        private void Invoke() => continuation(state);
    }
}
