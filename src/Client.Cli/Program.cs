using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EchoHost.Client;
using EchoHost.Client.Cli;
using EchoHost.Protocol;

return await ClientProgram.RunAsync(args, Console.Out, Console.Error);

namespace EchoHost.Client.Cli
{
    /// <summary>The <c>echohost-client</c> command: send, ping and stats against a framed endpoint.</summary>
    internal static class ClientProgram
    {
        public const int Success = 0;
        public const int ServerError = 1;
        public const int UsageError = 2;
        public const int ConnectionError = 3;

        private const string Usage = """
            Usage: echohost-client <command> [options]

            Commands:
              send   --type T [--data TEXT] [--meta KEY=VALUE]...   send one request, print the response's data
                     (T: a number, decimal or 0x hex, or echo, reverse, uppercase, stats)
              ping   [--count N] [--size BYTES] [--interval SECONDS] ping the server, print each round trip
              stats  print the server's statistics (JSON)

            Connection options:
              --host HOST       server host (default localhost)
              --port PORT       server port (default 1513)
              --unix PATH       connect to a Unix domain socket instead of host and port
              --timeout SECONDS how long to wait for each answer (default 30)
              --tls             TLS (a tls:// endpoint); the certificate must chain to a root the system trusts
              --ca FILE         trust the CA certificate(s) in FILE (PEM) instead of the system's roots; implies --tls
              --insecure        TLS without checking the server's certificate at all: anyone on the path can read
                                and change the traffic. For tests only; implies --tls

            Exit codes: 0 success, 1 the server answered with an error (or a ping was lost),
            2 wrong command line, 3 the server could not be reached or did not answer in time.
            """;

        private static readonly HashSet<string> ConnectionOptions = ["host", "port", "unix", "timeout", "ca"];
        private static readonly HashSet<string> SendOptions = [.. ConnectionOptions, "type", "data", "meta"];
        private static readonly HashSet<string> PingOptions = [.. ConnectionOptions, "count", "size", "interval"];
        private static readonly HashSet<string> Flags = ["help", "tls", "insecure"];

        public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
        {
            if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
            {
                await output.WriteLineAsync(Usage).ConfigureAwait(false);
                return args.Length == 0 ? UsageError : Success;
            }

            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true;
                cancel.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            try
            {
                var line = CommandLine.Parse(args, OptionsOf, Flags);
                if (line.Has("help"))
                {
                    await output.WriteLineAsync(Usage).ConfigureAwait(false);
                    return Success;
                }

                return line.Command switch
                {
                    "send" => await SendAsync(line, output, error, cancel.Token).ConfigureAwait(false),
                    "ping" => await PingAsync(line, output, error, cancel.Token).ConfigureAwait(false),
                    "stats" => await StatsAsync(line, output, error, cancel.Token).ConfigureAwait(false),
                    _ => throw new UsageException($"Unknown command '{line.Command}'."),
                };
            }
            catch (UsageException ex)
            {
                await error.WriteLineAsync($"echohost-client: {ex.Message}{Environment.NewLine}{Environment.NewLine}{Usage}").ConfigureAwait(false);
                return UsageError;
            }
            catch (FramedErrorException ex)
            {
                await error.WriteLineAsync($"echohost-client: error {ex.Code}: {ex.Message}").ConfigureAwait(false);
                return ServerError;
            }
            catch (Exception ex) when (ex is FramedConnectionException or TimeoutException or InvalidDataException)
            {
                await error.WriteLineAsync($"echohost-client: {ex.Message}").ConfigureAwait(false);
                return ConnectionError;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return ConnectionError;
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        }

        private static IReadOnlySet<string> OptionsOf(string command) => command switch
        {
            "send" => SendOptions,
            "ping" => PingOptions,
            _ => ConnectionOptions,
        };

        private static async Task<int> SendAsync(CommandLine line, TextWriter output, TextWriter error, CancellationToken cancellationToken)
        {
            var type = ParseType(line.String("type") ?? throw new UsageException("send needs --type."));
            var data = Encoding.UTF8.GetBytes(line.String("data", string.Empty)!);
            var metadata = new List<MetadataItem>();
            foreach (var pair in line.All("meta"))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new UsageException($"--meta needs KEY=VALUE, not '{pair}'.");
                }

                metadata.Add(new MetadataItem(pair[..equals], Encoding.UTF8.GetBytes(pair[(equals + 1)..])));
            }

            await using var client = await ConnectAsync(line, error, cancellationToken).ConfigureAwait(false);
            var response = await client.SendAsync(type, data, metadata, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(Show(response.Data.Span)).ConfigureAwait(false);
            foreach (var (key, value) in response.Metadata)
            {
                await error.WriteLineAsync($"{key}={Show(value)}").ConfigureAwait(false);
            }

            return Success;
        }

        private static async Task<int> StatsAsync(CommandLine line, TextWriter output, TextWriter error, CancellationToken cancellationToken)
        {
            await using var client = await ConnectAsync(line, error, cancellationToken).ConfigureAwait(false);
            var response = await client.SendAsync(MessageTypes.Stats, ReadOnlyMemory<byte>.Empty, cancellationToken: cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(Encoding.UTF8.GetString(response.Data.Span)).ConfigureAwait(false);
            return Success;
        }

        private static async Task<int> PingAsync(CommandLine line, TextWriter output, TextWriter error, CancellationToken cancellationToken)
        {
            var count = line.Int("count", 4, 1, int.MaxValue);
            var size = line.Int("size", 56, 0, Frame.DefaultMaxFrameBytes);
            var interval = TimeSpan.FromSeconds(line.Seconds("interval", 1));
            var server = Describe(line);
            var payload = new byte[size];
            for (var i = 0; i < payload.Length; i++)
            {
                payload[i] = (byte)i;
            }

            await using var client = await ConnectAsync(line, error, cancellationToken).ConfigureAwait(false);
            var times = new List<double>(count);
            var sent = 0;
            for (var seq = 1; seq <= count && !cancellationToken.IsCancellationRequested; seq++)
            {
                if (seq > 1 && interval > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }

                sent++;
                try
                {
                    var rtt = await client.PingAsync(payload, cancellationToken).ConfigureAwait(false);
                    times.Add(rtt.TotalMilliseconds);
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{size} bytes from {server}: seq={seq} time={rtt.TotalMilliseconds:0.000} ms")).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is TimeoutException or FramedConnectionException or InvalidDataException)
                {
                    await output.WriteLineAsync($"no answer from {server}: seq={seq}: {ex.Message}").ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
            }

            var loss = sent == 0 ? 0 : 100.0 * (sent - times.Count) / sent;
            await output.WriteLineAsync($"--- {server} ping statistics ---").ConfigureAwait(false);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{sent} sent, {times.Count} received, {loss:0.#}% loss")).ConfigureAwait(false);
            if (times.Count > 0)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"rtt min/avg/max = {times.Min():0.000}/{times.Average():0.000}/{times.Max():0.000} ms")).ConfigureAwait(false);
            }

            return times.Count == sent && sent > 0 ? Success : ServerError;
        }

        private static async Task<FramedClient> ConnectAsync(CommandLine line, TextWriter error, CancellationToken cancellationToken)
        {
            var seconds = line.Seconds("timeout", 30);
            var options = new FramedClientOptions
            {
                RequestTimeout = seconds == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds),
                Tls = await TlsOptionsAsync(line, error).ConfigureAwait(false),
            };
            if (line.String("unix") is { } path)
            {
                if (line.Has("host") || line.Has("port"))
                {
                    throw new UsageException("--unix excludes --host and --port.");
                }

                return await FramedClient.ConnectUnixAsync(path, options, cancellationToken).ConfigureAwait(false);
            }

            return await FramedClient.ConnectAsync(line.String("host", "localhost")!, line.Int("port", 1513, 1, 65535), options, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>--tls, --ca FILE, --insecure: null for plain TCP.</summary>
        private static async Task<FramedTlsOptions?> TlsOptionsAsync(CommandLine line, TextWriter error)
        {
            var ca = line.String("ca");
            var insecure = line.Has("insecure");
            if (ca is not null && insecure)
            {
                throw new UsageException("--ca and --insecure contradict each other: one checks the server's certificate, the other does not.");
            }

            if (insecure)
            {
                await error.WriteLineAsync("echohost-client: warning: --insecure: the server's certificate is not checked; anyone on the path can read and change this traffic").ConfigureAwait(false);
#pragma warning disable CA5359 // accepting any certificate is what --insecure asks for, and it says so on every run
                return new FramedTlsOptions { RemoteCertificateValidation = static (_, _, _, _) => true };
#pragma warning restore CA5359
            }

            if (ca is not null)
            {
                var authorities = new X509Certificate2Collection();
                try
                {
                    authorities.ImportFromPemFile(ca);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
                {
                    throw new UsageException($"--ca {ca}: {ex.Message}");
                }

                return authorities.Count > 0
                    ? new FramedTlsOptions { TrustedCertificateAuthorities = authorities }
                    : throw new UsageException($"--ca {ca}: the file holds no PEM CERTIFICATE.");
            }

            return line.Has("tls") ? new FramedTlsOptions() : null;
        }

        private static string Describe(CommandLine line) => line.String("unix") ?? line.String("host", "localhost")!;

        private static byte ParseType(string text)
        {
            switch (text.ToUpperInvariant())
            {
                case "ECHO": return MessageTypes.Echo;
                case "REVERSE": return MessageTypes.Reverse;
                case "UPPERCASE": return MessageTypes.Uppercase;
                case "STATS": return MessageTypes.Stats;
            }

            var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
            return byte.TryParse(hex ? text[2..] : text, hex ? NumberStyles.HexNumber : NumberStyles.Integer, CultureInfo.InvariantCulture, out var type)
                ? type
                : throw new UsageException($"--type must be 0 to 255 (decimal or 0x hex) or a handler's name, not '{text}'.");
        }

        /// <summary>UTF-8 text as it is; other bytes as hex, so that the terminal never receives raw binary.</summary>
        private static string Show(ReadOnlySpan<byte> bytes)
        {
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                return "0x" + Convert.ToHexStringLower(bytes);
            }
        }
    }
}
