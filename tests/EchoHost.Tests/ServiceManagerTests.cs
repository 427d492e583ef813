using System.Net;
using System.Net.Sockets;
using EchoHost.Configuration;
using EchoHost.Hosting;
using EchoHost.ServiceManagers;
using EchoHost.ServiceManagers.Launchd;
using EchoHost.ServiceManagers.Systemd;
using Microsoft.AspNetCore.Connections;
using static EchoHost.Tests.ConfigurationBuilding;

namespace EchoHost.Tests;

/// <summary>What the service reads from systemd and launchd: LISTEN_*, NOTIFY_SOCKET, WATCHDOG_*, launchd's answers.</summary>
public class ServiceManagerTests
{
    private const int Pid = 4242;

    private static IReadOnlyList<EndpointDefinition> Endpoints() => Load(Defaults()).Endpoints;

    private static string ParseError(string? pid, string? fds, string? names) =>
        Assert.Throws<EchoHostConfigurationException>(() => SystemdListenFds.Parse(pid, fds, names, Pid)).Message;

    [Fact]
    public void Listen_fds_start_at_3_and_take_their_names_in_order()
    {
        var sockets = SystemdListenFds.Parse("4242", "3", "echo:framed:http", Pid);

        Assert.Equal(
            [new InheritedSocket("echo", 3, "systemd"), new InheritedSocket("framed", 4, "systemd"), new InheritedSocket("http", 5, "systemd")],
            sockets);
    }

    [Theory]
    [InlineData(null, "2", "echo:http")]
    [InlineData("", "2", "echo:http")]
    [InlineData("4243", "2", "echo:http")]
    [InlineData("1", "x", "nonsense")]
    [InlineData("4242", "0", null)]
    public void Listen_fds_for_no_process_or_another_are_none(string? pid, string? fds, string? names)
    {
        // As sd_listen_fds: variables meant for another process (a parent's) are none of ours, malformed or not.
        Assert.Empty(SystemdListenFds.Parse(pid, fds, names, Pid));
    }

    [Fact]
    public void Unnamed_sockets_are_called_unknown_as_systemd_calls_them()
    {
        Assert.Equal([new InheritedSocket("unknown", 3, "systemd")], SystemdListenFds.Parse("4242", "1", null, Pid));
    }

    [Theory]
    [InlineData("4242", "two", "echo", "LISTEN_FDS is 'two', not a number of descriptors (systemd socket activation)")]
    [InlineData("4242", "-1", "echo", "LISTEN_FDS is '-1', not a number of descriptors (systemd socket activation)")]
    [InlineData("4242", null, null, "LISTEN_FDS is '', not a number of descriptors (systemd socket activation)")]
    [InlineData("4242", "99999999999", null, "LISTEN_FDS is '99999999999', not a number of descriptors (systemd socket activation)")]
    [InlineData("pid", "1", "echo", "LISTEN_PID is 'pid', not a process id (systemd socket activation)")]
    [InlineData("4242", "2", "echo", "LISTEN_FDNAMES names 1 socket(s) ('echo') but LISTEN_FDS is 2 (systemd socket activation)")]
    [InlineData("4242", "1", "echo:framed", "LISTEN_FDNAMES names 2 socket(s) ('echo:framed') but LISTEN_FDS is 1 (systemd socket activation)")]
    public void Malformed_listen_fds_say_which_variable(string? pid, string? fds, string? names, string expected)
    {
        Assert.Equal(expected, ParseError(pid, fds, names));
    }

    [Fact]
    public void Sockets_go_to_the_endpoint_of_their_name_whatever_its_case_and_several_may_share_one()
    {
        var endpoints = Endpoints();
        var inherited = InheritedSockets.Match(
            [new InheritedSocket("ECHO", 3, "systemd"), new InheritedSocket("echo", 4, "systemd"), new InheritedSocket("http", 5, "systemd")],
            endpoints);

        Assert.Equal([3, 4], inherited.For(endpoints.Single(e => e.Name == "echo")).Select(s => s.Descriptor));
        Assert.Equal([5], inherited.For(endpoints.Single(e => e.Name == "http")).Select(s => s.Descriptor));
        Assert.Equal("http", inherited.Find(5)!.Name);
        Assert.Null(inherited.Find(6));
    }

    [Theory]
    [InlineData("systemd", "The socket 'gopher' from systemd (fd 4) matches no endpoint; name it after one of echo, http (FileDescriptorName= in the .socket unit) or configure an endpoint of that name")]
    [InlineData("launchd", "The socket 'gopher' from launchd (fd 4) matches no endpoint; name it after one of echo, http (the key in the plist's Sockets) or configure an endpoint of that name")]
    public void A_socket_named_after_no_endpoint_is_a_configuration_error(string manager, string expected)
    {
        var error = Assert.Throws<EchoHostConfigurationException>(() => InheritedSockets.Match(
            [new InheritedSocket("echo", 3, manager), new InheritedSocket("gopher", 4, manager)], Endpoints()));

        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void A_failed_bind_of_an_inherited_socket_names_the_endpoint_and_the_socket()
    {
        var settings = Load(Defaults());
        var endpoints = new ListeningEndpoints(settings, InheritedSockets.Match([new InheritedSocket("echo", 3, "systemd")], settings.Endpoints));

        Assert.Equal("Endpoint 'echo' (socket 'echo' from systemd (fd 3))", endpoints.Describe(new FileHandleEndPoint(3, FileHandleType.Auto)));
        Assert.Null(endpoints.Describe(new FileHandleEndPoint(4, FileHandleType.Auto)));
        Assert.Equal("Endpoint 'http' (http://0.0.0.0:9464)", endpoints.Describe(new IPEndPoint(IPAddress.Any, 9464)));
    }

    [Fact]
    public void A_listening_stream_socket_is_taken()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();

        SocketDescriptors.Prepare(new InheritedSocket("echo", (int)listener.Handle, "systemd"));
    }

    [Fact]
    public void A_stream_socket_that_does_not_listen_or_a_datagram_socket_is_refused()
    {
        using var stream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var datagram = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        datagram.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        foreach (var socket in new[] { stream, datagram })
        {
            var error = Assert.Throws<EchoHostConfigurationException>(() => SocketDescriptors.Prepare(new InheritedSocket("echo", (int)socket.Handle, "systemd")));
            Assert.StartsWith($"The socket 'echo' from systemd (fd {socket.Handle}) is not a listening stream socket;", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_descriptor_that_is_no_socket_is_refused()
    {
        using var file = File.OpenHandle(Path.Combine(AppContext.BaseDirectory, "appsettings.json"));
        var descriptor = (int)file.DangerousGetHandle();

        var error = Assert.Throws<EchoHostConfigurationException>(() => SocketDescriptors.Prepare(new InheritedSocket("echo", descriptor, "systemd")));
        Assert.StartsWith($"The socket 'echo' from systemd (fd {descriptor}) is not a socket: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("30000000", null, 15_000)]
    [InlineData("200000", "4242", 100)]
    [InlineData("1", null, 1)]
    [InlineData("2999", null, 1)]
    public void The_watchdog_is_pinged_every_half_of_watchdog_usec(string usec, string? pid, int milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), SystemdWatchdog.WatchdogInterval(usec, pid, Pid, out var problem));
        Assert.Null(problem);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("200000", "4243")]
    [InlineData("200000", "not-a-pid")]
    public void No_watchdog_without_watchdog_usec_or_for_another_process(string? usec, string? pid)
    {
        Assert.Null(SystemdWatchdog.WatchdogInterval(usec, pid, Pid, out var problem));
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("30s")]
    public void A_malformed_watchdog_usec_gives_a_reason(string usec)
    {
        Assert.Null(SystemdWatchdog.WatchdogInterval(usec, null, Pid, out var problem));
        Assert.Equal($"WATCHDOG_USEC is '{usec}', not a number of microseconds", problem);
    }

    [Fact]
    public void Launchd_is_asked_for_each_name_and_unknown_names_have_no_socket()
    {
        var asked = new List<string>();
        var sockets = LaunchdSockets.Collect(["echo", "framed", "http"], (string name, out int[] descriptors) =>
        {
            asked.Add(name);
            descriptors = name == "echo" ? [5, 6] : [];
            return name == "echo" ? 0 : Launch.ENOENT;
        });

        Assert.Equal(["echo", "framed", "http"], asked);
        Assert.Equal([new InheritedSocket("echo", 5, "launchd"), new InheritedSocket("echo", 6, "launchd")], sockets);
    }

    [Fact]
    public void Outside_launchd_it_is_asked_once()
    {
        var asked = 0;
        var sockets = LaunchdSockets.Collect(["echo", "framed"], (string _, out int[] descriptors) =>
        {
            asked++;
            descriptors = [];
            return Launch.ESRCH;
        });

        Assert.Empty(sockets);
        Assert.Equal(1, asked);
    }

    [Fact]
    public void Another_launchd_error_stops_start_up()
    {
        var error = Assert.Throws<EchoHostConfigurationException>(() => LaunchdSockets.Collect(["echo"], (string _, out int[] descriptors) =>
        {
            descriptors = [];
            return 22;
        }));

        Assert.StartsWith("launchd could not hand over socket 'echo': ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("(launch_activate_socket error 22)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_service_manager_no_socket_is_inherited()
    {
        Assert.Null(Environment.GetEnvironmentVariable(SystemdListenFds.PidVariable));
        Assert.Same(InheritedSockets.None, InheritedSockets.Load(Endpoints()));
    }
}
