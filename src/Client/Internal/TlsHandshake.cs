using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace EchoHost.Client.Internal;

/// <summary>
/// The client's side of a TLS handshake over a connected stream. A certificate that is refused fails the handshake
/// with a <see cref="FramedUnavailableException"/> that says which certificate and why, rather than SslStream's
/// "the remote certificate is invalid".
/// </summary>
internal static class TlsHandshake
{
    public static async Task<SslStream> AuthenticateAsync(Stream inner, EndPoint endPoint, FramedTlsOptions tls, CancellationToken cancellationToken)
    {
        var targetHost = tls.TargetHost ?? endPoint switch
        {
            DnsEndPoint dns => dns.Host,
            IPEndPoint ip => ip.Address.ToString(),
            _ => "localhost", // a Unix domain socket has no host name
        };

        string? rejection = null;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = tls.EnabledProtocols,
            ClientCertificates = tls.ClientCertificate is null ? null : [tls.ClientCertificate],
            RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
            {
                var accepted = tls.RemoteCertificateValidation is { } custom ? custom(sender, certificate, chain, errors) : errors == SslPolicyErrors.None;
                if (!accepted)
                {
                    rejection = $"the server's certificate {certificate?.Subject ?? "(none)"} is not trusted: " +
                        (tls.RemoteCertificateValidation is null ? Describe(errors, chain, targetHost) : "the validation callback refused it");
                }

                return accepted;
            },
        };

        if (tls.TrustedCertificateAuthorities is { Count: > 0 } authorities)
        {
            // Only these roots; a private CA publishes no revocation list that could be fetched.
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(authorities);
            options.CertificateChainPolicy = policy;
        }

        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new FramedUnavailableException(FramedUnavailableReason.Unreachable, $"The TLS handshake with {EndPointText.Describe(endPoint)} failed: {rejection ?? ex.Message}", ex);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static string Describe(SslPolicyErrors errors, X509Chain? chain, string targetHost)
    {
        var reasons = new List<string>(3);
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            reasons.Add("the server sent no certificate");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            reasons.Add($"it is not for '{targetHost}' (set TargetHost to a name it has)");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var status = chain is null ? [] : chain.ChainStatus.Select(s => s.Status.ToString()).Distinct().ToArray();
            reasons.Add($"its chain does not lead to a trusted root ({(status.Length == 0 ? "chain errors" : string.Join(", ", status))})");
        }

        return string.Join("; ", reasons);
    }
}
