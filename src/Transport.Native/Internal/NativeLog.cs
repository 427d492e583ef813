using Microsoft.Extensions.Logging;

namespace EchoHost.Transport.Native.Internal;

internal static partial class NativeLog
{
    [LoggerMessage(1, LogLevel.Error, "Native transport loop {Loop}: a handler failed; the loop goes on.")]
    public static partial void LoopHandlerFailed(ILogger logger, int loop, Exception exception);

    [LoggerMessage(2, LogLevel.Warning, "Accepting on {EndPoint} paused: {Reason}. Clients wait in the kernel's queue; accepting again in {Delay} ms.")]
    public static partial void AcceptOutOfResources(ILogger logger, string endPoint, string reason, int delay);

    [LoggerMessage(3, LogLevel.Error, "Accepting on {EndPoint} failed: {Reason}.")]
    public static partial void AcceptFailed(ILogger logger, string endPoint, string reason);

    [LoggerMessage(4, LogLevel.Debug, "Connection {ConnectionId}: registering with the event loop failed: {Reason}.")]
    public static partial void RegisterFailed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(5, LogLevel.Debug, "Native transport listening on {EndPoint} with {Sockets} socket(s) and {Loops} event loop(s) ({Engine}).")]
    public static partial void Listening(ILogger logger, string endPoint, int sockets, int loops, string engine);

    [LoggerMessage(21, LogLevel.Error, "Native transport IOCP thread {Thread}: waiting for completions failed with error {Error}; it waits again.")]
    public static partial void CompletionWaitFailed(ILogger logger, int thread, int error);

    [LoggerMessage(22, LogLevel.Debug, "Accepting on {EndPoint}: a connection failed before it was accepted ({Reason}); accepting goes on.")]
    public static partial void AcceptedConnectionFailed(ILogger logger, string endPoint, string reason);

    [LoggerMessage(23, LogLevel.Debug, "Native transport IOCP: calls that succeed at once queue no completion: {SkipsCompletionOnSuccess} (false when a layered Winsock provider is installed).")]
    public static partial void CompletionModes(ILogger logger, bool skipsCompletionOnSuccess);

    [LoggerMessage(6, LogLevel.Warning, "Native transport: {Reason}; running {Engine} instead.")]
    public static partial void EngineFallback(ILogger logger, string reason, string engine);

    [LoggerMessage(7, LogLevel.Error, "Native transport loop {Loop}: the ring failed ({Reason}); the loop waits again.")]
    public static partial void RingWaitFailed(ILogger logger, int loop, string reason);
}
