using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EchoHost.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace EchoHost.Serving;

/// <summary>
/// TLS on an endpoint: Kestrel's HTTPS connection middleware, which serves any connection handler and not HTTP alone,
/// after the endpoint's limits, which also notice a handshake that did not complete. Kestrel drops such a connection
/// quietly (its own Debug line aside); this counts it and logs it in the connection category.
/// </summary>
internal static class EndpointTls
{
    private const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>Adds TLS to <paramref name="listenOptions"/> when <paramref name="endpoint"/> has it; does nothing otherwise.</summary>
    public static void Use(ListenOptions listenOptions, EndpointDefinition endpoint, ConnectionTracker tracker)
    {
        if (endpoint.Tls is not { } tls)
        {
            return;
        }

        var options = new HttpsConnectionAdapterOptions
        {
            ServerCertificate = tls.Certificate,
            ServerCertificateChain = tls.Chain,
            SslProtocols = tls.Protocols,
            HandshakeTimeout = tls.HandshakeTimeout,
            ClientCertificateMode = tls.ClientCertificateMode,
        };

        // Kestrel offers ALPN for HTTP/1.1 and HTTP/2 on every TLS endpoint; echo and framed are neither.
        var noAlpn = !endpoint.Protocol.OffersAlpn;
        var clientPolicy = ClientCertificatePolicy(tls);
        if (noAlpn || clientPolicy is not null)
        {
            options.OnAuthenticate = (_, authentication) =>
            {
                if (noAlpn)
                {
                    authentication.ApplicationProtocols = null;
                }

                if (clientPolicy is not null)
                {
                    // Kestrel then accepts a client certificate when this chain verifies, as with the system's roots.
                    authentication.CertificateChainPolicy = clientPolicy.Clone();
                }
            };
        }

        // The limits first: a client refused by them costs no handshake; one that fails it is counted there too.
        listenOptions.Use(next => connection => tracker.AdmitBeforeHandshakeAsync(connection, next));
        listenOptions.UseHttps(options);
    }

    /// <summary>Client certificates must chain to these CAs alone, and allow client authentication.</summary>
    private static X509ChainPolicy? ClientCertificatePolicy(TlsSettings tls)
    {
        if (tls.ClientCertificateAuthorities is not { } authorities)
        {
            return null;
        }

        // A private CA publishes no revocation list that could be fetched.
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(authorities);
        policy.ApplicationPolicy.Add(new Oid(ClientAuthenticationOid));
        return policy;
    }
}
