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

    /// <summary>
    /// A PEM file of certificate authorities to trust, added to <see cref="TrustedCertificateAuthorities"/> when the
    /// client is created: the form of that setting for configuration files. Default none.
    /// </summary>
    public string? CertificateAuthorityPath { get; set; }

    /// <summary>A PEM certificate file for <see cref="ClientCertificate"/>, read when the client is created. Default none.</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>The PEM private key of <see cref="ClientCertificatePath"/>. Default: the certificate file itself.</summary>
    public string? ClientKeyPath { get; set; }

    /// <summary>A copy with the files named by the paths read, so that a missing or unreadable file fails the client's creation.</summary>
    internal FramedTlsOptions Validated()
    {
        var copy = (FramedTlsOptions)MemberwiseClone();
        try
        {
            if (CertificateAuthorityPath is { Length: > 0 } authorities)
            {
                copy.TrustedCertificateAuthorities = [.. TrustedCertificateAuthorities ?? []];
                copy.TrustedCertificateAuthorities.ImportFromPemFile(authorities);
            }

            if (ClientCertificatePath is { Length: > 0 } certificate)
            {
                copy.ClientCertificate = X509Certificate2.CreateFromPemFile(certificate, ClientKeyPath);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ArgumentException($"Tls: a certificate file cannot be read: {ex.Message}", nameof(CertificateAuthorityPath), ex);
        }

        return copy;
    }
}
