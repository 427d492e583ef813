using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace EchoHost.Transport.Native.Tests;

/// <summary>
/// Base of the test server's connection handlers: records the connection in the <see cref="ConnectionLog"/>, watches
/// its <c>ConnectionClosed</c> token, and sorts the ways a connection can end into expected ones (the peer reset, the
/// server aborted) and failures.
/// </summary>
public abstract class RecordingConnectionHandler(ConnectionLog log) : ConnectionHandler
{
    /// <inheritdoc />
    public sealed override async Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var record = log.Add(connection);

        // Deliberately not disposed: the token may fire after the handler has returned (when the transport closes the
        // connection), and the tests want to see that too.
        connection.ConnectionClosed.UnsafeRegister(static state => ((ConnectionRecord)state!).OnConnectionClosed(), record);

        try
        {
            await RunAsync(connection, record);
            record.OnFinished(null);
        }
        catch (Exception ex) when (IsConnectionEnd(ex))
        {
            record.OnFinished(ex);
        }
#pragma warning disable CA1031 // Any other exception is a test failure, reported through the record rather than Kestrel's log.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            record.OnFailed(ex);
        }
    }

    /// <summary>Serves the connection.</summary>
    protected abstract Task RunAsync(ConnectionContext connection, ConnectionRecord record);

    private static bool IsConnectionEnd(Exception ex) =>
        ex is ConnectionResetException or ConnectionAbortedException or OperationCanceledException
        || (ex is IOException && ex.InnerException is System.Net.Sockets.SocketException);

    /// <summary>Cancels the pending read of <paramref name="connection"/> when Kestrel asks the connection to close.</summary>
    protected static CancellationTokenRegistration StopReadingOnCloseRequest(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var lifetime = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        return lifetime is null
            ? default
            : lifetime.ConnectionClosedRequested.UnsafeRegister(static state => ((PipeReader)state!).CancelPendingRead(), connection.Transport.Input);
    }

    /// <summary>Copies every byte of the input back to the output until the input completes or the read is cancelled.</summary>
    protected static async Task EchoAsync(ConnectionContext connection, ConnectionRecord record)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(record);
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        while (true)
        {
            var pending = input.ReadAsync();
            bool completedLater = !pending.IsCompleted;
            var result = await pending;
            if (completedLater)
            {
                record.OnAsynchronousRead();
            }

            if (result.IsCanceled)
            {
                return;
            }

            var buffer = result.Buffer;
            foreach (var segment in buffer)
            {
                output.Write(segment.Span);
            }

            record.AddEchoed(buffer.Length);
            input.AdvanceTo(buffer.End);
            var flush = await output.FlushAsync();
            if (result.IsCompleted || flush.IsCompleted)
            {
                return;
            }
        }
    }
}

/// <summary>The test echo: every byte back until the peer finishes sending or Kestrel asks the connection to close.</summary>
public sealed class EchoConnectionHandler(ConnectionLog log) : RecordingConnectionHandler(log)
{
    /// <inheritdoc />
    protected override async Task RunAsync(ConnectionContext connection, ConnectionRecord record)
    {
        using var closeRequested = StopReadingOnCloseRequest(connection);
        await EchoAsync(connection, record);
    }
}

/// <summary>An echo that ignores Kestrel's requests to close, so that only an abort ends it at shutdown.</summary>
public sealed class StubbornEchoConnectionHandler(ConnectionLog log) : RecordingConnectionHandler(log)
{
    /// <inheritdoc />
    protected override Task RunAsync(ConnectionContext connection, ConnectionRecord record) => EchoAsync(connection, record);
}

/// <summary>
/// Never reads: waits for the connection's <c>ConnectionClosed</c> token (or for Kestrel to ask the connection to
/// close, when the server stops), then tries to write a goodbye and completes the output.
/// </summary>
public sealed class ClosedWatchingConnectionHandler(ConnectionLog log) : RecordingConnectionHandler(log)
{
    /// <summary>What the handler writes once the token fired.</summary>
    public static ReadOnlyMemory<byte> Goodbye { get; } = "bye\n"u8.ToArray();

    /// <inheritdoc />
    protected override async Task RunAsync(ConnectionContext connection, ConnectionRecord record)
    {
        var closeRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lifetime = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        using (lifetime?.ConnectionClosedRequested.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), closeRequested))
        {
            if (await Task.WhenAny(record.ConnectionClosedFired, closeRequested.Task) != record.ConnectionClosedFired)
            {
                return;
            }
        }

        try
        {
            await connection.Transport.Output.WriteAsync(Goodbye);
            record.WroteAfterClosed = true;
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException or InvalidOperationException)
        {
            record.WroteAfterClosed = false;
        }
    }
}

/// <summary>
/// Reads nothing until the test releases it (<see cref="ConnectionRecord.Release"/>), so that the transport's input
/// buffer fills up to its limit; then reads once, records how much was buffered, and ends the connection.
/// </summary>
/// <remarks>
/// It must not read before: a pipe counts bytes a reader has examined as no longer buffered, so a reader that examines
/// everything and consumes nothing would lift the limit (with any transport).
/// </remarks>
public sealed class HoldingConnectionHandler(ConnectionLog log) : RecordingConnectionHandler(log)
{
    /// <inheritdoc />
    protected override async Task RunAsync(ConnectionContext connection, ConnectionRecord record)
    {
        var closeRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lifetime = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        using (lifetime?.ConnectionClosedRequested.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), closeRequested))
        {
            if (await Task.WhenAny(record.Released, closeRequested.Task) != record.Released)
            {
                return;
            }
        }

        var input = connection.Transport.Input;
        var result = await input.ReadAsync();
        record.ObserveBuffered(result.Buffer.Length);
        input.AdvanceTo(result.Buffer.End);
    }
}
