using System.Collections.Concurrent;
using System.Net;
using EchoHost.Client.Telemetry;
using Microsoft.Extensions.Logging;

namespace EchoHost.Client.Internal;

/// <summary>What the places of a client's pool share: the server, the settings, the telemetry and the open connections.</summary>
internal sealed class ConnectionPool(EndPoint endPoint, FramedClientOptions options, ClientMetrics metrics, ILogger logger, string name)
{
    public EndPoint EndPoint { get; } = endPoint;

    public string Server { get; } = EndPointText.Describe(endPoint);

    public FramedClientOptions Options { get; } = options;

    public ClientMetrics Metrics { get; } = metrics;

    public ILogger Logger { get; } = logger;

    /// <summary>The client's name in logs and metrics.</summary>
    public string Name { get; } = name;

    /// <summary>Every open connection, including those a GoAway retired that still finish their requests: for disposal.</summary>
    public ConcurrentDictionary<FramedClientConnection, bool> Open { get; } = new();
}
