using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using EchoHost.Configuration;
using EchoHost.Connections;
using EchoHost.Hosting;
using EchoHost.Metrics;
using EchoHost.ServiceManagers;
using EchoHost.Tests.Support;
using EchoHost.Transport.Native;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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

    [Theory]
    [InlineData("epoll")]
    [InlineData("kqueue")]
    public void Auto_and_Native_take_the_engine_of_the_operating_system(string engine)
    {
        Assert.Equal(new TransportChoice(TransportKind.Native, "Auto", engine), TransportChoice.Select(null, nativeSupported: true, engine));
        Assert.Equal(new TransportChoice(TransportKind.Native, "Native", engine), TransportChoice.Select("Native", nativeSupported: true, engine));
    }

    [Fact]
    public void An_engine_named_in_configuration_is_the_engine_the_transport_choice_names()
    {
        var values = ConfigurationBuilding.Defaults();
        values["EchoHost:Native:Engine"] = "ioUring";
        var asked = new List<NativeTransportEngine>();
        var settings = EchoHostSettings.Load(ConfigurationBuilding.From(values), nativeSupported: true, nativeEngine: "epoll",
            (NativeTransportEngine engine, out string name, out string? error) =>
            {
                asked.Add(engine);
                name = "io_uring";
                error = null;
                return true;
            });

        Assert.Equal([NativeTransportEngine.IoUring], asked);
        Assert.Equal(new TransportChoice(TransportKind.Native, "Auto", "io_uring"), settings.Transport);
    }

    [Fact]
    public void An_engine_this_system_cannot_run_stops_start_up_with_its_reason()
    {
        var values = ConfigurationBuilding.Defaults();
        values["EchoHost:Native:Engine"] = "IoUring";
        var error = Assert.Throws<EchoHostConfigurationException>(() => EchoHostSettings.Load(ConfigurationBuilding.From(values), nativeSupported: true, nativeEngine: "epoll",
            (NativeTransportEngine engine, out string name, out string? reason) =>
            {
                name = "";
                reason = "io_uring is turned off for this process (kernel.io_uring_disabled = 2)";
                return false;
            }));

        Assert.Equal("EchoHost:Native:Engine is IoUring: io_uring is turned off for this process (kernel.io_uring_disabled = 2)", error.Message);
    }

    [Theory]
    [InlineData("Fastest")]
    [InlineData("7")]
    [InlineData("-1")]
    [InlineData("")]
    public void An_unknown_engine_is_refused_with_the_list_of_engines(string engine)
    {
        var values = ConfigurationBuilding.Defaults();
        values["EchoHost:Native:Engine"] = engine;
        Assert.Equal($"EchoHost:Native:Engine is '{engine}'; expected Auto, Epoll, IoUring, Kqueue, Iocp", ConfigurationBuilding.LoadError(values));
    }

    [Fact]
    public void The_engine_is_not_checked_when_the_Sockets_transport_runs()
    {
        var values = ConfigurationBuilding.Defaults();
        values["EchoHost:Transport"] = "Sockets";
        values["EchoHost:Native:Engine"] = "Iocp";
        Assert.Equal(TransportKind.Sockets, ConfigurationBuilding.Load(values).Transport.Kind);
    }

    [Fact]
    public async Task Auto_without_an_engine_says_that_it_falls_back_to_Sockets()
    {
        var settings = EchoHostSettings.Load(ConfigurationBuilding.From(ConfigurationBuilding.Defaults()), nativeSupported: false, nativeEngine: null);
        Assert.Equal(TransportKind.Sockets, settings.Transport.Kind);

        using var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(logs));
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var messageTypes = new MessageTypeSlots([]);
        var metrics = new ServiceMetrics(services.GetRequiredService<IMeterFactory>(), settings, new LiveConnectionRegistry(settings, messageTypes), messageTypes);
        var reporter = new StartupReporter(settings, new ListeningEndpoints(settings, InheritedSockets.None), metrics, factory.CreateLogger<StartupReporter>());
        await reporter.StartingAsync(CancellationToken.None);

        var entry = Assert.Single(logs.Entries);
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Equal($"Using the Sockets transport: the native transport has no engine on {RuntimeInformation.OSDescription} (EchoHost:Transport is Auto)", entry.Message);
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
