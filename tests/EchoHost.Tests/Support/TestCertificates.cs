using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EchoHost.Tests.Support;

/// <summary>
/// Certificates made by <c>openssl</c> in a temporary folder, once per test run: a CA, a server certificate that it
/// signed for localhost, 127.0.0.1 and ::1 (PEM with a plain and an encrypted key, one PEM with both, PKCS#12), a key
/// that is not the certificate's, a second CA that signed nothing the server has, and client certificates signed by
/// each CA.
/// </summary>
internal sealed class TestCertificates
{
    public const string Password = "s3cret pass";

    private static readonly Lazy<TestCertificates> SharedInstance = new(() => new TestCertificates());

    private TestCertificates()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("echohost-tls-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => System.IO.Directory.Delete(Directory, recursive: true);

        OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "3",
            "-subj", "/CN=EchoHost Test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca.key", "-out", "other-ca.pem", "-days", "3",
            "-subj", "/CN=Another CA", "-addext", "basicConstraints=critical,CA:TRUE");
        OpenSsl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
        File.WriteAllText(Path.Combine(Directory, "server.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
        OpenSsl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
            "-days", "2", "-extfile", "server.ext");
        OpenSsl("pkcs8", "-topk8", "-in", "server.key", "-out", "server-encrypted.key", "-passout", "pass:" + Password);
        OpenSsl("pkcs12", "-export", "-in", "server.pem", "-inkey", "server.key", "-certfile", "ca.pem", "-out", "server.pfx", "-passout", "pass:" + Password);
        OpenSsl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "other.key");
        File.WriteAllText(Path.Combine(Directory, "server-and-key.pem"), File.ReadAllText(ServerPem) + File.ReadAllText(ServerKey));

        // Client certificates: one the CA signed, one that the other CA signed.
        File.WriteAllText(Path.Combine(Directory, "client.ext"), "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n");
        foreach (var (name, ca) in (ReadOnlySpan<(string, string)>)[("client", "ca"), ("stranger", "other-ca")])
        {
            OpenSsl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", $"{name}.key", "-out", $"{name}.csr", "-subj", $"/CN=echohost-test-{name}");
            OpenSsl("x509", "-req", "-in", $"{name}.csr", "-CA", $"{ca}.pem", "-CAkey", $"{ca}.key", "-CAcreateserial", "-out", $"{name}.pem",
                "-days", "2", "-extfile", "client.ext");
        }
    }

    public static TestCertificates Shared => SharedInstance.Value;

    public string Directory { get; }

    public string CaPem => Path.Combine(Directory, "ca.pem");

    public string OtherCaPem => Path.Combine(Directory, "other-ca.pem");

    public string ServerPem => Path.Combine(Directory, "server.pem");

    public string ServerKey => Path.Combine(Directory, "server.key");

    public string ServerEncryptedKey => Path.Combine(Directory, "server-encrypted.key");

    public string ServerAndKeyPem => Path.Combine(Directory, "server-and-key.pem");

    public string ServerPfx => Path.Combine(Directory, "server.pfx");

    public string OtherKey => Path.Combine(Directory, "other.key");

    /// <summary>A client certificate (clientAuth) that the CA signed, and its key.</summary>
    public (string Certificate, string Key) Client => (Path.Combine(Directory, "client.pem"), Path.Combine(Directory, "client.key"));

    /// <summary>A client certificate that the other CA signed, and its key.</summary>
    public (string Certificate, string Key) Stranger => (Path.Combine(Directory, "stranger.pem"), Path.Combine(Directory, "stranger.key"));

    /// <summary>The CA, to trust in clients.</summary>
    public X509Certificate2Collection Authorities()
    {
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(CaPem);
        return authorities;
    }

    /// <summary>
    /// A certificate and key that expired yesterday, as PEM files. openssl 3.0 cannot back-date a certificate, so .NET
    /// makes this one.
    /// </summary>
    public (string Certificate, string Key) Expired()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=expired", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-3), DateTimeOffset.UtcNow.AddDays(-1));
        var certificatePath = Path.Combine(Directory, "expired.pem");
        var keyPath = Path.Combine(Directory, "expired.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    private void OpenSsl(params string[] args)
    {
        var startInfo = new ProcessStartInfo("openssl") { WorkingDirectory = Directory, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = Process.Start(startInfo)!;
        var error = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl {string.Join(' ', args)} failed ({process.ExitCode}): {error.Result}");
        }
    }
}
