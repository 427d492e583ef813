using System.Text.Json;

namespace EchoHost.LoadGen.Tests;

public class CliTests
{
    [Fact]
    public void A_run_writes_its_result_as_json_and_exits_zero()
    {
        using var server = new TestServer();
        var file = Path.GetTempFileName();
        try
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var status = Cli.Run(["pingpong", "--port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--connections", "4", "--warmup", "0.2", "--duration", "1", "--json", file, "--quiet"], output, error);

            Assert.Equal(0, status);
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            Assert.Equal("pingpong", json.RootElement.GetProperty("workload").GetString());
            Assert.True(json.RootElement.GetProperty("messages").GetInt64() > 0);
            Assert.True(json.RootElement.GetProperty("latency").GetProperty("p99").GetDouble() > 0);
            Assert.Contains("throughput", output.ToString(), StringComparison.Ordinal);
            Assert.Equal("", error.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_mismatch_makes_the_exit_status_non_zero()
    {
        using var server = new TestServer(ServerBehavior.CorruptEcho);
        using var output = new StringWriter();
        var status = Cli.Run(["pingpong", "--port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--connections", "2", "--warmup", "0", "--duration", "1", "--format", "json", "--quiet"], output, output);

        Assert.Equal(1, status);
        using var json = JsonDocument.Parse(output.ToString());
        Assert.Equal(2, json.RootElement.GetProperty("mismatches").GetInt64());
    }

    [Theory]
    [InlineData("pingpong")]
    [InlineData("pingpong", "--port", "1", "--bogus", "3")]
    [InlineData("nosuch", "--port", "1")]
    [InlineData("pingpong", "--port", "1", "--source-addresses", "3", "--host", "10.0.0.1")]
    public void Bad_usage_exits_two(params string[] args)
    {
        using var output = new StringWriter();
        Assert.Equal(2, Cli.Run(args, output, output));
    }
}
