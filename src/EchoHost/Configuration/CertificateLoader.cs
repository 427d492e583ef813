using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EchoHost.Configuration;

/// <summary>
/// Loads an endpoint's certificate from PEM or PKCS#12 files or from a certificate store, and checks that it can
/// serve: each failure is one line that names the file or the store and says what is wrong with it. Kestrel would
/// only find out on the first handshake, or at bind with an exception that names neither endpoint nor key.
/// </summary>
internal static class CertificateLoader
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";
    private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>
    /// <paramref name="path"/> in PEM (its first certificate is the server's, the others its chain; the key from
    /// <paramref name="keyPath"/> or else the same file, encrypted when <paramref name="password"/> is given), or
    /// PKCS#12 protected by <paramref name="password"/>.
    /// </summary>
    public static X509Certificate2 LoadFiles(string subject, string key, string path, string? keyPath, string? password, out X509Certificate2Collection? chain)
    {
        var bytes = Read(subject, $"{key}:CertificatePath", path);
        chain = null;
        if (!IsPem(bytes))
        {
            if (keyPath is not null)
            {
                throw new EchoHostConfigurationException(
                    $"{subject}: {key}:CertificatePath '{path}' is not PEM, so it is read as PKCS#12, which holds its own key; remove {key}:KeyPath");
            }

            X509Certificate2Collection pkcs12;
            try
            {
                pkcs12 = X509CertificateLoader.LoadPkcs12Collection(bytes, password);
            }
            catch (CryptographicException ex)
            {
                throw new EchoHostConfigurationException(
                    $"{subject}: {key}:CertificatePath '{path}' cannot be read as PKCS#12 with {(password is null ? "no password" : $"{key}:Password")}: {OneLine(ex)}", ex);
            }

            // The server's certificate is the one with the key; the others are its chain.
            var leaf = pkcs12.FirstOrDefault(c => c.HasPrivateKey) ?? pkcs12.FirstOrDefault()
                ?? throw new EchoHostConfigurationException($"{subject}: {key}:CertificatePath '{path}' holds no certificate");
            pkcs12.Remove(leaf);
            chain = pkcs12.Count > 0 ? pkcs12 : null;
            return leaf;
        }

        var text = System.Text.Encoding.ASCII.GetString(bytes);
        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPem(text);
        }
        catch (CryptographicException ex)
        {
            throw new EchoHostConfigurationException($"{subject}: {key}:CertificatePath '{path}' holds a malformed certificate: {OneLine(ex)}", ex);
        }

        if (all.Count == 0)
        {
            throw new EchoHostConfigurationException($"{subject}: {key}:CertificatePath '{path}' holds no CERTIFICATE");
        }

        var keyName = keyPath is null ? $"{key}:CertificatePath '{path}'" : $"{key}:KeyPath '{keyPath}'";
        var keyText = keyPath is null ? text : System.Text.Encoding.ASCII.GetString(Read(subject, $"{key}:KeyPath", keyPath));
        var certificate = WithKey(subject, key, all[0], keyName, keyText, password);
        if (all.Count > 1)
        {
            all.RemoveAt(0);
            chain = all;
        }

        return certificate;
    }

    /// <summary>The CA certificates of a PEM file, e.g. those that client certificates must chain to.</summary>
    public static X509Certificate2Collection LoadAuthorities(string subject, string key, string path)
    {
        var bytes = Read(subject, key, path);
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPem(System.Text.Encoding.ASCII.GetString(bytes));
        }
        catch (CryptographicException ex)
        {
            throw new EchoHostConfigurationException($"{subject}: {key} '{path}' holds a malformed certificate: {OneLine(ex)}", ex);
        }

        return authorities.Count > 0
            ? authorities
            : throw new EchoHostConfigurationException($"{subject}: {key} '{path}' holds no PEM CERTIFICATE");
    }

    /// <summary>
    /// The certificate of the store whose subject name contains <paramref name="name"/> and that can serve (a private
    /// key, server authentication allowed, valid now), the one that expires last when several can: as Kestrel chooses.
    /// </summary>
    public static X509Certificate2 LoadFromStore(string subject, string name, string storeName, StoreLocation location)
    {
        var where = $"in the certificate store {storeName} ({location})";
        X509Certificate2Collection found;
        try
        {
            using var store = new X509Store(storeName, location);
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
            found = store.Certificates.Find(X509FindType.FindBySubjectName, name, validOnly: false);
        }
        catch (CryptographicException ex)
        {
            throw new EchoHostConfigurationException($"{subject}: cannot open the certificate store {storeName} ({location}): {OneLine(ex)}", ex);
        }

        var now = DateTime.Now;
        var best = found
            .Where(c => c.HasPrivateKey && AllowsServerAuthentication(c) && c.NotBefore <= now && now <= c.NotAfter)
            .MaxBy(c => c.NotAfter);
        foreach (var other in found)
        {
            if (!ReferenceEquals(other, best))
            {
                other.Dispose();
            }
        }

        return best ?? throw new EchoHostConfigurationException(
            $"{subject}: no certificate for subject '{name}' with a private key, valid now and allowed for server authentication, {where} ({found.Count} match the subject)");
    }

    /// <summary>
    /// Whether the certificate can serve. An expired (or not yet valid) one stops start-up rather than raising a
    /// warning: every client that checks certificates would fail its handshake, while the service looked healthy.
    /// </summary>
    public static void Check(string subject, X509Certificate2 certificate, DateTime now)
    {
        var who = $"the certificate {certificate.Subject} ({certificate.Thumbprint})";
        if (!certificate.HasPrivateKey)
        {
            throw new EchoHostConfigurationException($"{subject}: {who} has no private key");
        }

        if (now > certificate.NotAfter)
        {
            throw new EchoHostConfigurationException($"{subject}: {who} expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z");
        }

        if (now < certificate.NotBefore)
        {
            throw new EchoHostConfigurationException($"{subject}: {who} is not valid before {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z");
        }

        if (!AllowsServerAuthentication(certificate))
        {
            throw new EchoHostConfigurationException($"{subject}: {who} has an Extended Key Usage without server authentication ({ServerAuthenticationOid})");
        }
    }

    private static X509Certificate2 WithKey(string subject, string key, X509Certificate2 certificate, string keyName, string keyText, string? password)
    {
        using AsymmetricAlgorithm privateKey = certificate.GetKeyAlgorithm() switch
        {
            RsaOid => RSA.Create(),
            EcOid => ECDsa.Create(),
            var other => throw new EchoHostConfigurationException(
                $"{subject}: the certificate {certificate.Subject} has a key of algorithm {other}; RSA and ECDSA are supported"),
        };

        try
        {
            if (password is null)
            {
                privateKey.ImportFromPem(keyText);
            }
            else
            {
                privateKey.ImportFromEncryptedPem(keyText, password);
            }
        }
        catch (ArgumentException ex)
        {
            // .NET's own message here is about PEM parsing in general; what the operator needs is what to set.
            var reason = keyText.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal)
                ? password is null ? $"the key is encrypted; set {key}:Password" : "the key is not in a form .NET reads (PKCS#8)"
                : keyText.Contains("PRIVATE KEY-----", StringComparison.Ordinal)
                    ? password is null ? $"the key is not a {certificate.PublicKey.Oid.FriendlyName} key" : $"the key is not encrypted; remove {key}:Password"
                    : $"there is no PRIVATE KEY{(keyName.Contains(":KeyPath", StringComparison.Ordinal) ? string.Empty : $"; set {key}:KeyPath to the key's file")}";
            throw new EchoHostConfigurationException($"{subject}: {keyName} holds no usable private key: {reason}", ex);
        }
        catch (CryptographicException ex)
        {
            var reason = password is null ? $"it is not a {certificate.PublicKey.Oid.FriendlyName} key" : $"it cannot be decrypted with {key}:Password";
            throw new EchoHostConfigurationException($"{subject}: {keyName} cannot be read: {reason} ({OneLine(ex)})", ex);
        }

        X509Certificate2 withKey;
        try
        {
            withKey = privateKey switch
            {
                RSA rsa => certificate.CopyWithPrivateKey(rsa),
                _ => certificate.CopyWithPrivateKey((ECDsa)privateKey),
            };
        }
        catch (ArgumentException ex)
        {
            throw new EchoHostConfigurationException(
                $"{subject}: the private key in {keyName} does not match the certificate {certificate.Subject} ({certificate.Thumbprint})", ex);
        }

        if (!OperatingSystem.IsWindows())
        {
            return withKey;
        }

        // Schannel cannot use a key that lives only in memory: through PKCS#12, as Kestrel does, it gets a key container.
        using (withKey)
        {
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
        }
    }

    private static byte[] Read(string subject, string key, string path)
    {
        try
        {
            return File.ReadAllBytes(Path.GetFullPath(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            var reason = ex is FileNotFoundException or DirectoryNotFoundException ? "no such file" : OneLine(ex);
            throw new EchoHostConfigurationException($"{subject}: {key} '{path}' cannot be read: {reason}", ex);
        }
    }

    private static bool IsPem(ReadOnlySpan<byte> bytes) => bytes.IndexOf("-----BEGIN "u8) >= 0;

    private static bool AllowsServerAuthentication(X509Certificate2 certificate)
    {
        var hasUsage = false;
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509EnhancedKeyUsageExtension usage)
            {
                hasUsage = true;
                foreach (var oid in usage.EnhancedKeyUsages)
                {
                    if (oid.Value == ServerAuthenticationOid)
                    {
                        return true;
                    }
                }
            }
        }

        // No Extended Key Usage at all allows every usage.
        return !hasUsage;
    }

    private static string OneLine(Exception ex) => ex.Message.ReplaceLineEndings(" ").TrimEnd('.', ' ');
}
