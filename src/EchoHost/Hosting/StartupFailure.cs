using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace EchoHost.Hosting;

/// <summary>Why the host failed to start, in the one line the operator reads, and the exit code that goes with it.</summary>
internal sealed record StartupFailure(string Message, int ExitCode, Exception? Details)
{
    /// <summary>
    /// Explains a failed start caused by an endpoint that could not be bound, e.g.
    /// <c>Endpoint 'echo' (tcp://127.0.0.1:1512): address already in use</c>. Anything else is not explained here.
    /// </summary>
    public static bool TryExplainBindFailure(IServiceProvider services, Exception exception, out StartupFailure? failure)
    {
        ArgumentNullException.ThrowIfNull(services);
        failure = null;
        var failures = services.GetService<BindFailures>();
        var endpoints = services.GetService<ListeningEndpoints>();
        if (failures is null || endpoints is null || !failures.TryFind(exception, out var endPoint, out var cause))
        {
            return false;
        }

        var subject = endpoints.Describe(endPoint!) ?? $"Address {endPoint}";
        var (reason, expected) = DescribeCause(cause!);

        // Expected causes are fully said by the message; anything else keeps its stack trace for whoever debugs it.
        failure = new StartupFailure($"{subject}: {reason}", ExitCodes.EndpointUnavailable, expected ? null : cause);
        return true;
    }

    /// <summary>Puts a cause in a few words, and says whether it is one an operator meets in normal life.</summary>
    internal static (string Reason, bool Expected) DescribeCause(Exception cause)
    {
        for (var current = cause; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case AddressInUseException:
                    return ("address already in use", true);
                case SocketException socket:
                    return (socket.SocketErrorCode switch
                    {
                        SocketError.AddressAlreadyInUse => "address already in use",
                        SocketError.AccessDenied => "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)",
                        SocketError.AddressNotAvailable => "the address is not one of this machine's",
                        _ => socket.Message,
                    }, true);
                case UnauthorizedAccessException or PlatformNotSupportedException:
                    return (current.Message, true);
            }
        }

        return (cause.Message, cause is IOException);
    }
}
