using System.Text.Json;
using System.Text.Json.Serialization;

namespace EchoHost.StatusPage;

/// <summary>What <c>/status.json</c> answers: the service at one moment.</summary>
internal sealed record ServiceStatus(
    string Transport,
    string? Engine,
    long UptimeSeconds,
    string? WebSocketPath,
    IReadOnlyList<EndpointStatus> Endpoints);

/// <summary>
/// One endpoint, or an http endpoint's WebSockets (protocol <c>websocket</c>): its counts since start, from which the
/// page works out rates. <see cref="Messages"/> is null where the protocol has no messages (echo, http).
/// </summary>
internal sealed record EndpointStatus(
    string Name,
    string Protocol,
    string Address,
    long ActiveConnections,
    long TotalConnections,
    long? Messages,
    long? BytesReceived,
    long? BytesSent);

/// <summary>
/// The JSON of <see cref="ServiceStatus"/>, generated at build time: no reflection, as a NativeAOT build needs.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ServiceStatus))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;
