using EchoHost.Configuration;
using static EchoHost.Tests.ConfigurationBuilding;

namespace EchoHost.Tests;

/// <summary><c>EchoHost:Limits</c> and each endpoint's <c>Limits</c>: defaults, overrides, and one message per mistake.</summary>
public class LimitsConfigurationTests
{
    private static EndpointLimits Echo(EchoHost.Configuration.EchoHostSettings settings) => settings.Limits.For(settings.Endpoints.Single(e => e.Name == "echo"));

    [Fact]
    public void Defaults_apply_when_no_section_is_set()
    {
        var settings = Load(Defaults());
        var echo = Echo(settings);

        Assert.Equal(0, settings.Limits.MaxConnections);
        Assert.Equal(0, echo.MaxConnections);
        Assert.Equal(0, echo.MaxConnectionsPerAddress);
        Assert.Equal(0, echo.ConnectionsPerSecondPerAddress);
        Assert.Equal(10, echo.ConnectionBurstPerAddress);
        Assert.Equal(0, echo.RequestsPerSecondPerAddress);
        Assert.Equal(100, echo.RequestBurstPerAddress);
        Assert.Equal(65536, echo.MaxTrackedAddresses);
        Assert.Equal(TimeSpan.FromMinutes(5), echo.IdleTimeout);
        Assert.Equal(240, echo.MinFrameBytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(5), echo.FrameGracePeriod);
    }

    [Fact]
    public void An_endpoints_own_section_overrides_the_defaults_of_EchoHost_Limits()
    {
        var settings = Load(
            Defaults(),
            "--EchoHost:Limits:MaxConnections=100",
            "--EchoHost:Limits:IdleTimeout=00:01:00",
            "--EchoHost:Limits:MaxConnectionsPerAddress=8",
            "--EchoHost:Endpoints:echo:Limits:IdleTimeout=00:00:00",
            "--EchoHost:Endpoints:echo:Limits:MaxConnections=5",
            "--EchoHost:Endpoints:echo:Limits:ConnectionsPerSecondPerAddress=2.5");
        var echo = Echo(settings);
        var http = settings.Limits.For(settings.Endpoints.Single(e => e.Name == "http"));

        Assert.Equal(100, settings.Limits.MaxConnections);
        Assert.Equal(5, echo.MaxConnections);
        Assert.Equal(TimeSpan.Zero, echo.IdleTimeout);
        Assert.Equal(2.5, echo.ConnectionsPerSecondPerAddress);
        Assert.Equal(8, echo.MaxConnectionsPerAddress);

        // The server-wide MaxConnections is not an endpoint's default.
        Assert.Equal(0, http.MaxConnections);
        Assert.Equal(8, http.MaxConnectionsPerAddress);
    }

    [Theory]
    [InlineData("EchoHost:Limits:MaxConnections=-1", "EchoHost:Limits:MaxConnections is -1; it must be 0 (no limit) or more")]
    [InlineData("EchoHost:Endpoints:echo:Limits:MaxConnections=-3", "EchoHost:Endpoints:echo:Limits:MaxConnections is -3; it must be 0 (no limit) or more")]
    [InlineData("EchoHost:Endpoints:echo:Limits:MaxConnectionsPerAddress=-2", "EchoHost:Endpoints:echo:Limits:MaxConnectionsPerAddress is -2; it must be 0 (no limit) or more")]
    [InlineData("EchoHost:Limits:ConnectionsPerSecondPerAddress=-1", "EchoHost:Limits:ConnectionsPerSecondPerAddress is -1; it must be 0 (no limit) or from 0.001 to 1000000 per second")]
    [InlineData("EchoHost:Limits:RequestsPerSecondPerAddress=NaN", "EchoHost:Limits:RequestsPerSecondPerAddress is NaN; it must be 0 (no limit) or from 0.001 to 1000000 per second")]
    [InlineData("EchoHost:Limits:RequestsPerSecondPerAddress=0.0001", "EchoHost:Limits:RequestsPerSecondPerAddress is 0.0001; it must be 0 (no limit) or from 0.001 to 1000000 per second")]
    [InlineData("EchoHost:Limits:ConnectionBurstPerAddress=0", "EchoHost:Limits:ConnectionBurstPerAddress is 0; it must be from 1 to 1000000")]
    [InlineData("EchoHost:Limits:RequestBurstPerAddress=1000001", "EchoHost:Limits:RequestBurstPerAddress is 1000001; it must be from 1 to 1000000")]
    [InlineData("EchoHost:Limits:MaxTrackedAddresses=0", "EchoHost:Limits:MaxTrackedAddresses is 0; it must be from 1 to 10000000")]
    [InlineData("EchoHost:Limits:IdleTimeout=-00:00:01", "EchoHost:Limits:IdleTimeout is -00:00:01; it must be 00:00:00 (off) or a positive time below 24 days")]
    [InlineData("EchoHost:Limits:IdleTimeout=30.00:00:00", "EchoHost:Limits:IdleTimeout is 30.00:00:00; it must be 00:00:00 (off) or a positive time below 24 days")]
    [InlineData("EchoHost:Limits:MinFrameBytesPerSecond=-5", "EchoHost:Limits:MinFrameBytesPerSecond is -5; it must be 0 (no limit) or more")]
    [InlineData("EchoHost:Limits:FrameGracePeriod=00:00:00", "EchoHost:Limits:FrameGracePeriod is 00:00:00; it must be a positive time below 24 days")]
    [InlineData("EchoHost:Endpoints:echo:Limits:RequestsPerSecondPerAddress=5", "EchoHost:Endpoints:echo:Limits:RequestsPerSecondPerAddress applies to framed endpoints only; endpoint 'echo' speaks echo")]
    [InlineData("EchoHost:Endpoints:http:Limits:MinFrameBytesPerSecond=100", "EchoHost:Endpoints:http:Limits:MinFrameBytesPerSecond applies to framed endpoints only; endpoint 'http' speaks http")]
    public void Invalid_values_name_the_key(string setting, string expected)
    {
        Assert.Equal(expected, LoadError(Defaults(), "--" + setting));
    }

    [Theory]
    [InlineData("EchoHost:Limits:MaxConection=5", "EchoHost:Limits:MaxConection is not a limit; expected MaxConnections, ")]
    [InlineData("EchoHost:Endpoints:echo:Limits:Idle=00:00:01", "EchoHost:Endpoints:echo:Limits:Idle is not a limit; expected MaxConnections, ")]
    public void A_key_that_is_not_a_limit_is_refused(string setting, string expected)
    {
        Assert.StartsWith(expected, LoadError(Defaults(), "--" + setting), StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_of_the_wrong_form_names_the_key()
    {
        var error = LoadError(Defaults(), "--EchoHost:Limits:MaxConnections=many");

        Assert.StartsWith("Invalid configuration:", error, StringComparison.Ordinal);
        Assert.Contains("EchoHost:Limits:MaxConnections", error, StringComparison.Ordinal);
    }
}
