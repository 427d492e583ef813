using System.Buffers;
using EchoHost.Configuration;
using EchoHost.Connections;
using EchoHost.Metrics;
using EchoHost.Protocol;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace EchoHost.Serving.Framed;

/// <summary>
/// Runs a connection's requests on application handlers' asynchronous path: each on the thread pool (never on a
/// transport thread, which a slow handler would stall), within the process-wide <see cref="HandlerLimiter"/>, and
/// always answered exactly once: with the handler's Response, <c>handler_failed</c> or <c>timeout</c>.
/// </summary>
internal sealed class AsyncHandlerRunner(
    ResponseWriter writer,
    InFlightRequests inFlight,
    HandlerLimiter limiter,
    ServiceMetrics metrics,
    MessageTypeSlots messageTypes,
    FramedOptions options,
    string connectionId,
    ILogger logger,
    CancellationToken connectionLost)
{
    private const string FailedText = "the handler failed";
    private const string TimeoutText = "the handler did not answer in time";
    private const string TooLargeText = "the handler's response is larger than MaxFrameBytes";

    /// <summary>Takes a copy of the request (the input buffer is released after parsing) and starts its handler.</summary>
    public void Start(FramedHandler handler, in ReadOnlySequence<byte> payload)
    {
        // Parsed once already on the read loop; parsing the copy makes Data and Metadata slices of memory it owns.
        var copy = payload.ToArray();
        if (!Message.TryParse(new ReadOnlySequence<byte>(copy), out var message))
        {
            throw new InvalidOperationException("A copy of a valid message did not parse.");
        }

        inFlight.Add();
        // Unsafe: the read loop's execution context (nothing of the request's) need not flow to the handler.
        ThreadPool.UnsafeQueueUserWorkItem(new WorkItem(this, handler, new FramedRequest(message)), preferLocal: false);
    }

    private async Task RunAsync(FramedHandler handler, FramedRequest request)
    {
        try
        {
            var response = new FramedServerResponse();
            var outcome = await HandleAsync(handler, request, response);
            Answer(outcome, request, response);
            await writer.FlushAsync();
        }
        catch (Exception ex) when (ex is IOException or ConnectionAbortedException)
        {
            // The connection went away under the answer: nobody is left to read it.
            FramedLog.ConnectionEnded(logger, connectionId, ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Nothing awaits this task: whatever escaped must be said here or it is lost.
            FramedLog.AnswerFailed(logger, ex, request.Id, connectionId);
        }
        finally
        {
            inFlight.Remove();
        }
    }

    private async Task<Outcome> HandleAsync(FramedHandler handler, FramedRequest request, FramedServerResponse response)
    {
        try
        {
            await limiter.WaitAsync(connectionLost);
        }
        catch (OperationCanceledException)
        {
            // The connection is gone while the request waited for a slot: its answer has no reader.
            return Outcome.Abandoned;
        }

        var started = metrics.StartHandlerTiming();
        try
        {
            using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(connectionLost);
            Task task;
            try
            {
                task = handler.HandleAsync(request, response, cancellation.Token).AsTask();
            }
            catch (Exception ex)
            {
                FramedLog.HandlerFailed(logger, ex, request.Type, request.Id, connectionId);
                return Outcome.Failed;
            }

            try
            {
                await task.WaitAsync(options.HandlerTimeout);
                return Outcome.Answered;
            }
            catch (TimeoutException) when (!task.IsCompleted)
            {
                // Tell the handler to stop; the request is answered now whether it does or not. Its eventual failure
                // is observed so that it does not surface as an unobserved task exception.
                await cancellation.CancelAsync();
                _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                FramedLog.HandlerTimedOut(logger, request.Type, options.HandlerTimeout, request.Id, connectionId);
                return Outcome.TimedOut;
            }
            catch (OperationCanceledException) when (connectionLost.IsCancellationRequested)
            {
                return Outcome.Abandoned;
            }
            catch (Exception ex)
            {
                FramedLog.HandlerFailed(logger, ex, request.Type, request.Id, connectionId);
                return Outcome.Failed;
            }
        }
        finally
        {
            // The slot is held until the request is answered, not until a handler that ignores its token returns: a
            // stuck handler must not take the process's slots with it one by one.
            limiter.Release();
            metrics.RecordHandlerDuration(started, messageTypes.SlotOf(request.Type));
        }
    }

    private void Answer(Outcome outcome, FramedRequest request, FramedServerResponse response)
    {
        switch (outcome)
        {
            case Outcome.Answered when response.PayloadLength <= options.MaxFrameBytes:
                writer.WriteResponse(request.Id, request.Type, response);
                break;
            case Outcome.Answered:
                FramedLog.ResponseTooLarge(logger, request.Type, request.Id, connectionId, response.PayloadLength, options.MaxFrameBytes);
                writer.WriteError(request.Id, request.Type, ErrorCodes.HandlerFailed, TooLargeText, answersRequest: true);
                break;
            case Outcome.TimedOut:
                writer.WriteError(request.Id, request.Type, ErrorCodes.Timeout, TimeoutText, answersRequest: true);
                break;
            default:
                // Failed, or abandoned with the connection: the latter's answer is written to a connection that is gone.
                writer.WriteError(request.Id, request.Type, ErrorCodes.HandlerFailed, FailedText, answersRequest: true);
                break;
        }
    }

    private enum Outcome
    {
        Answered,
        Failed,
        TimedOut,
        Abandoned,
    }

    private sealed class WorkItem(AsyncHandlerRunner runner, FramedHandler handler, FramedRequest request) : IThreadPoolWorkItem
    {
        public void Execute() => _ = runner.RunAsync(handler, request);
    }
}
