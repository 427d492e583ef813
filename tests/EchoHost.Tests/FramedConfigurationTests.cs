using EchoHost.Serving.Framed;
using Microsoft.Extensions.DependencyInjection;
using static EchoHost.Tests.ConfigurationBuilding;

namespace EchoHost.Tests;

/// <summary>The framed endpoint's options (<c>EchoHost:Framed</c>) and the registration of application handlers.</summary>
public class FramedConfigurationTests
{
    private sealed class NoopHandler : FramedHandler
    {
        public override ValueTask HandleAsync(FramedRequest request, FramedServerResponse response, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    [Fact]
    public void Defaults_apply_when_the_section_is_absent()
    {
        var framed = Load(Defaults()).Framed;

        Assert.Equal(1_048_576, framed.MaxFrameBytes);
        Assert.Equal(128, framed.MaxInFlightPerConnection);
        Assert.Equal(1024, framed.MaxConcurrentHandlers);
        Assert.Equal(TimeSpan.FromSeconds(30), framed.HandlerTimeout);
    }

    [Fact]
    public void Keys_are_bound_from_configuration()
    {
        var framed = Load(
            Defaults(),
            "--EchoHost:Framed:MaxFrameBytes=65536",
            "--EchoHost:Framed:MaxInFlightPerConnection=4",
            "--EchoHost:Framed:MaxConcurrentHandlers=2",
            "--EchoHost:Framed:HandlerTimeout=00:00:05").Framed;

        Assert.Equal(65536, framed.MaxFrameBytes);
        Assert.Equal(4, framed.MaxInFlightPerConnection);
        Assert.Equal(2, framed.MaxConcurrentHandlers);
        Assert.Equal(TimeSpan.FromSeconds(5), framed.HandlerTimeout);
    }

    [Theory]
    [InlineData("MaxFrameBytes=14", "EchoHost:Framed:MaxFrameBytes is 14; it must be from 15 to 1073741824")]
    [InlineData("MaxFrameBytes=1073741825", "EchoHost:Framed:MaxFrameBytes is 1073741825; it must be from 15 to 1073741824")]
    [InlineData("MaxInFlightPerConnection=0", "EchoHost:Framed:MaxInFlightPerConnection is 0; it must be 1 or more")]
    [InlineData("MaxConcurrentHandlers=-1", "EchoHost:Framed:MaxConcurrentHandlers is -1; it must be 1 or more")]
    [InlineData("HandlerTimeout=-00:00:01", "EchoHost:Framed:HandlerTimeout is -00:00:01; it must be more than 00:00:00 and less than 24 days")]
    public void Invalid_values_name_the_key(string setting, string expected)
    {
        Assert.Equal(expected, LoadError(Defaults(), "--EchoHost:Framed:" + setting));
    }

    [Fact]
    public void A_value_of_the_wrong_form_names_the_key()
    {
        var error = LoadError(Defaults(), "--EchoHost:Framed:MaxFrameBytes=lots");

        Assert.StartsWith("Invalid configuration:", error, StringComparison.Ordinal);
        Assert.Contains("EchoHost:Framed:MaxFrameBytes", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x10)]
    [InlineData(0x40)]
    [InlineData(0x4F)]
    [InlineData(0xF0)]
    [InlineData(0xFF)]
    public void Types_outside_the_application_range_are_refused(byte type)
    {
        var services = new ServiceCollection();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => services.AddFramedHandler<NoopHandler>(type));
        Assert.Contains("applications may register Types 0x50 to 0xEF only", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => services.AddFramedHandler(type, (_, _, _) => ValueTask.CompletedTask));
    }

    [Fact]
    public void A_type_registered_twice_is_refused_naming_both()
    {
        var services = new ServiceCollection();
        services.AddFramedHandler<NoopHandler>(0x60);

        var error = Assert.Throws<InvalidOperationException>(() => services.AddFramedHandler(0x60, (_, _, _) => ValueTask.CompletedTask));
        Assert.Equal("Framed handler a delegate for Type 0x60: NoopHandler is already registered for that Type.", error.Message);
        services.AddFramedHandler<NoopHandler>(0x50);
        services.AddFramedHandler<NoopHandler>(0xEF);
    }

    [Fact]
    public async Task A_host_with_a_duplicate_registration_does_not_build()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Program.Build(
            ["--EchoHost:Transport=Sockets", "--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:0", "--EchoHost:Endpoints:framed:Url=tcp://127.0.0.1:0", "--EchoHost:Endpoints:http:Enabled=false"],
            builder =>
            {
                builder.Services.AddFramedHandler<NoopHandler>(0x70);
                builder.Services.AddFramedHandler<NoopHandler>(0x70);
            }));

        Assert.Contains("Type 0x70", error.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact]
    public void Metadata_keys_of_a_response_are_checked()
    {
        var response = (FramedServerResponse)Activator.CreateInstance(typeof(FramedServerResponse), nonPublic: true)!;
        response.AddMetadata("k", new byte[] { 1 });

        Assert.Throws<ArgumentException>(() => response.AddMetadata("k", new byte[] { 2 }));
        Assert.Throws<ArgumentException>(() => response.AddMetadata("", new byte[] { 2 }));
        Assert.Throws<ArgumentException>(() => response.AddMetadata("v", new byte[ushort.MaxValue + 1]));
    }
}
