using System.Globalization;
using System.Xml.Linq;
using EchoHost.EndToEnd.Tests.Support;

namespace EchoHost.EndToEnd.Tests;

/// <summary>
/// The launchd plist, parsed by libplist's <c>plistutil</c> (converted to the binary format, which only a parsed plist
/// can be, and back) and checked against the shipped configuration. launchd itself runs only on macOS.
/// </summary>
public class LaunchdPlistTests
{
    /// <summary>The plist's top-level dictionary as plistutil writes it back, keys paired with their values.</summary>
    private static async Task<Dictionary<string, XElement>> ParseAsync(string plist)
    {
        var folder = Directory.CreateTempSubdirectory("echohost-plist-");
        try
        {
            var binary = Path.Combine(folder.FullName, "binary.plist");
            var xml = Path.Combine(folder.FullName, "xml.plist");
            await RunAsync("-i", plist, "-f", "bin", "-o", binary);
            Assert.True(File.Exists(binary), $"plistutil could not convert {plist}");
            Assert.Equal("bplist00"u8.ToArray(), (await File.ReadAllBytesAsync(binary))[..8]);
            await RunAsync("-i", binary, "-f", "xml", "-o", xml);
            return Dictionary(XDocument.Load(xml).Root!.Element("dict")!);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task RunAsync(params string[] arguments)
    {
        // plistutil exits with 0 even when it fails, saying so on its output.
        await using var plistutil = EchoHostProcess.StartCommand("plistutil", arguments);
        Assert.Equal(0, await plistutil.WaitForExitAsync());
        Assert.DoesNotContain("ERROR", plistutil.Output, StringComparison.Ordinal);
    }

    private static Dictionary<string, XElement> Dictionary(XElement dict)
    {
        var elements = dict.Elements().ToList();
        return Enumerable.Range(0, elements.Count / 2).ToDictionary(i => elements[2 * i].Value, i => elements[(2 * i) + 1]);
    }

    [Fact]
    public async Task Plistutil_parses_every_plist_and_the_job_runs_the_published_service()
    {
        var plists = Directory.GetFiles(Repository.PathOf("deploy/launchd"), "*.plist");
        Assert.NotEmpty(plists);
        foreach (var plist in plists)
        {
            var job = await ParseAsync(plist);
            Assert.Equal(Path.GetFileNameWithoutExtension(plist), job["Label"].Value);
            var arguments = job["ProgramArguments"].Elements("string").Select(e => e.Value).ToList();
            Assert.Equal("dotnet", Path.GetFileName(arguments[0]));
            Assert.Equal(Path.Combine(job["WorkingDirectory"].Value, "EchoHost.dll"), arguments[1]);
            Assert.Equal("false", Dictionary(job["KeepAlive"])["SuccessfulExit"].Name.LocalName);
            Assert.True(job.ContainsKey("StandardOutPath") && job.ContainsKey("StandardErrorPath"));

            // launchd sends SIGKILL after ExitTimeOut: the drain must fit in it.
            var shutdownTimeout = TimeSpan.Parse(Repository.ShippedSetting("EchoHost:ShutdownTimeout"), CultureInfo.InvariantCulture);
            Assert.True(int.Parse(job["ExitTimeOut"].Value, CultureInfo.InvariantCulture) > shutdownTimeout.TotalSeconds);
        }
    }

    [Fact]
    public async Task The_sockets_are_the_endpoints_of_appsettings_by_name_and_port()
    {
        var job = await ParseAsync(Repository.PathOf("deploy/launchd/com.echohost.plist"));
        var sockets = Dictionary(job["Sockets"]).ToDictionary(s => s.Key, s => Dictionary(s.Value));

        var ports = Repository.DefaultEndpointPorts();
        Assert.Equal(ports.Keys.Order(StringComparer.Ordinal), sockets.Keys.Order(StringComparer.Ordinal));
        foreach (var (endpoint, port) in ports)
        {
            Assert.Equal(port.ToString(CultureInfo.InvariantCulture), sockets[endpoint]["SockServiceName"].Value);
            Assert.Equal("stream", sockets[endpoint]["SockType"].Value);
        }
    }
}
