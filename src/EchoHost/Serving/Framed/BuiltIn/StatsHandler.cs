namespace EchoHost.Serving.Framed.BuiltIn;

/// <summary>Stats (0x40): the process's framed-protocol counters as a UTF-8 JSON object, formatted in place.</summary>
internal sealed class StatsHandler(FramedStats stats) : ImmediateHandler
{
    protected override void Answer(in FramedRequest request, FramedServerResponse response)
    {
        stats.TryWriteJson(response.Data.GetSpan(FramedStats.MaxJsonBytes), out var written);
        response.Data.Advance(written);
    }
}
