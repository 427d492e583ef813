using EchoHost.LoadGen.Engine;

namespace EchoHost.LoadGen.Compare;

/// <summary>Starts a fresh server for one run.</summary>
internal interface IServerLauncher
{
    /// <exception cref="InvalidOperationException">The server did not start or does not accept connections.</exception>
    RunningServer Start(ServerSpec server, string logPath);
}

/// <summary>A started server: its process and its endpoints. Disposing it stops the server.</summary>
internal abstract class RunningServer : IDisposable
{
    public abstract int Pid { get; }

    /// <summary>The raw echo endpoint (port 0 when the server has none).</summary>
    public required IPv4Endpoint Echo { get; init; }

    public int? FramedPort { get; init; }

    public int? HttpPort { get; init; }

    public int? PlaintextPort { get; init; }

    /// <summary>False when the server exited on its own.</summary>
    public abstract bool IsAlive { get; }

    public abstract void Dispose();
}
