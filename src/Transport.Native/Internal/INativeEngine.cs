using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// A running engine as the transport's factory sees it: the readiness loops (epoll, kqueue), the ring loops
/// (io_uring) and the completion threads (IOCP) alike. It starts with the first bind and stops when the factory is
/// disposed, after every listener and connection is gone.
/// </summary>
internal interface INativeEngine : IDisposable
{
    /// <summary>Listens on <paramref name="endPoint"/>; throws as Kestrel's transports do when it cannot.</summary>
    IConnectionListener Bind(EndPoint endPoint);
}

/// <summary>What an engine is started with; <paramref name="EngineName"/> is the name its listeners report.</summary>
internal sealed record EngineContext(NativeTransportOptions Options, TransportMetrics Metrics, ReadBudget? Budget, ILogger Logger, string EngineName);
