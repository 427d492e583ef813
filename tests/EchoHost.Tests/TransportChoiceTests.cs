using EchoHost.Configuration;

namespace EchoHost.Tests;

public class TransportChoiceTests
{
    [Theory]
    [InlineData(null, true, "Native", "Auto")]
    [InlineData("", true, "Native", "Auto")]
    [InlineData("auto", true, "Native", "Auto")]
    [InlineData("Auto", false, "Sockets", "Auto")]
    [InlineData("Native", true, "Native", "Native")]
    [InlineData("native", true, "Native", "Native")]
    [InlineData("Sockets", true, "Sockets", "Sockets")]
    [InlineData("SOCKETS", false, "Sockets", "Sockets")]
    public void Selects_the_transport(string? configured, bool nativeSupported, string expectedTransport, string expectedConfigured)
    {
        var expected = Enum.Parse<TransportKind>(expectedTransport);
        var choice = TransportChoice.Select(configured, nativeSupported, nativeSupported ? "epoll" : null);

        Assert.Equal(expected, choice.Kind);
        Assert.Equal(expectedConfigured, choice.Configured);
        Assert.Equal(expected == TransportKind.Native ? "epoll" : null, choice.Engine);
    }

    [Fact]
    public void Native_without_an_engine_fails_with_a_clear_message()
    {
        var error = Assert.Throws<EchoHostConfigurationException>(() => TransportChoice.Select("Native", nativeSupported: false, engine: null));

        Assert.StartsWith("EchoHost:Transport is Native, but the native transport has no engine on ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("; set it to Sockets or Auto", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_transport_fails_with_a_clear_message()
    {
        var error = Assert.Throws<EchoHostConfigurationException>(() => TransportChoice.Select("Turbo", nativeSupported: true, engine: "epoll"));

        Assert.Equal("EchoHost:Transport is 'Turbo'; expected Native, Sockets or Auto", error.Message);
    }
}
