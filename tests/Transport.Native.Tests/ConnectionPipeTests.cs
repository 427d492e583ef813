using System.Buffers;
using System.IO.Pipelines;
using EchoHost.Transport.Native.Internal;

namespace EchoHost.Transport.Native.Tests;

// These tests drive the pipe's ValueTasks by hand, as the transport's loops do: they look at IsCompleted first.
#pragma warning disable CA2012

/// <summary>
/// <see cref="ConnectionPipe"/> on its own: the <see cref="Pipe"/> contract the transport's connections rely on
/// (examined positions, back-pressure, cancellation, completion errors, large size hints, one reader and one writer on
/// different threads), memory held only while data is in flight, no allocation per operation, and the read budget.
/// </summary>
public sealed class ConnectionPipeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Bytes_written_across_many_blocks_arrive_in_order()
    {
        var pipe = new ConnectionPipe(Options(new CountingPool()));
        byte[] sent = Pattern(50_000);
        for (int offset = 0; offset < sent.Length; offset += 3_000)
        {
            int length = Math.Min(3_000, sent.Length - offset);
            sent.AsSpan(offset, length).CopyTo(pipe.Writer.GetSpan(length));
            pipe.Writer.Advance(length);
            await pipe.Writer.FlushAsync();
        }

        pipe.Writer.Complete();
        Assert.Equal(sent, await ReadToEndAsync(pipe));
    }

    [Fact]
    public async Task A_read_after_examining_everything_waits_for_new_bytes()
    {
        var pipe = new ConnectionPipe(Options(new CountingPool()));
        await WriteAsync(pipe.Writer, Pattern(10));

        ReadResult first = await pipe.ReadAsync();
        pipe.AdvanceTo(first.Buffer.Start, first.Buffer.End);
        ValueTask<ReadResult> second = pipe.ReadAsync();
        Assert.False(second.IsCompleted);

        await WriteAsync(pipe.Writer, Pattern(5));
        ReadResult result = await second.AsTask().WaitAsync(Patience);
        Assert.Equal(15, result.Buffer.Length);

        // Examined short of the end: the next read returns at once, with the same bytes.
        pipe.AdvanceTo(result.Buffer.GetPosition(2), result.Buffer.GetPosition(10));
        ValueTask<ReadResult> third = pipe.ReadAsync();
        Assert.True(third.IsCompleted);
        Assert.Equal(13, (await third).Buffer.Length);
    }

    [Fact]
    public async Task The_writer_pauses_at_the_threshold_and_resumes_under_the_resume_threshold()
    {
        var pipe = new ConnectionPipe(Options(new CountingPool(), pause: 100, resume: 50));
        pipe.Writer.GetSpan(100);
        pipe.Writer.Advance(100);
        Assert.Equal(100, pipe.Writer.UnflushedBytes);
        ValueTask<FlushResult> flush = pipe.Writer.FlushAsync();
        Assert.False(flush.IsCompleted);
        Assert.Equal(0, pipe.Writer.UnflushedBytes);

        ReadResult read = await pipe.ReadAsync();
        pipe.AdvanceTo(read.Buffer.GetPosition(40), read.Buffer.End);
        Assert.False(flush.IsCompleted);

        // Everything is examined, so a read would wait; TryRead still hands out the unconsumed bytes.
        Assert.False(pipe.ReadAsync().IsCompleted);
        pipe.CancelPendingRead();
        Assert.True(pipe.TryRead(out read));
        Assert.Equal(60, read.Buffer.Length);
        pipe.AdvanceTo(read.Buffer.GetPosition(20));
        FlushResult result = await flush.AsTask().WaitAsync(Patience);
        Assert.False(result.IsCompleted);
        Assert.False(result.IsCanceled);
    }

    [Fact]
    public async Task Pending_operations_are_cancelled_by_their_cancel_calls_and_tokens()
    {
        var pipe = new ConnectionPipe(Options(new CountingPool(), pause: 10, resume: 5));

        ValueTask<ReadResult> read = pipe.ReadAsync();
        pipe.CancelPendingRead();
        Assert.True((await read.AsTask().WaitAsync(Patience)).IsCanceled);

        // A cancel with no read pending applies to the next read.
        pipe.CancelPendingRead();
        Assert.True((await pipe.ReadAsync()).IsCanceled);

        using var source = new CancellationTokenSource();
        read = pipe.ReadAsync(source.Token);
        source.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.AsTask().WaitAsync(Patience));

        pipe.Writer.GetSpan(10);
        pipe.Writer.Advance(10);
        ValueTask<FlushResult> flush = pipe.Writer.FlushAsync();
        pipe.Writer.CancelPendingFlush();
        Assert.True((await flush.AsTask().WaitAsync(Patience)).IsCanceled);

        using var flushSource = new CancellationTokenSource();
        flush = pipe.Writer.FlushAsync(flushSource.Token);
        flushSource.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => flush.AsTask().WaitAsync(Patience));

        // After all that the pipe still works.
        ReadResult result = await pipe.ReadAsync();
        Assert.Equal(10, result.Buffer.Length);
    }

    [Fact]
    public async Task Each_side_sees_the_error_the_other_completed_with()
    {
        var pipe = new ConnectionPipe(Options(new CountingPool()));
        ValueTask<ReadResult> read = pipe.ReadAsync();
        pipe.Writer.Complete(new TimeoutException("writer failed"));
        var error = await Assert.ThrowsAsync<TimeoutException>(() => read.AsTask().WaitAsync(Patience));
        Assert.Equal("writer failed", error.Message);

        var other = new ConnectionPipe(Options(new CountingPool(), pause: 4, resume: 2));
        await other.Writer.WriteAsync(Pattern(1));
        other.Writer.GetSpan(8);
        other.Writer.Advance(8);
        ValueTask<FlushResult> flush = other.Writer.FlushAsync();
        Assert.False(flush.IsCompleted);
        other.Complete(new TimeoutException("reader failed"));
        error = await Assert.ThrowsAsync<TimeoutException>(() => flush.AsTask().WaitAsync(Patience));
        Assert.Equal("reader failed", error.Message);
    }

    [Fact]
    public async Task A_size_hint_larger_than_a_block_gets_an_array_and_the_end_reaches_the_reader()
    {
        var pool = new CountingPool();
        var pipe = new ConnectionPipe(Options(pool));
        Memory<byte> memory = pipe.Writer.GetMemory(3 * pool.MaxBufferSize);
        Assert.True(memory.Length >= 3 * pool.MaxBufferSize);
        byte[] sent = Pattern(memory.Length);
        sent.CopyTo(memory);
        pipe.Writer.Advance(sent.Length);

        // Completing flushes what was written.
        pipe.Writer.Complete();
        Assert.Equal(sent, await ReadToEndAsync(pipe));
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public async Task The_pipe_holds_no_memory_once_everything_is_consumed()
    {
        var pool = new CountingPool();
        var pipe = new ConnectionPipe(Options(pool));
        await WriteAsync(pipe.Writer, Pattern(10_000));
        Assert.Equal(3, pool.Outstanding);

        ReadResult read = await pipe.ReadAsync();
        pipe.AdvanceTo(read.Buffer.GetPosition(5_000));
        Assert.Equal(2, pool.Outstanding);
        read = await pipe.ReadAsync();
        pipe.AdvanceTo(read.Buffer.End);
        Assert.Equal(0, pool.Outstanding);

        // A writer that holds memory keeps its block; the reader's completion gives back what is committed.
        await WriteAsync(pipe.Writer, Pattern(100));
        pipe.Writer.GetMemory();
        pipe.Complete();
        Assert.Equal(1, pool.Outstanding);
        pipe.Writer.Complete();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public async Task One_writer_and_one_reader_on_different_threads_move_every_byte_under_back_pressure()
    {
        var pipe = new ConnectionPipe(Options(new CountingPool(), pause: 20_000, resume: 10_000, PipeScheduler.ThreadPool, PipeScheduler.ThreadPool));
        byte[] sent = Pattern(4 * 1024 * 1024);
        Task writer = Task.Run(async () =>
        {
            var random = new Random(7);
            for (int offset = 0; offset < sent.Length;)
            {
                int length = Math.Min(random.Next(1, 9_000), sent.Length - offset);
                await pipe.Writer.WriteAsync(sent.AsMemory(offset, length));
                offset += length;
            }

            pipe.Writer.Complete();
        });

        byte[] received = await Task.Run(() => ReadToEndAsync(pipe, examineShort: true)).WaitAsync(TimeSpan.FromSeconds(90));
        await writer;
        Assert.Equal(sent, received);
    }

    [Fact]
    public async Task Reads_cancelled_from_a_third_thread_lose_and_reorder_nothing()
    {
        var pipe = new ConnectionPipe(Options(new CountingPool(), pause: 8_000, resume: 4_000, PipeScheduler.ThreadPool, PipeScheduler.ThreadPool));
        byte[] sent = Pattern(2 * 1024 * 1024);
        using var done = new CancellationTokenSource();
        Task canceller = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                pipe.CancelPendingRead();
                await Task.Yield();
            }
        });
        Task writer = Task.Run(async () =>
        {
            var random = new Random(11);
            for (int offset = 0; offset < sent.Length;)
            {
                int length = Math.Min(random.Next(1, 5_000), sent.Length - offset);
                await pipe.Writer.WriteAsync(sent.AsMemory(offset, length));
                offset += length;
            }

            pipe.Writer.Complete();
        });

        var received = new List<byte>();
        int cancelled = 0;
        await Task.Run(async () =>
        {
            while (true)
            {
                ReadResult result = await pipe.ReadAsync();
                if (result.IsCanceled)
                {
                    // As the framed endpoint does: nothing consumed, nothing examined.
                    cancelled++;
                    pipe.AdvanceTo(result.Buffer.Start);
                    continue;
                }

                received.AddRange(result.Buffer.ToArray());
                pipe.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }).WaitAsync(TimeSpan.FromSeconds(90));
        await done.CancelAsync();
        await Task.WhenAll(writer, canceller);
        Assert.True(cancelled > 0, "no read was cancelled");
        Assert.Equal(sent, received.ToArray());
    }

    [Fact]
    public void Writing_flushing_reading_and_advancing_allocate_nothing_even_when_a_read_waits()
    {
        using var pool = new BlockMemoryPool();
        var pipe = new ConnectionPipe(Options(pool, pause: 1 << 20, resume: 1 << 19));
        var completions = 0;
        Action onRead = () => completions++;
        byte[] message = Pattern(64);

        void RoundTrip()
        {
            // The reader waits first, as the application does; the flush completes it.
            ValueTask<ReadResult> read = pipe.ReadAsync();
            read.GetAwaiter().UnsafeOnCompleted(onRead);
            message.CopyTo(pipe.GetMemory(message.Length));
            pipe.Advance(message.Length);
            _ = pipe.FlushAsync().GetAwaiter().GetResult();
            ReadResult result = read.GetAwaiter().GetResult();
            pipe.AdvanceTo(result.Buffer.End);
        }

        for (int i = 0; i < 100; i++)
        {
            RoundTrip();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000; i++)
        {
            RoundTrip();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1_100, completions);
    }

    [Fact]
    public async Task The_budget_counts_flushed_bytes_until_consumed_and_holds_a_writer_whose_reader_is_behind()
    {
        var budget = new ReadBudget(100);
        var pipe = new ConnectionPipe(Options(new CountingPool()), budget);
        Assert.True(pipe.WaitForBudget().IsCompleted);

        await WriteAsync(pipe.Writer, Pattern(120));
        Assert.Equal(120, budget.Buffered);
        ValueTask<FlushResult> wait = pipe.WaitForBudget();
        Assert.False(wait.IsCompleted);

        // Consuming 20 leaves the total above half the budget, and the reader still has bytes it has not examined.
        ReadResult read = await pipe.ReadAsync();
        pipe.AdvanceTo(read.Buffer.GetPosition(20), read.Buffer.GetPosition(30));
        Assert.False(wait.IsCompleted);
        Assert.Equal(100, budget.Buffered);

        // Examining everything frees the writer: the reader needs more bytes to go on.
        read = await pipe.ReadAsync();
        pipe.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        await wait.AsTask().WaitAsync(Patience);
        Assert.True(pipe.WaitForBudget().IsCompleted);

        // A reader that examined everything is never held; one behind is, until it consumes under half the budget.
        await WriteAsync(pipe.Writer, Pattern(10));
        wait = pipe.WaitForBudget();
        Assert.False(wait.IsCompleted);
        read = await pipe.ReadAsync();
        pipe.AdvanceTo(read.Buffer.GetPosition(70), read.Buffer.GetPosition(70));
        await wait.AsTask().WaitAsync(Patience);

        // What the reader never consumes goes back when it completes.
        pipe.Complete();
        Assert.Equal(0, budget.Buffered);
    }

    private static PipeOptions Options(MemoryPool<byte> pool, long pause = 0, long resume = 0, PipeScheduler? reader = null, PipeScheduler? writer = null)
        => new(pool, reader ?? PipeScheduler.Inline, writer ?? PipeScheduler.Inline, pause, resume, useSynchronizationContext: false);

    private static byte[] Pattern(int length)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 7 + i / 251);
        }

        return bytes;
    }

    private static async Task WriteAsync(PipeWriter writer, byte[] bytes)
    {
        FlushResult result = await writer.WriteAsync(bytes);
        Assert.False(result.IsCompleted);
    }

    private static async Task<byte[]> ReadToEndAsync(PipeReader reader, bool examineShort = false)
    {
        var received = new List<byte>();
        while (true)
        {
            ReadResult result = await reader.ReadAsync();
            ReadOnlySequence<byte> buffer = result.Buffer;

            // Consuming a part and examining all leaves bytes in the pipe while the next read waits for more; kept
            // under the resume threshold, or the writer would wait for a reader that waits for it.
            long take = examineShort && !result.IsCompleted && buffer.Length < 5_000 ? buffer.Length / 2 : buffer.Length;
            received.AddRange(buffer.Slice(0, take).ToArray());
            reader.AdvanceTo(buffer.GetPosition(take), buffer.End);
            if (result.IsCompleted && take == buffer.Length)
            {
                reader.Complete();
                return [.. received];
            }
        }
    }

    /// <summary>The transport's pool, counting the blocks out.</summary>
    private sealed class CountingPool : MemoryPool<byte>
    {
        private readonly BlockMemoryPool _inner = new();
        private int _outstanding;

        public int Outstanding => Volatile.Read(ref _outstanding);

        public override int MaxBufferSize => _inner.MaxBufferSize;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            Interlocked.Increment(ref _outstanding);
            return new Counted(this, _inner.Rent(minBufferSize));
        }

        protected override void Dispose(bool disposing) => _inner.Dispose();

        private sealed class Counted(CountingPool pool, IMemoryOwner<byte> inner) : IMemoryOwner<byte>
        {
            public Memory<byte> Memory => inner.Memory;

            public void Dispose()
            {
                Interlocked.Decrement(ref pool._outstanding);
                inner.Dispose();
            }
        }
    }
}
