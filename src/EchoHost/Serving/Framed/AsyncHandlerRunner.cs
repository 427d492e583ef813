using System.Buffers;
using EchoHost.Protocol;
using Microsoft.AspNetCore.Connections;

namespace EchoHost.Serving.Framed;

/// <summary>
/// Runs a connection's requests on application handlers' asynchronous path: each on the thread pool (never on a
/// transport thread, which a slow handler would stall), within the process-wide <see cref="HandlerLimiter"/>, and
/// always answered exactly once: with the handler's Response, <c>handler_failed</c> or <c>timeout</c>.
/// </summary>
internal sealed class AsyncHandlerRunner(FramedConnectionContext connection)
{

    /// <summary>Takes a copy of the request (the input buffer is released after parsing) and starts its handler.</summary>
    public void Start(FramedHandler handler, in ReadOnlySequence<byte> payload)
    {
        // Parsed once already on the read loop; parsing the copy makes Data and Metadata slices of memory it owns.
        var copy = payload.ToArray();
        if (!Message.TryParse(new ReadOnlySequence<byte>(copy), out var message))
        {
            throw new InvalidOperationException("A copy of a valid message did not parse.");
        }

        connection.InFlight.Add();
        // Unsafe: the read loop's execution context (nothing of the request's) need not flow to the handler.
        ThreadPool.UnsafeQueueUserWorkItem(new WorkItem(this, handler, new FramedRequest(message)), preferLocal: false);
    }

    private async Task RunAsync(FramedHandler handler, FramedRequest request)
    {
        try
        {
            var response = new FramedServerResponse();
            var outcome = await HandleAsync(handler, request, response);
            connection.Writer.WriteOutcome(request.Id, request.Type, outcome, response);
            await connection.Writer.FlushAsync();
        }
        catch (Exception ex) when (ex is IOException or ConnectionAbortedException)
        {
            // The connection went away under the answer: nobody is left to read it.
            FramedLog.ConnectionEnded(connection.Logger, connection.ConnectionId, ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Nothing awaits this task: whatever escaped must be said here or it is lost.
            FramedLog.AnswerFailed(connection.Logger, ex, request.Id, connection.ConnectionId);
        }
        finally
        {
            connection.InFlight.Remove();
        }
    }

    private async Task<HandlerOutcome> HandleAsync(FramedHandler handler, FramedRequest request, FramedServerResponse response)
    {
        try
        {
            await connection.HandlerLimiter.WaitAsync(connection.ConnectionLost);
        }
        catch (OperationCanceledException)
        {
            // The connection is gone while the request waited for a slot: its answer has no reader.
            return HandlerOutcome.Abandoned;
        }

        var started = connection.Metrics.StartHandlerTiming();
        try
        {
            using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionLost);
            Task task;
            try
            {
                task = handler.HandleAsync(request, response, cancellation.Token).AsTask();
            }
            catch (Exception ex)
            {
                FramedLog.HandlerFailed(connection.Logger, ex, request.Type, request.Id, connection.ConnectionId);
                return HandlerOutcome.Failed;
            }

            try
            {
                await task.WaitAsync(connection.Options.HandlerTimeout, connection.Time);
                return HandlerOutcome.Answered;
            }
            catch (TimeoutException) when (!task.IsCompleted)
            {
                // Tell the handler to stop; the request is answered now whether it does or not. Its eventual failure
                // is observed so that it does not surface as an unobserved task exception.
                await cancellation.CancelAsync();
                _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                FramedLog.HandlerTimedOut(connection.Logger, request.Type, connection.Options.HandlerTimeout, request.Id, connection.ConnectionId);
                return HandlerOutcome.TimedOut;
            }
            catch (OperationCanceledException) when (connection.ConnectionLost.IsCancellationRequested)
            {
                return HandlerOutcome.Abandoned;
            }
            catch (Exception ex)
            {
                FramedLog.HandlerFailed(connection.Logger, ex, request.Type, request.Id, connection.ConnectionId);
                return HandlerOutcome.Failed;
            }
        }
        finally
        {
            // The slot is held until the request is answered, not until a handler that ignores its token returns: a
            // stuck handler must not take the process's slots with it one by one.
            connection.HandlerLimiter.Release();
            connection.Metrics.RecordHandlerDuration(started, connection.MessageTypes.SlotOf(request.Type));
        }
    }

    private sealed class WorkItem(AsyncHandlerRunner runner, FramedHandler handler, FramedRequest request) : IThreadPoolWorkItem
    {
        public void Execute() => _ = runner.RunAsync(handler, request);
    }
}
