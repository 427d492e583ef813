using System.Net;

namespace EchoHost.Client.Tests.Support;

/// <summary>One real EchoHost, started once for the tests of the "real server" collection, with a framed endpoint on loopback and one on a Unix socket.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private readonly string _socketPath = Path.Combine(Path.GetTempPath(), $"echohost-client-tests-{Environment.ProcessId}.sock");
    private EchoHostProcess? _process;

    internal EchoHostProcess Process => _process ?? throw new InvalidOperationException("The server is not started.");

    public IPEndPoint EndPoint { get; private set; } = null!;

    public string UnixSocketPath => _socketPath;

    public async Task InitializeAsync()
    {
        File.Delete(_socketPath);
        _process = EchoHostProcess.StartOnLoopback(
            ServiceBuilds.Jit, "Auto",
            "--EchoHost:Endpoints:framed:Url=tcp://127.0.0.1:0",
            "--EchoHost:Endpoints:framed:Protocol=framed",
            $"--EchoHost:Endpoints:framedunix:Url=unix:{_socketPath}",
            "--EchoHost:Endpoints:framedunix:Protocol=framed");
        EndPoint = (IPEndPoint)await _process.EndPointAsync("framed");
        await _process.WaitForEndpointsAsync("framedunix");
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        File.Delete(_socketPath);
    }
}

[CollectionDefinition(Name)]
public sealed class RealServerGroup : ICollectionFixture<ServerFixture>
{
    public const string Name = "real server";
}
