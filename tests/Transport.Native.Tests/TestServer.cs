using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EchoHost.Transport.Native.Tests;

/// <summary>
/// A real Kestrel server on a chosen transport, in this process: a generic host with a web host whose Kestrel
/// listens where <see cref="Listen"/> says, with the test handlers of this project.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly List<ListenOptions> _listeners;
    private bool _stopped;
    private bool _disposed;

    private TestServer(IHost host, List<ListenOptions> listeners)
    {
        _host = host;
        _listeners = listeners;
        Log = host.Services.GetRequiredService<ConnectionLog>();
    }

    /// <summary>What the handlers saw.</summary>
    public ConnectionLog Log { get; }

    /// <summary>The services of the host.</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>The bound endpoint of the first listener (its real port once started).</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listeners[0].EndPoint;

    /// <summary>The bound endpoints of all listeners, in the order they were configured.</summary>
    public IReadOnlyList<EndPoint> EndPoints => [.. _listeners.Select(l => l.EndPoint)];

    /// <summary>Builds and starts a server; throws what Kestrel throws when it cannot start.</summary>
    public static async Task<TestServer> StartAsync(TransportSelector transport, ITestOutputHelper output, Action<Listen> listen, Action<IApplicationBuilder>? app = null, Action<IServiceCollection>? services = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(listen);
        var listeners = new List<ListenOptions>();
        var host = new HostBuilder()
            .ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(new TestOutputLoggerProvider(output));
                logging.SetMinimumLevel(LogLevelFromEnvironment());
            })
            .ConfigureServices(s =>
            {
                s.AddSingleton<ConnectionLog>();
                services?.Invoke(s);
            })
            .ConfigureWebHost(webHost =>
            {
                webHost.UseKestrel(kestrel => listen(new Listen(kestrel, listeners)));
                transport.Configure(webHost);
                if (app is null)
                {
                    webHost.Configure(_ => { });
                }
                else
                {
                    webHost.ConfigureServices(s => s.AddRouting());
                    webHost.Configure(app);
                }
            })
            .Build();

        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            await ((IAsyncDisposable)host).DisposeAsync();
            throw;
        }

        return new TestServer(host, listeners);
    }

    /// <summary>
    /// The server log's level: warnings and up, or what <c>ECHOHOST_TEST_LOG_LEVEL</c> says (for example <c>Debug</c>,
    /// to see the transport's own log in a failing test's output).
    /// </summary>
    private static LogLevel LogLevelFromEnvironment() =>
        Enum.TryParse(Environment.GetEnvironmentVariable("ECHOHOST_TEST_LOG_LEVEL"), ignoreCase: true, out LogLevel level) ? level : LogLevel.Warning;

    /// <summary>Stops the host, giving connections <paramref name="shutdownTimeout"/> to close before Kestrel aborts them.</summary>
    public async Task StopAsync(TimeSpan shutdownTimeout)
    {
        _stopped = true;
        using var cts = new CancellationTokenSource(shutdownTimeout);
        await _host.StopAsync(cts.Token);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_stopped)
        {
            await StopAsync(TimeSpan.FromSeconds(5));
        }

        await ((IAsyncDisposable)_host).DisposeAsync();
    }
}

/// <summary>Adds listeners to a test server, each with one of this project's handlers.</summary>
public sealed class Listen
{
    private readonly KestrelServerOptions _kestrel;
    private readonly List<ListenOptions> _listeners;

    internal Listen(KestrelServerOptions kestrel, List<ListenOptions> listeners)
    {
        _kestrel = kestrel;
        _listeners = listeners;
    }

    /// <summary>A TCP listener (port 0: any free port) served by <typeparamref name="THandler"/>.</summary>
    public Listen Tcp<THandler>(IPAddress address, int port = 0)
        where THandler : ConnectionHandler
    {
        _kestrel.Listen(address, port, options =>
        {
            options.UseConnectionHandler<THandler>();
            _listeners.Add(options);
        });
        return this;
    }

    /// <summary>A TCP echo listener on 127.0.0.1 and a free port.</summary>
    public Listen Echo() => Tcp<EchoConnectionHandler>(IPAddress.Loopback);

    /// <summary>A Unix domain socket listener at <paramref name="path"/> served by <typeparamref name="THandler"/>.</summary>
    public Listen Unix<THandler>(string path)
        where THandler : ConnectionHandler
    {
        _kestrel.ListenUnixSocket(path, options =>
        {
            options.UseConnectionHandler<THandler>();
            _listeners.Add(options);
        });
        return this;
    }

    /// <summary>An HTTP/1.1 listener on 127.0.0.1 and a free port, served by the host's application.</summary>
    public Listen Http()
    {
        _kestrel.Listen(IPAddress.Loopback, 0, options =>
        {
            options.Protocols = HttpProtocols.Http1;
            _listeners.Add(options);
        });
        return this;
    }
}
