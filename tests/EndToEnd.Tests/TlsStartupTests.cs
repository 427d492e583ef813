using EchoHost.EndToEnd.Tests.Support;

namespace EchoHost.EndToEnd.Tests;

/// <summary>The built service with TLS endpoints: the listening line, and certificates it cannot use (exit code 2, one line).</summary>
public class TlsStartupTests
{
    private static readonly TestCertificates Certificates = TestCertificates.Shared;

    public static TheoryData<string, string> Transports => Support.Transports.All;

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Listening_lines_show_tls_and_https(string build, string transport)
    {
        await using var process = EchoHostProcess.StartOnLoopback(build,
            transport,
            "--EchoHost:Endpoints:framed:Url=tls://127.0.0.1:0",
            $"--EchoHost:Endpoints:framed:Tls:CertificatePath={Certificates.ServerPem}",
            $"--EchoHost:Endpoints:framed:Tls:KeyPath={Certificates.ServerEncryptedKey}",
            $"--EchoHost:Endpoints:framed:Tls:Password={TestCertificates.Password}",
            "--EchoHost:Endpoints:http:Url=https://127.0.0.1:0",
            $"--EchoHost:Endpoints:http:Tls:CertificatePath={Certificates.ServerPfx}",
            $"--EchoHost:Endpoints:http:Tls:Password={TestCertificates.Password}");

        var addresses = await process.WaitForEndpointsAsync("echo", "framed", "http");

        Assert.StartsWith("tcp://127.0.0.1:", addresses["echo"], StringComparison.Ordinal);
        Assert.Matches(@"^tls://127\.0\.0\.1:\d+$", addresses["framed"]);
        Assert.Matches(@"^https://127\.0\.0\.1:\d+$", addresses["http"]);
    }

    [Theory]
    [ForEachBuild]
    public async Task Certificates_it_cannot_use_stop_start_up_with_one_line_and_exit_code_2(string build)
    {
        var missing = Path.Combine(Certificates.Directory, "no-such.pem");
        var url = "--EchoHost:Endpoints:framed:Url=tls://127.0.0.1:0";
        var cases = new (string[] Args, string Expected)[]
        {
            (
                [url, $"--EchoHost:Endpoints:framed:Tls:CertificatePath={missing}"],
                $"Endpoint 'framed' (tls://127.0.0.1:0): EchoHost:Endpoints:framed:Tls:CertificatePath '{missing}' cannot be read: no such file"
            ),
            (
                [url, $"--EchoHost:Endpoints:framed:Tls:CertificatePath={Certificates.ServerPfx}", "--EchoHost:Endpoints:framed:Tls:Password=wrong"],
                $"Endpoint 'framed' (tls://127.0.0.1:0): EchoHost:Endpoints:framed:Tls:CertificatePath '{Certificates.ServerPfx}' cannot be read as PKCS#12 with EchoHost:Endpoints:framed:Tls:Password: "
            ),
            (
                [url, $"--EchoHost:Endpoints:framed:Tls:CertificatePath={Certificates.ServerPem}", $"--EchoHost:Endpoints:framed:Tls:KeyPath={Certificates.OtherKey}"],
                $"Endpoint 'framed' (tls://127.0.0.1:0): the private key in EchoHost:Endpoints:framed:Tls:KeyPath '{Certificates.OtherKey}' does not match the certificate CN=localhost ("
            ),
            (
                [url],
                "Endpoint 'framed' (tls://127.0.0.1:0): a tls:// Url needs a certificate; set EchoHost:Endpoints:framed:Tls:CertificatePath (PEM or PKCS#12) or EchoHost:Endpoints:framed:Tls:Subject (certificate store)"
            ),
        };

        foreach (var (args, expected) in cases)
        {
            await using var process = EchoHostProcess.StartOnLoopback(build, "Sockets", args);
            var exitCode = await process.WaitForExitAsync();

            Assert.Equal(2, exitCode);
            var error = process.StandardError.Trim();
            Assert.StartsWith($"EchoHost cannot start: {expected}", error, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', error);
            Assert.Equal("", process.StandardOutput.Trim());
        }
    }
}
