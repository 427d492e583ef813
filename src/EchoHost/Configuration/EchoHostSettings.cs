using System.Globalization;
using System.Net;
using EchoHost.Transport.Native;
using Microsoft.Extensions.Configuration;

namespace EchoHost.Configuration;

/// <summary>
/// EchoHost's configuration, validated as a whole before anything listens, so that a mistake stops start-up with
/// one message that names the endpoint instead of surfacing later from inside Kestrel.
/// </summary>
internal sealed class EchoHostSettings
{
    public const string EchoPortKey = "EchoHost:EchoPort";
    public const string NativeSectionName = "EchoHost:Native";

    private EchoHostSettings(TransportChoice transport, IReadOnlyList<EndpointDefinition> endpoints, FramedOptions framed, LimitsSettings limits, EchoHostOptions options)
    {
        Transport = transport;
        Endpoints = endpoints;
        Framed = framed;
        Limits = limits;
        ShutdownTimeout = options.ShutdownTimeout;
        AccessLog = options.AccessLog;
    }

    public TransportChoice Transport { get; }

    /// <summary>The enabled endpoints, ordered by name.</summary>
    public IReadOnlyList<EndpointDefinition> Endpoints { get; }

    /// <summary>The limits of the framed endpoints (<c>EchoHost:Framed</c>), validated even when none is enabled.</summary>
    public FramedOptions Framed { get; }

    /// <summary>The connection limits and timeouts (<c>EchoHost:Limits</c> and each endpoint's <c>Limits</c>).</summary>
    public LimitsSettings Limits { get; }

    /// <summary><c>EchoHost:ShutdownTimeout</c>: how long a stopping service lets its connections finish.</summary>
    public TimeSpan ShutdownTimeout { get; }

    /// <summary><c>EchoHost:AccessLog</c>: whether every message gets a common-log-format line.</summary>
    public bool AccessLog { get; }

    /// <summary>Reads and validates configuration for the operating system this runs on.</summary>
    public static EchoHostSettings Load(IConfiguration configuration) =>
        Load(configuration, NativeTransport.IsSupported, NativeTransport.EngineName);

    /// <summary>
    /// Reads and validates configuration; throws <see cref="EchoHostConfigurationException"/> on the first problem.
    /// <paramref name="nativeEngine"/> is the engine <c>Auto</c> runs; one named by <c>EchoHost:Native:Engine</c> is
    /// resolved by <paramref name="resolveEngine"/> (the native transport's own answer unless a test gives another).
    /// </summary>
    public static EchoHostSettings Load(IConfiguration configuration, bool nativeSupported, string? nativeEngine, NativeEngineResolver? resolveEngine = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        EchoHostOptions options;
        try
        {
            options = configuration.GetSection(EchoHostOptions.SectionName).Get<EchoHostOptions>() ?? new EchoHostOptions();
        }
        catch (InvalidOperationException ex)
        {
            // The binder's message names the key and the value; it only lacks saying that it stops start-up.
            throw new EchoHostConfigurationException($"Invalid configuration: {ex.Message}", ex);
        }

        if (options.ShutdownTimeout <= TimeSpan.Zero || options.ShutdownTimeout.TotalMilliseconds >= int.MaxValue)
        {
            throw new EchoHostConfigurationException(
                $"EchoHost:ShutdownTimeout is {options.ShutdownTimeout}; it must be a positive time below 24 days, e.g. 00:00:30");
        }

        var transport = TransportChoice.Select(options.Transport, nativeSupported, nativeEngine);
        if (transport.Kind == TransportKind.Native)
        {
            var native = ValidateNativeOptions(configuration.GetSection(NativeSectionName));
            if (native.Engine != NativeTransportEngine.Auto)
            {
                resolveEngine ??= NativeTransport.TryGetEngineName;
                if (!resolveEngine(native.Engine, out var engineName, out var error))
                {
                    throw new EchoHostConfigurationException($"{NativeSectionName}:Engine is {native.Engine}: {error}");
                }

                transport = transport with { Engine = engineName };
            }
        }

        var endpoints = new List<EndpointDefinition>();
        foreach (var (name, endpoint) in options.Endpoints.OrderBy(e => e.Key, StringComparer.OrdinalIgnoreCase))
        {
            if (IsEnabled(name, endpoint))
            {
                endpoints.Add(ParseEndpoint(name, endpoint, configuration.GetSection($"{EchoHostOptions.SectionName}:Endpoints:{name}")));
            }
        }

        if (endpoints.Count == 0)
        {
            throw new EchoHostConfigurationException(
                "No endpoint is configured; set EchoHost:Endpoints:<name>:Url and EchoHost:Endpoints:<name>:Protocol");
        }

        if (options.EchoPort is not null)
        {
            ApplyEchoPort(endpoints, options.EchoPort);
        }

        EnsureDistinctAddresses(endpoints);
        var framed = FramedOptions.Load(configuration);
        var limits = LimitsSettings.Load(configuration, endpoints);
        return new EchoHostSettings(transport, endpoints, framed, limits, options);
    }

    private static bool IsEnabled(string name, EndpointOptions endpoint)
    {
        if (string.IsNullOrWhiteSpace(endpoint.Enabled))
        {
            return true;
        }

        if (!bool.TryParse(endpoint.Enabled.Trim(), out var enabled))
        {
            throw new EchoHostConfigurationException(
                $"Endpoint '{name}': EchoHost:Endpoints:{name}:Enabled is '{endpoint.Enabled}'; expected true or false");
        }

        return enabled;
    }

    private static EndpointDefinition ParseEndpoint(string name, EndpointOptions endpoint, IConfigurationSection section)
    {
        var url = endpoint.Url?.Trim();
        if (string.IsNullOrEmpty(url))
        {
            throw new EchoHostConfigurationException(
                $"Endpoint '{name}': no Url; set EchoHost:Endpoints:{name}:Url to {EndpointUrl.ExpectedForms}");
        }

        if (!EndpointUrl.TryParse(url, out var scheme, out var address, out var problem))
        {
            throw new EchoHostConfigurationException($"Endpoint '{name}' ({url}): {problem}");
        }

        var protocolText = endpoint.Protocol?.Trim();
        if (string.IsNullOrEmpty(protocolText))
        {
            throw new EchoHostConfigurationException(
                $"Endpoint '{name}' ({url}): no Protocol; set EchoHost:Endpoints:{name}:Protocol to {EndpointProtocol.Expected}");
        }

        if (EndpointProtocol.Find(protocolText) is not { } protocol)
        {
            throw new EchoHostConfigurationException(
                $"Endpoint '{name}' ({url}): unknown protocol '{protocolText}'; expected {EndpointProtocol.Expected}");
        }

        if (!protocol.Schemes.Contains(scheme))
        {
            throw new EchoHostConfigurationException(
                $"Endpoint '{name}' ({url}): an {EndpointUrl.Prefix(scheme)} Url serves HTTP, but the protocol is {protocolText}; write tcp://HOST:PORT, tls://HOST:PORT or unix:/path");
        }

        var definition = new EndpointDefinition(name, url, scheme, address!, protocol);
        return definition with
        {
            Tls = TlsSettings.Load(definition.Describe(), name, scheme, section.GetSection("Tls")),
            ProxyProtocol = ProxyProtocolSettings.Load(definition.Describe(), name, address!, section),
        };
    }

    /// <summary>
    /// <c>--port N</c> sets the port of the echo endpoint and keeps its host: the endpoint named <c>echo</c>, or
    /// else the only endpoint that speaks the echo protocol.
    /// </summary>
    private static void ApplyEchoPort(List<EndpointDefinition> endpoints, string portText)
    {
        if (!int.TryParse(portText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            throw new EchoHostConfigurationException($"--port ({EchoPortKey}) is '{portText}', not a port (0 to 65535)");
        }

        var index = endpoints.FindIndex(e => string.Equals(e.Name, "echo", StringComparison.OrdinalIgnoreCase));
        if (index < 0)
        {
            var echoes = endpoints.FindAll(e => e.Protocol == EndpointProtocol.Echo);
            if (echoes.Count != 1)
            {
                throw new EchoHostConfigurationException(
                    $"--port sets the port of the echo endpoint, but no endpoint is named 'echo' and {echoes.Count} endpoints speak the echo protocol");
            }

            index = endpoints.IndexOf(echoes[0]);
        }

        var target = endpoints[index];
        EndpointAddress moved = target.Address switch
        {
            IPAddressEndpoint ip => ip with { Port = port },
            LocalhostEndpoint => new LocalhostEndpoint(port),
            _ => throw new EchoHostConfigurationException($"{target.Describe()}: --port cannot apply to a Unix domain socket"),
        };

        endpoints[index] = target with { Url = EndpointUrl.Prefix(target.Scheme) + moved, Address = moved };
    }

    /// <summary>Two endpoints on one fixed address would fail later with "address in use"; say which two instead.</summary>
    private static void EnsureDistinctAddresses(List<EndpointDefinition> endpoints)
    {
        var seen = new Dictionary<string, EndpointDefinition>(StringComparer.Ordinal);
        foreach (var endpoint in endpoints)
        {
            var key = endpoint.Address switch
            {
                IPAddressEndpoint { Port: > 0 } ip => new IPEndPoint(ip.Address, ip.Port).ToString(),
                LocalhostEndpoint { Port: > 0 } local => local.ToString(),
                UnixSocketEndpoint unix => "unix:" + unix.Path,
                _ => null,
            };

            if (key is null)
            {
                continue;
            }

            if (seen.TryGetValue(key, out var other))
            {
                throw new EchoHostConfigurationException(
                    $"{endpoint.Describe()}: endpoint '{other.Name}' listens on the same address");
            }

            seen.Add(key, endpoint);
        }
    }

    private static NativeTransportOptions ValidateNativeOptions(IConfigurationSection section)
    {
        // Checked before binding: the binder would take a number for any enum, and its message names the type, not the choices.
        var engine = section[nameof(NativeTransportOptions.Engine)];
        if (engine is not null && !(Enum.TryParse<NativeTransportEngine>(engine, ignoreCase: true, out var parsed)
            && Enum.IsDefined(parsed) && !char.IsAsciiDigit(engine.TrimStart().FirstOrDefault('0'))))
        {
            throw new EchoHostConfigurationException(
                $"{NativeSectionName}:Engine is '{engine}'; expected {string.Join(", ", Enum.GetNames<NativeTransportEngine>())}");
        }

        NativeTransportOptions native;
        try
        {
            native = section.Get<NativeTransportOptions>() ?? new NativeTransportOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw new EchoHostConfigurationException($"Invalid configuration: {ex.Message}", ex);
        }

        if (native.ThreadCount < 1)
        {
            throw new EchoHostConfigurationException($"{NativeSectionName}:ThreadCount is {native.ThreadCount}; it must be 1 or more");
        }

        if (native.Backlog < 1)
        {
            throw new EchoHostConfigurationException($"{NativeSectionName}:Backlog is {native.Backlog}; it must be 1 or more");
        }

        if (native.MaxReadBufferSize < 0)
        {
            throw new EchoHostConfigurationException($"{NativeSectionName}:MaxReadBufferSize is negative; use 0 for unlimited");
        }

        if (native.MaxWriteBufferSize < 0)
        {
            throw new EchoHostConfigurationException($"{NativeSectionName}:MaxWriteBufferSize is negative; use 0 for unlimited");
        }

        if (native.MaxTotalReadBufferSize < 0)
        {
            throw new EchoHostConfigurationException($"{NativeSectionName}:MaxTotalReadBufferSize is negative; use 0 for unlimited");
        }

        return native;
    }
}

/// <summary>The name of the native engine that runs for <paramref name="engine"/>, or why this system cannot run it.</summary>
internal delegate bool NativeEngineResolver(NativeTransportEngine engine, out string name, out string? error);
