using System.Runtime.InteropServices;

namespace EchoHost.Configuration;

/// <summary>The transports Kestrel can run on here.</summary>
internal enum TransportKind
{
    /// <summary>EchoHost's own transport: io_uring (or epoll) on Linux, kqueue on macOS and FreeBSD, IOCP on Windows.</summary>
    Native,

    /// <summary>Kestrel's built-in socket transport.</summary>
    Sockets,
}

/// <summary>The transport that runs, what was configured (<c>Native</c>, <c>Sockets</c> or <c>Auto</c>), and the native engine if any.</summary>
internal sealed record TransportChoice(TransportKind Kind, string Configured, string? Engine)
{
    public const string Key = "EchoHost:Transport";

    /// <summary>
    /// Resolves <c>EchoHost:Transport</c>. <c>Auto</c> (the default) takes the native transport where this operating
    /// system has an engine for it and Sockets elsewhere; <c>Native</c> where there is none is an error rather than a
    /// silent fallback, because whoever wrote it wants to know.
    /// </summary>
    public static TransportChoice Select(string? configured, bool nativeSupported, string? engine)
    {
        var value = string.IsNullOrWhiteSpace(configured) ? "Auto" : configured.Trim();
        if (string.Equals(value, "Auto", StringComparison.OrdinalIgnoreCase))
        {
            return nativeSupported
                ? new TransportChoice(TransportKind.Native, "Auto", engine)
                : new TransportChoice(TransportKind.Sockets, "Auto", null);
        }

        if (string.Equals(value, "Sockets", StringComparison.OrdinalIgnoreCase))
        {
            return new TransportChoice(TransportKind.Sockets, "Sockets", null);
        }

        if (string.Equals(value, "Native", StringComparison.OrdinalIgnoreCase))
        {
            if (!nativeSupported)
            {
                throw new EchoHostConfigurationException(
                    $"{Key} is Native, but the native transport has no engine on {RuntimeInformation.OSDescription}; set it to Sockets or Auto");
            }

            return new TransportChoice(TransportKind.Native, "Native", engine);
        }

        throw new EchoHostConfigurationException($"{Key} is '{configured}'; expected Native, Sockets or Auto");
    }
}
