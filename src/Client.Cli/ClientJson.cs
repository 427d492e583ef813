using System.Text.Json.Serialization;

namespace EchoHost.Client.Cli;

/// <summary>How <c>stats --client</c> writes the client's statistics: camelCase like the server's, states by name.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(FramedClientStatistics))]
internal sealed partial class ClientJson : JsonSerializerContext;
