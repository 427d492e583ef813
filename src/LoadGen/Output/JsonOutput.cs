using System.Text.Json;
using System.Text.Json.Serialization;
using EchoHost.LoadGen.Compare;

namespace EchoHost.LoadGen.Output;

/// <summary>The JSON shapes of results (one run, or a comparison), source-generated.</summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(RunResult))]
[JsonSerializable(typeof(ComparisonResults))]
internal sealed partial class JsonOutput : JsonSerializerContext
{
    public static string Serialize(RunResult result) => JsonSerializer.Serialize(result, Default.RunResult);

    public static string Serialize(ComparisonResults results) => JsonSerializer.Serialize(results, Default.ComparisonResults);

    public static ComparisonResults ReadComparison(string json) =>
        JsonSerializer.Deserialize(json, Default.ComparisonResults) ?? throw new InvalidDataException("The file holds no comparison.");
}
