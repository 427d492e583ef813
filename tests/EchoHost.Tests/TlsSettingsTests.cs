using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using EchoHost.Configuration;
using EchoHost.Tests.Support;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using static EchoHost.Tests.ConfigurationBuilding;

namespace EchoHost.Tests;

/// <summary>The Tls section of an endpoint: where the certificate comes from, what is checked at start-up, and the messages.</summary>
public class TlsSettingsTests
{
    private static readonly TestCertificates Certificates = TestCertificates.Shared;

    private static Dictionary<string, string?> TlsEcho(params (string Key, string Value)[] tls)
    {
        var values = new Dictionary<string, string?>
        {
            ["EchoHost:Endpoints:echo:Url"] = "tls://127.0.0.1:1514",
            ["EchoHost:Endpoints:echo:Protocol"] = "echo",
        };
        foreach (var (key, value) in tls)
        {
            values[$"EchoHost:Endpoints:echo:Tls:{key}"] = value;
        }

        return values;
    }

    private static TlsSettings Tls(params (string, string)[] tls) => Load(TlsEcho(tls)).Endpoints.Single().Tls!;

    [Fact]
    public void Pem_certificate_and_key_files()
    {
        var tls = Tls(("CertificatePath", Certificates.ServerPem), ("KeyPath", Certificates.ServerKey));

        Assert.Equal("CN=localhost", tls.Certificate.Subject);
        Assert.True(tls.Certificate.HasPrivateKey);
        Assert.Null(tls.Chain);
        Assert.Equal(SslProtocols.None, tls.Protocols);
        Assert.Equal(TimeSpan.FromSeconds(10), tls.HandshakeTimeout);
        Assert.Equal(ClientCertificateMode.NoCertificate, tls.ClientCertificateMode);
    }

    [Fact]
    public void Encrypted_pem_key_with_its_password_and_a_pem_that_holds_both()
    {
        Assert.True(Tls(("CertificatePath", Certificates.ServerPem), ("KeyPath", Certificates.ServerEncryptedKey), ("Password", TestCertificates.Password)).Certificate.HasPrivateKey);
        Assert.True(Tls(("CertificatePath", Certificates.ServerAndKeyPem)).Certificate.HasPrivateKey);
    }

    [Fact]
    public void Pkcs12_with_its_password_keeps_the_ca_as_the_chain()
    {
        var tls = Tls(("CertificatePath", Certificates.ServerPfx), ("Password", TestCertificates.Password));

        Assert.Equal("CN=localhost", tls.Certificate.Subject);
        Assert.True(tls.Certificate.HasPrivateKey);
        Assert.Equal("CN=EchoHost Test CA", Assert.Single(tls.Chain!).Subject);
    }

    [Fact]
    public void Options_in_both_list_forms()
    {
        var tls = Tls(("CertificatePath", Certificates.ServerAndKeyPem), ("SslProtocols", "Tls12, tls13"), ("HandshakeTimeout", "00:00:03"), ("ClientCertificateMode", "requirecertificate"));
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, tls.Protocols);
        Assert.Equal(TimeSpan.FromSeconds(3), tls.HandshakeTimeout);
        Assert.Equal(ClientCertificateMode.RequireCertificate, tls.ClientCertificateMode);

        Assert.Equal(SslProtocols.Tls13, Tls(("CertificatePath", Certificates.ServerAndKeyPem), ("SslProtocols:0", "Tls13")).Protocols);
    }

    [Fact]
    public void Port_switch_keeps_the_tls_scheme()
    {
        var settings = Load(TlsEcho(("CertificatePath", Certificates.ServerAndKeyPem)), "--port", "7000");

        Assert.Equal("tls://127.0.0.1:7000", settings.Endpoints.Single().Url);
        Assert.NotNull(settings.Endpoints.Single().Tls);
    }

    [Fact]
    public void Https_url_on_the_http_protocol()
    {
        var settings = Load(new Dictionary<string, string?>
        {
            ["EchoHost:Endpoints:http:Url"] = "https://0.0.0.0:9465/",
            ["EchoHost:Endpoints:http:Protocol"] = "http",
            ["EchoHost:Endpoints:http:Tls:CertificatePath"] = Certificates.ServerAndKeyPem,
        });

        Assert.Equal(UrlScheme.Https, settings.Endpoints.Single().Scheme);
    }

    [Fact]
    public void Certificate_from_the_current_users_store_by_subject()
    {
        using var pfx = X509CertificateLoader.LoadPkcs12FromFile(Certificates.ServerPfx, TestCertificates.Password, X509KeyStorageFlags.Exportable);
        using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadWrite);
        store.Add(pfx);
        try
        {
            var tls = Tls(("Subject", "localhost"), ("Store", "My"), ("Location", "CurrentUser"));
            Assert.Equal(pfx.Thumbprint, tls.Certificate.Thumbprint);
            Assert.True(tls.Certificate.HasPrivateKey);

            Assert.Contains("no certificate for subject 'nobody.example' with a private key", LoadError(TlsEcho(("Subject", "nobody.example"))), StringComparison.Ordinal);
        }
        finally
        {
            store.Remove(pfx);
        }
    }

    [Fact]
    public void Start_up_errors_name_the_endpoint_and_say_what_is_wrong()
    {
        var missing = Path.Combine(Certificates.Directory, "missing.pem");
        var (expiredPem, expiredKey) = Certificates.Expired();
        var prefix = "Endpoint 'echo' (tls://127.0.0.1:1514): ";
        var cases = new (Dictionary<string, string?> Values, string Expected)[]
        {
            (TlsEcho(("CertificatePath", missing)), $"Tls:CertificatePath '{missing}' cannot be read: no such file"),
            (TlsEcho(("CertificatePath", Certificates.ServerPem), ("KeyPath", missing)), $"Tls:KeyPath '{missing}' cannot be read: no such file"),
            (TlsEcho(("CertificatePath", Certificates.ServerPfx), ("Password", "wrong")), $"EchoHost:Endpoints:echo:Tls:CertificatePath '{Certificates.ServerPfx}' cannot be read as PKCS#12 with EchoHost:Endpoints:echo:Tls:Password"),
            (TlsEcho(("CertificatePath", Certificates.ServerPem), ("KeyPath", Certificates.ServerEncryptedKey), ("Password", "wrong")), "cannot be decrypted with EchoHost:Endpoints:echo:Tls:Password"),
            (TlsEcho(("CertificatePath", Certificates.ServerPem), ("KeyPath", Certificates.ServerEncryptedKey)), "holds no usable private key: the key is encrypted; set EchoHost:Endpoints:echo:Tls:Password"),
            (TlsEcho(("CertificatePath", Certificates.ServerPem), ("KeyPath", Certificates.OtherKey)), $"the private key in EchoHost:Endpoints:echo:Tls:KeyPath '{Certificates.OtherKey}' does not match the certificate CN=localhost"),
            (TlsEcho(("CertificatePath", Certificates.ServerPem)), $"EchoHost:Endpoints:echo:Tls:CertificatePath '{Certificates.ServerPem}' holds no usable private key: there is no PRIVATE KEY; set EchoHost:Endpoints:echo:Tls:KeyPath to the key's file"),
            (TlsEcho(("CertificatePath", Certificates.CaPem), ("KeyPath", Certificates.ServerKey)), "does not match the certificate CN=EchoHost Test CA"),
            (TlsEcho(("CertificatePath", expiredPem), ("KeyPath", expiredKey)), "the certificate CN=expired ("),
            (TlsEcho(), "a tls:// Url needs a certificate; set EchoHost:Endpoints:echo:Tls:CertificatePath (PEM or PKCS#12) or EchoHost:Endpoints:echo:Tls:Subject (certificate store)"),
            (TlsEcho(("Password", "x")), "EchoHost:Endpoints:echo:Tls names no certificate"),
            (TlsEcho(("CertificatePath", Certificates.ServerPfx), ("Subject", "localhost")), "are two sources of a certificate; set one"),
            (TlsEcho(("CertificatPath", Certificates.ServerPem)), "unknown key EchoHost:Endpoints:echo:Tls:CertificatPath"),
            (TlsEcho(("CertificatePath", Certificates.ServerAndKeyPem), ("SslProtocols", "Tls11")), "SslProtocols has 'Tls11'; expected Tls12 and/or Tls13"),
            (TlsEcho(("CertificatePath", Certificates.ServerAndKeyPem), ("HandshakeTimeout", "0")), "HandshakeTimeout is '0'; it must be a positive time"),
            (TlsEcho(("CertificatePath", Certificates.ServerAndKeyPem), ("ClientCertificateMode", "1")), "ClientCertificateMode is '1'; expected NoCertificate, AllowCertificate or RequireCertificate"),
            (TlsEcho(("Subject", "localhost"), ("Location", "Moon")), "Location is 'Moon'; expected CurrentUser or LocalMachine"),
            (TlsEcho(("CertificatePath", Certificates.ServerAndKeyPem), ("ClientCertificateAuthorityPath", Certificates.CaPem)), "ClientCertificateAuthorityPath is set but no client certificate is asked for"),
            (TlsEcho(("CertificatePath", Certificates.ServerAndKeyPem), ("ClientCertificateMode", "AllowCertificate"), ("ClientCertificateAuthorityPath", Certificates.ServerKey)), $"ClientCertificateAuthorityPath '{Certificates.ServerKey}' holds no PEM CERTIFICATE"),
        };

        foreach (var (values, expected) in cases)
        {
            var message = LoadError(values);
            Assert.StartsWith(prefix, message, StringComparison.Ordinal);
            Assert.Contains(expected, message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', message);
        }

        Assert.Contains("expired on", LoadError(TlsEcho(("CertificatePath", expiredPem), ("KeyPath", expiredKey))), StringComparison.Ordinal);
    }

    [Fact]
    public void The_scheme_decides_whether_an_endpoint_has_tls()
    {
        var plain = TlsEcho(("CertificatePath", Certificates.ServerAndKeyPem));
        plain["EchoHost:Endpoints:echo:Url"] = "tcp://127.0.0.1:1514";
        Assert.Equal(
            "Endpoint 'echo' (tcp://127.0.0.1:1514): EchoHost:Endpoints:echo:Tls is set but the Url has no TLS; write tls://HOST:PORT (or https://HOST:PORT for http), or remove the section",
            LoadError(plain));

        var httpsEcho = TlsEcho(("CertificatePath", Certificates.ServerAndKeyPem));
        httpsEcho["EchoHost:Endpoints:echo:Url"] = "https://127.0.0.1:1514";
        Assert.Contains("an https:// Url serves HTTP, but the protocol is echo", LoadError(httpsEcho), StringComparison.Ordinal);

        Assert.Null(Load(Defaults()).Endpoints[0].Tls);
    }
}
