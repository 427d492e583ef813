using System.Globalization;
using System.Text.RegularExpressions;
using EchoHost.EndToEnd.Tests.Support;

namespace EchoHost.EndToEnd.Tests;

/// <summary>
/// The shipped systemd units, read by systemd's own <c>systemd-analyze verify</c> and checked against the shipped
/// configuration: one socket unit per endpoint, named and numbered as appsettings.json says.
/// </summary>
public partial class SystemdUnitTests
{
    private const string ShippedFolder = "/opt/echohost";

    private static readonly string[] SocketUnits = Directory.GetFiles(Repository.PathOf("deploy/systemd"), "echohost-*.socket").Order(StringComparer.Ordinal).ToArray();

    /// <summary>The values of <paramref name="key"/> in a unit file, in order.</summary>
    private static List<string> Values(string unit, string key) =>
        File.ReadLines(unit).Where(l => l.StartsWith(key + "=", StringComparison.Ordinal)).Select(l => l[(key.Length + 1)..]).ToList();

    [Fact]
    public async Task Systemd_analyze_verify_accepts_the_service_and_its_sockets()
    {
        // verify checks that ExecStart's program exists: the copies run the service's native build, and differ from
        // the shipped units in that folder only.
        var folder = Directory.CreateTempSubdirectory("echohost-units-");
        try
        {
            var build = Path.GetDirectoryName(NativeBuild.ExecutablePath)!;
            foreach (var unit in SocketUnits.Append(Repository.PathOf("deploy/systemd/echohost.service")))
            {
                var text = await File.ReadAllTextAsync(unit);
                var copy = text.Replace(ShippedFolder, build, StringComparison.Ordinal);
                Assert.Equal(text, copy.Replace(build, ShippedFolder, StringComparison.Ordinal));
                await File.WriteAllTextAsync(Path.Combine(folder.FullName, Path.GetFileName(unit)), copy);
            }

            await using var verify = EchoHostProcess.StartCommand("systemd-analyze", ["verify", .. Directory.GetFiles(folder.FullName).Order(StringComparer.Ordinal)]);
            var exitCode = await verify.WaitForExitAsync();
            Assert.True(exitCode == 0 && verify.Output.Trim().Length == 0, $"systemd-analyze verify exited with {exitCode}:{Environment.NewLine}{verify.Output}");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_service_notifies_systemd_keeps_its_hardening_and_stops_after_the_drain()
    {
        var service = Repository.PathOf("deploy/systemd/echohost.service");
        Assert.Equal(["notify"], Values(service, "Type"));
        Assert.Equal(["main"], Values(service, "NotifyAccess"));
        Assert.Equal(["30s"], Values(service, "WatchdogSec"));
        Assert.Equal([$"{ShippedFolder}/EchoHost"], Values(service, "ExecStart"));
        foreach (var (key, value) in new[] { ("DynamicUser", "yes"), ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("LimitNOFILE", "1048576") })
        {
            Assert.Equal([value], Values(service, key));
        }

        // sd_notify needs AF_UNIX; the drain needs longer than the shipped shutdown timeout.
        Assert.Contains("AF_UNIX", Values(service, "RestrictAddressFamilies").Single().Split(' '));
        var shutdownTimeout = TimeSpan.Parse(Repository.ShippedSetting("EchoHost:ShutdownTimeout"), CultureInfo.InvariantCulture);
        Assert.True(int.Parse(Values(service, "TimeoutStopSec").Single(), CultureInfo.InvariantCulture) > shutdownTimeout.TotalSeconds);
    }

    [Fact]
    public void Each_endpoint_of_appsettings_has_a_socket_unit_of_its_name_and_port()
    {
        var ports = Repository.DefaultEndpointPorts();
        var units = SocketUnits.ToDictionary(
            unit => UnitName().Match(Path.GetFileName(unit)).Groups["endpoint"].Value,
            unit => (Name: Values(unit, "FileDescriptorName").Single(), Listen: Values(unit, "ListenStream").Single(), Service: Values(unit, "Service").Single()));

        Assert.Equal(ports.Keys.Order(StringComparer.Ordinal), units.Keys.Order(StringComparer.Ordinal));
        foreach (var (endpoint, port) in ports)
        {
            Assert.Equal((endpoint, port.ToString(CultureInfo.InvariantCulture), "echohost.service"), units[endpoint]);
        }
    }

    [GeneratedRegex(@"^echohost-(?<endpoint>.+)\.socket$")]
    private static partial Regex UnitName();
}
