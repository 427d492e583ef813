using EchoHost.Configuration;
using EchoHost.Hosting;
using EchoHost.Serving.WebSockets;
using EchoHost.StatusPage;
using Microsoft.Extensions.Configuration;

namespace EchoHost.Tests.WebSockets;

/// <summary><c>EchoHost:WebSockets</c> and <c>EchoHost:StatusPage</c>: defaults, and mistakes that stop start-up with one line.</summary>
public class WebSocketOptionsTests
{
    private static IConfiguration Configuration(params string[] settings) =>
        new ConfigurationBuilder().AddCommandLine(settings.Select(s => "--" + s).ToArray()).Build();

    [Fact]
    public void Defaults_are_those_documented()
    {
        var options = WebSocketEchoOptions.Load(Configuration());

        Assert.True(options.Enabled);
        Assert.Equal("/echo", options.Path);
        Assert.Equal(1024 * 1024, options.MaxMessageBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), options.KeepAliveInterval);
        Assert.True(options.Compression);
        Assert.True(StatusPageOptions.Load(Configuration()).Enabled);
    }

    [Theory]
    [InlineData("EchoHost:WebSockets:Path=echo", "EchoHost:WebSockets:Path is 'echo'; it must start with / and be a plain path (no query, braces or spaces), e.g. /echo")]
    [InlineData("EchoHost:WebSockets:Path=/echo?x=1", "EchoHost:WebSockets:Path is '/echo?x=1'; it must start with / and be a plain path (no query, braces or spaces), e.g. /echo")]
    [InlineData("EchoHost:WebSockets:Path=/{id}", "EchoHost:WebSockets:Path is '/{id}'; it must start with / and be a plain path (no query, braces or spaces), e.g. /echo")]
    [InlineData("EchoHost:WebSockets:MaxMessageBytes=0", "EchoHost:WebSockets:MaxMessageBytes is 0; it must be from 1 to 1073741824")]
    [InlineData("EchoHost:WebSockets:KeepAliveInterval=-00:00:01", "EchoHost:WebSockets:KeepAliveInterval is -00:00:01; it must be 00:00:00 (off) or a positive time below 24 days")]
    public void Invalid_values_name_the_key(string setting, string expected)
    {
        var error = Assert.Throws<EchoHostConfigurationException>(() => WebSocketEchoOptions.Load(Configuration(setting)));
        Assert.Equal(expected, error.Message);
    }

    [Theory]
    [InlineData("EchoHost:WebSockets:Enabled=maybe")]
    [InlineData("EchoHost:WebSockets:MaxMessageBytes=lots")]
    [InlineData("EchoHost:StatusPage:Enabled=sometimes")]
    public async Task A_value_of_the_wrong_kind_stops_start_up_with_one_line_and_exit_code_2(string setting)
    {
        using var errors = new StringWriter();

        var exitCode = await Program.RunAsync(["--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:0", "--" + setting], errors);

        Assert.Equal(ExitCodes.InvalidConfiguration, exitCode);
        var line = Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("EchoHost cannot start: Invalid configuration: ", line, StringComparison.Ordinal);
        Assert.Contains(setting.Split('=')[0], line, StringComparison.Ordinal);
    }
}
