using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace EchoHost.Client;

/// <summary>
/// TLS for a <see cref="FramedClient"/> (<see cref="FramedClientOptions.Tls"/>): each connection runs an
/// <see cref="SslStream"/> over its socket. By default the server's certificate must chain to a root the operating
/// system trusts and name the host connected to.
/// </summary>
public sealed class FramedTlsOptions
{
    /// <summary>
    /// The server's name, sent in SNI and checked against its certificate. Default: the host connected to (the
    /// <see cref="System.Net.DnsEndPoint"/>'s host or the IP address), and <c>localhost</c> for a Unix domain socket.
    /// </summary>
    public string? TargetHost { get; set; }

    /// <summary>
    /// Certificate authorities to trust instead of the operating system's roots, e.g. the CA of a self-signed
    /// deployment: the server's certificate must chain to one of them. Default none: the system's roots.
    /// </summary>
    public X509Certificate2Collection? TrustedCertificateAuthorities { get; set; }

    /// <summary>
    /// Decides alone whether the server's certificate is accepted, in place of the checks above (it receives their
    /// verdict as <see cref="SslPolicyErrors"/>). A callback that accepts everything turns authentication off.
    /// </summary>
    public RemoteCertificateValidationCallback? RemoteCertificateValidation { get; set; }

    /// <summary>A certificate, with its private key, for servers that ask the client for one. Default none.</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>The TLS versions offered. Default <see cref="SslProtocols.None"/>: the operating system chooses.</summary>
    public SslProtocols EnabledProtocols { get; set; }

    internal FramedTlsOptions Copy() => (FramedTlsOptions)MemberwiseClone();
}
