using System.Globalization;
using EchoHost.Transport.Native;
using Microsoft.Extensions.Configuration;

namespace EchoHost.Bench.Plaintext;

/// <summary>The transport Kestrel listens through.</summary>
internal enum PlaintextTransport
{
    Native,
    Sockets,
}

/// <summary>
/// What the command line chooses: <c>--transport native|sockets</c>, <c>--port P</c> (on 127.0.0.1),
/// <c>--inline-scheduling true|false</c> (the transport's <c>UnsafePreferInlineScheduling</c>) and, for the native
/// transport, <c>--engine Auto|Epoll|IoUring</c> (its <c>Engine</c>).
/// </summary>
internal sealed record PlaintextOptions(PlaintextTransport Transport, int Port, bool InlineScheduling, NativeTransportEngine Engine)
{
    public const string Usage = "usage: Plaintext --transport native|sockets --port P [--inline-scheduling true|false] [--engine Auto|Epoll|IoUring]";

    /// <exception cref="ArgumentException">A value is missing or not understood; the message names it.</exception>
    public static PlaintextOptions Read(IConfiguration configuration)
    {
        var transport = configuration["transport"] switch
        {
            "native" => PlaintextTransport.Native,
            "sockets" => PlaintextTransport.Sockets,
            var other => throw new ArgumentException($"--transport is native or sockets, not '{other}'."),
        };
        var portText = configuration["port"];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"--port is a port from 1 to 65535, not '{portText}'.");
        }

        var inlineText = configuration["inline-scheduling"] ?? "false";
        if (!bool.TryParse(inlineText, out var inline))
        {
            throw new ArgumentException($"--inline-scheduling is true or false, not '{inlineText}'.");
        }

        var engineText = configuration["engine"] ?? nameof(NativeTransportEngine.Auto);
        if (!Enum.TryParse<NativeTransportEngine>(engineText, ignoreCase: true, out var engine) || !Enum.IsDefined(engine))
        {
            throw new ArgumentException($"--engine is Auto, Epoll or IoUring, not '{engineText}'.");
        }

        return new PlaintextOptions(transport, port, inline, engine);
    }
}
