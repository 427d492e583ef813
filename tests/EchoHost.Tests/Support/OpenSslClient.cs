using System.Diagnostics;
using System.Net;

namespace EchoHost.Tests.Support;

/// <summary>
/// <c>openssl s_client</c> as a client of a TLS endpoint: what is written to its standard input goes to the server,
/// what the server sends comes out of its standard output. It checks the server's certificate against the test CA
/// and refuses the handshake when it does not verify.
/// </summary>
internal sealed class OpenSslClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _errors;

    private OpenSslClient(Process process)
    {
        _process = process;
        _errors = process.StandardError.ReadToEndAsync();
    }

    public Stream Input => _process.StandardInput.BaseStream;

    public Stream Output => _process.StandardOutput.BaseStream;

    /// <summary>Starts <c>openssl s_client</c> against <paramref name="endPoint"/>, with <paramref name="more"/> options (e.g. <c>-tls1_2</c>).</summary>
    public static OpenSslClient Start(EndPoint endPoint, string caFile, params string[] more)
    {
        // -quiet prints no session details; -no_ign_eof makes the end of standard input end the session (close_notify).
        var startInfo = new ProcessStartInfo("openssl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["s_client", "-connect", endPoint.ToString()!, "-servername", "localhost", "-CAfile", caFile, "-verify_return_error", "-quiet", "-no_ign_eof", .. more])
        {
            startInfo.ArgumentList.Add(arg);
        }

        return new OpenSslClient(Process.Start(startInfo)!);
    }

    /// <summary>Sends <paramref name="data"/> and reads exactly as many bytes back.</summary>
    public async Task<byte[]> RoundTripAsync(byte[] data, int expected)
    {
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        var reading = ReadExactlyAsync(expected, timeout.Token);
        await Input.WriteAsync(data, timeout.Token);
        await Input.FlushAsync(timeout.Token);
        return await reading;
    }

    public async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        try
        {
            await Output.ReadExactlyAsync(buffer, cancellationToken);
        }
        catch (EndOfStreamException ex)
        {
            throw new EndOfStreamException($"openssl s_client ended early: {await FinishAsync()}", ex);
        }

        return buffer;
    }

    /// <summary>Closes standard input (the session ends), waits for the exit, and returns the exit code and what it printed on standard error.</summary>
    public async Task<(int ExitCode, string Errors)> FinishAsync()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // It has exited already.
        }

        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        await _process.WaitForExitAsync(timeout.Token);
        return (_process.ExitCode, await _errors);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
