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
    [InlineData("pingpong", "127.0.0.1:1512", "--port", "1512")]
    [InlineData("pingpong", "--port", "70000")]
    [InlineData("pingpong", "--port", "1", "--connections", "0")]
    [InlineData("rate", "--port", "1", "--rate", "-5")]
    [InlineData("rtt", "--port", "1", "--duration", "ten")]
    [InlineData("hold", "localhost:1512")]
    [InlineData("soak", "--server", "iis")]
    [InlineData("compare", "--scenarios", "nosuch")]
    [InlineData("report", "results.json")]
    [InlineData()]
    public void Bad_usage_exits_two(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(2, Cli.Run(args, output, error));
        Assert.Equal("", output.ToString());
        Assert.Contains("Usage:", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData]
    [InlineData("pingpong")]
    [InlineData("framed-rate")]
    [InlineData("compare")]
    [InlineData("report")]
    [InlineData("soak")]
    public void Help_is_on_every_command_and_exits_zero(params string[] command)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(0, Cli.Run([.. command, "--help"], output, error));
        Assert.Contains("Usage:", output.ToString(), StringComparison.Ordinal);
        Assert.Equal("", error.ToString());
    }

    [Fact]
    public void The_server_may_be_given_as_address_colon_port()
    {
        using var server = new TestServer();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var target = "127.0.0.1:" + server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var status = Cli.Run(["rtt", target, "--warmup", "0", "--duration", "500ms", "--format", "json", "--quiet"], output, error);

        Assert.True(status == 0, error.ToString());
        using var json = JsonDocument.Parse(output.ToString());
        Assert.True(json.RootElement.GetProperty("messages").GetInt64() > 0);
    }
}
