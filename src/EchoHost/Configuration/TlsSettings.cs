using System.Globalization;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;

namespace EchoHost.Configuration;

/// <summary>
/// The TLS of one endpoint (<c>EchoHost:Endpoints:&lt;name&gt;:Tls</c>), with its certificate loaded and checked at
/// start-up. As with Kestrel's own endpoints, the Url's scheme decides: <c>tls://</c> and <c>https://</c> need this
/// section, and the section on any other Url is a mistake rather than a quiet way to turn TLS on.
/// </summary>
internal sealed record TlsSettings(
    X509Certificate2 Certificate,
    X509Certificate2Collection? Chain,
    SslProtocols Protocols,
    TimeSpan HandshakeTimeout,
    ClientCertificateMode ClientCertificateMode,
    X509Certificate2Collection? ClientCertificateAuthorities)
{
    /// <summary>Kestrel's default: a client that has not finished its handshake by then is dropped.</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    private static readonly string[] Keys =
        ["CertificatePath", "KeyPath", "Password", "Store", "Location", "Subject", "SslProtocols", "HandshakeTimeout", "ClientCertificateMode", "ClientCertificateAuthorityPath"];

    /// <summary>
    /// Reads the Tls section of the endpoint <paramref name="subject"/> describes; null when its Url has no TLS.
    /// Throws <see cref="EchoHostConfigurationException"/>, prefixed with <paramref name="subject"/>, on the first problem.
    /// </summary>
    public static TlsSettings? Load(string subject, string name, UrlScheme scheme, IConfigurationSection section)
    {
        var key = $"EchoHost:Endpoints:{name}:Tls";
        var wanted = scheme is UrlScheme.Tls or UrlScheme.Https;
        if (!wanted)
        {
            if (section.Exists())
            {
                throw new EchoHostConfigurationException(
                    $"{subject}: {key} is set but the Url has no TLS; write tls://HOST:PORT (or https://HOST:PORT for http), or remove the section");
            }

            return null;
        }

        if (!section.Exists())
        {
            throw new EchoHostConfigurationException(
                $"{subject}: a {EndpointUrl.Prefix(scheme)} Url needs a certificate; set {key}:CertificatePath (PEM or PKCS#12) or {key}:Subject (certificate store)");
        }

        foreach (var child in section.GetChildren())
        {
            if (!Keys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new EchoHostConfigurationException($"{subject}: unknown key {key}:{child.Key}; expected one of {string.Join(", ", Keys)}");
            }
        }

        var certificate = LoadCertificate(subject, key, section, out var chain);
        CertificateLoader.Check(subject, certificate, DateTime.Now);
        var clientMode = ParseClientCertificateMode(subject, key, section["ClientCertificateMode"]);
        X509Certificate2Collection? clientAuthorities = null;
        if (Value(section, "ClientCertificateAuthorityPath") is { } authorityPath)
        {
            if (clientMode == ClientCertificateMode.NoCertificate)
            {
                throw new EchoHostConfigurationException(
                    $"{subject}: {key}:ClientCertificateAuthorityPath is set but no client certificate is asked for; set {key}:ClientCertificateMode to AllowCertificate or RequireCertificate");
            }

            clientAuthorities = CertificateLoader.LoadAuthorities(subject, $"{key}:ClientCertificateAuthorityPath", authorityPath);
        }

        return new TlsSettings(
            certificate,
            chain,
            ParseProtocols(subject, key, section.GetSection("SslProtocols")),
            ParseHandshakeTimeout(subject, key, section["HandshakeTimeout"]),
            clientMode,
            clientAuthorities);
    }

    private static X509Certificate2 LoadCertificate(string subject, string key, IConfigurationSection section, out X509Certificate2Collection? chain)
    {
        var path = Value(section, "CertificatePath");
        var keyPath = Value(section, "KeyPath");
        var storeSubject = Value(section, "Subject");
        chain = null;
        if (path is not null)
        {
            if (storeSubject is not null || Value(section, "Store") is not null || Value(section, "Location") is not null)
            {
                throw new EchoHostConfigurationException(
                    $"{subject}: {key}:CertificatePath and {key}:Subject (Store, Location) are two sources of a certificate; set one");
            }

            return CertificateLoader.LoadFiles(subject, key, path, keyPath, section["Password"], out chain);
        }

        if (keyPath is not null)
        {
            throw new EchoHostConfigurationException($"{subject}: {key}:KeyPath is set without {key}:CertificatePath");
        }

        if (storeSubject is null)
        {
            throw new EchoHostConfigurationException(
                $"{subject}: {key} names no certificate; set {key}:CertificatePath (PEM or PKCS#12) or {key}:Subject (certificate store)");
        }

        var locationText = Value(section, "Location") ?? nameof(StoreLocation.CurrentUser);
        if (!Enum.TryParse<StoreLocation>(locationText, ignoreCase: true, out var location) || !Enum.IsDefined(location))
        {
            throw new EchoHostConfigurationException($"{subject}: {key}:Location is '{locationText}'; expected CurrentUser or LocalMachine");
        }

        return CertificateLoader.LoadFromStore(subject, storeSubject, Value(section, "Store") ?? "My", location);
    }

    private static string? Value(IConfigurationSection section, string name) =>
        string.IsNullOrWhiteSpace(section[name]) ? null : section[name]!.Trim();

    /// <summary>
    /// Kestrel's form, a list (<c>SslProtocols:0=Tls12</c>), or one value with commas (<c>Tls12,Tls13</c>), which is
    /// easier on a command line. None given lets the operating system choose, which is what Kestrel does too.
    /// </summary>
    private static SslProtocols ParseProtocols(string subject, string key, IConfigurationSection section)
    {
        var names = section.Value is { } value
            ? value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : section.GetChildren().Select(c => c.Value?.Trim()).Where(v => !string.IsNullOrEmpty(v)).ToArray();
        var protocols = SslProtocols.None;
        foreach (var name in names)
        {
            protocols |= name!.ToUpperInvariant() switch
            {
                "TLS12" => SslProtocols.Tls12,
                "TLS13" => SslProtocols.Tls13,
                _ => throw new EchoHostConfigurationException(
                    $"{subject}: {key}:SslProtocols has '{name}'; expected Tls12 and/or Tls13 (older protocols are not offered)"),
            };
        }

        return protocols;
    }

    private static TimeSpan ParseHandshakeTimeout(string subject, string key, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return DefaultHandshakeTimeout;
        }

        if (!TimeSpan.TryParse(text.Trim(), CultureInfo.InvariantCulture, out var timeout) || timeout <= TimeSpan.Zero || timeout.TotalMilliseconds >= int.MaxValue)
        {
            throw new EchoHostConfigurationException(
                $"{subject}: {key}:HandshakeTimeout is '{text}'; it must be a positive time below 24 days, e.g. 00:00:10");
        }

        return timeout;
    }

    private static ClientCertificateMode ParseClientCertificateMode(string subject, string key, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return ClientCertificateMode.NoCertificate;
        }

        // Enum.TryParse would take numbers too; only the names count.
        foreach (var mode in (ReadOnlySpan<ClientCertificateMode>)[ClientCertificateMode.NoCertificate, ClientCertificateMode.AllowCertificate, ClientCertificateMode.RequireCertificate])
        {
            if (string.Equals(text.Trim(), mode.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                return mode;
            }
        }

        throw new EchoHostConfigurationException(
            $"{subject}: {key}:ClientCertificateMode is '{text}'; expected NoCertificate, AllowCertificate or RequireCertificate");
    }
}
