namespace EchoHost.Configuration;

/// <summary>The <c>EchoHost</c> configuration section, as bound; <see cref="EchoHostSettings"/> validates it.</summary>
internal sealed class EchoHostOptions
{
    public const string SectionName = "EchoHost";

    /// <summary><c>Native</c>, <c>Sockets</c> or <c>Auto</c>.</summary>
    public string? Transport { get; set; }

    /// <summary>
    /// Port of the echo endpoint, replacing the port of its Url. Set by the <c>--port</c> switch; a string so that a
    /// bad value gets our message rather than the binder's.
    /// </summary>
    public string? EchoPort { get; set; }

    /// <summary>
    /// How long a stopping service (SIGTERM, Ctrl-C) waits for its connections to finish what they read before it
    /// aborts those left.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>One common-log-format line per message, under the log category <c>EchoHost.AccessLog</c>.</summary>
    public bool AccessLog { get; set; }

    /// <summary>Endpoints by name. Configuration keys are case-insensitive, and so are the names.</summary>
    public Dictionary<string, EndpointOptions> Endpoints { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One entry of <c>EchoHost:Endpoints</c>.</summary>
internal sealed class EndpointOptions
{
    /// <summary>
    /// <c>tcp://HOST:PORT</c>, <c>http://HOST:PORT</c> or <c>unix:/path</c>, or with TLS <c>tls://HOST:PORT</c> and
    /// <c>https://HOST:PORT</c>, whose certificate the endpoint's <c>Tls</c> section names (read by <see cref="TlsSettings"/>).
    /// </summary>
    public string? Url { get; set; }

    /// <summary><c>echo</c>, <c>framed</c> or <c>http</c>.</summary>
    public string? Protocol { get; set; }

    /// <summary>
    /// <c>false</c> turns off an endpoint that a lower configuration layer (appsettings.json) defines. A string,
    /// because the binder would quietly ignore a value that is not a boolean.
    /// </summary>
    public string? Enabled { get; set; }
}
