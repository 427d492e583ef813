using System.Net;
using System.Net.Sockets;
using EchoHost.Configuration;
using EchoHost.Serving;
using EchoHost.ServiceManagers;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace EchoHost.Hosting;

/// <summary>An endpoint once Kestrel listens on it: port 0 resolved to the port the system chose.</summary>
internal sealed record BoundEndpoint(EndpointDefinition Definition, EndPoint EndPoint, string Address);

/// <summary>
/// Declares EchoHost's endpoints to Kestrel and remembers the <see cref="ListenOptions"/> of each, which Kestrel
/// updates with the address it actually bound; that is how the log and the tests learn ephemeral ports. An endpoint
/// that a service manager handed sockets to is served on those (Kestrel's <see cref="FileHandleEndPoint"/>) instead.
/// </summary>
internal sealed class ListeningEndpoints(EchoHostSettings settings, InheritedSockets inherited) : IConfigureOptions<KestrelServerOptions>
{
    private readonly Lock _gate = new();
    private List<(EndpointDefinition Definition, ListenOptions Options, bool Inherited)> _listeners = [];

    public void Configure(KestrelServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var listeners = new List<(EndpointDefinition, ListenOptions, bool)>(settings.Endpoints.Count);
        foreach (var endpoint in settings.Endpoints)
        {
            ListenOptions? captured = null;
            Action<ListenOptions> configure = listenOptions =>
            {
                captured = listenOptions;
                ProtocolBindings.Apply(listenOptions, endpoint);
            };

            var sockets = inherited.For(endpoint).ToList();
            foreach (var socket in sockets)
            {
                options.ListenHandle((ulong)socket.Descriptor, configure);
                listeners.Add((endpoint, captured!, true));
            }

            if (sockets.Count > 0)
            {
                continue;
            }

            switch (endpoint.Address)
            {
                case IPAddressEndpoint ip:
                    options.Listen(new IPEndPoint(ip.Address, ip.Port), configure);
                    break;
                case LocalhostEndpoint { Port: 0 }:
                    // Kestrel cannot put IPv4 and IPv6 loopback on one ephemeral port; IPv4 is the one clients try first.
                    options.Listen(IPAddress.Loopback, 0, configure);
                    break;
                case LocalhostEndpoint local:
                    options.ListenLocalhost(local.Port, configure);
                    break;
                case UnixSocketEndpoint unix:
                    options.ListenUnixSocket(unix.Path, configure);
                    break;
                default:
                    throw new InvalidOperationException($"Unknown address kind {endpoint.Address.GetType().Name}.");
            }

            listeners.Add((endpoint, captured!, false));
        }

        // Kestrel configures its options once; should that ever happen twice, the last set is the one it binds.
        lock (_gate)
        {
            _listeners = listeners;
        }
    }

    /// <summary>The endpoints with the addresses Kestrel bound; meaningful once the server has started.</summary>
    public IReadOnlyList<BoundEndpoint> GetBound()
    {
        lock (_gate)
        {
            return _listeners.ConvertAll(l => new BoundEndpoint(l.Definition, l.Options.EndPoint, FormatAddress(l.Definition, l.Options.EndPoint, l.Inherited)));
        }
    }

    /// <summary>Which endpoint a transport was asked to bind <paramref name="endPoint"/> for, if any.</summary>
    public EndpointDefinition? FindByEndPoint(EndPoint endPoint)
    {
        foreach (var endpoint in settings.Endpoints)
        {
            var match = (endpoint.Address, endPoint) switch
            {
                (IPAddressEndpoint ip, IPEndPoint bound) => bound.Port == ip.Port && bound.Address.Equals(ip.Address),
                (LocalhostEndpoint local, IPEndPoint bound) => bound.Port == local.Port && IPAddress.IsLoopback(bound.Address),
                (UnixSocketEndpoint unix, UnixDomainSocketEndPoint bound) => string.Equals(bound.ToString(), unix.Path, StringComparison.Ordinal),
                (_, FileHandleEndPoint handle) => inherited.For(endpoint).Any(socket => (ulong)socket.Descriptor == handle.FileHandle),
                _ => false,
            };

            if (match)
            {
                return endpoint;
            }
        }

        return null;
    }

    /// <summary>How messages name the endpoint that <paramref name="endPoint"/> was bound for, e.g. <c>Endpoint 'echo' (tcp://0.0.0.0:1512)</c>.</summary>
    public string? Describe(EndPoint endPoint) =>
        FindByEndPoint(endPoint) is not { } endpoint ? null
        : endPoint is FileHandleEndPoint handle ? $"Endpoint '{endpoint.Name}' ({inherited.Find(handle.FileHandle)})"
        : endpoint.Describe();

    // The socket a service manager handed over says where it listens; the Url it replaced does not.
    private static string FormatAddress(EndpointDefinition definition, EndPoint endPoint, bool inherited) =>
        (definition.Address, endPoint) switch
        {
            // Both loopback addresses are bound; the host name says so better than either address.
            (LocalhostEndpoint { Port: > 0 } local, _) when !inherited => EndpointUrl.Prefix(definition.Scheme) + local,
            (_, IPEndPoint ip) => EndpointUrl.Prefix(definition.Scheme) + ip,
            (_, UnixDomainSocketEndPoint unix) => "unix:" + unix,
            _ => endPoint.ToString() ?? definition.Url,
        };
}
