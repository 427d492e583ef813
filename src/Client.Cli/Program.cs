using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
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

        private const string DefaultHost = "localhost";
        private const int DefaultPort = 1513;

        private static readonly ClientCommands Commands = new();

        public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
        {
            var root = Commands.Create(SendAsync, PingAsync, StatsAsync);
            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0)
            {
                // System.CommandLine prints the errors and the command's help; a wrong command line exits 2.
                await parsed.InvokeAsync(new InvocationConfiguration { Output = error, Error = error }).ConfigureAwait(false);
                return UsageError;
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
                // Ctrl-C is ours (a ping prints its summary), and so are the exceptions, mapped to exit codes below.
                var invocation = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
                return await parsed.InvokeAsync(invocation, cancel.Token).ConfigureAwait(false);
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

        private static async Task<int> SendAsync(ParseResult line, CancellationToken cancellationToken)
        {
            var (output, error) = (line.InvocationConfiguration.Output, line.InvocationConfiguration.Error);
            var type = line.GetValue(Commands.Type);
            var data = Encoding.UTF8.GetBytes(line.GetValue(Commands.Data)!);
            var metadata = line.GetValue(Commands.Meta) ?? [];

            await using var client = await ConnectAsync(line, error, cancellationToken).ConfigureAwait(false);
            var response = await client.SendAsync(type, data, metadata, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(Show(response.Data.Span)).ConfigureAwait(false);
            foreach (var (key, value) in response.Metadata)
            {
                await error.WriteLineAsync($"{key}={Show(value)}").ConfigureAwait(false);
            }

            return Success;
        }

        private static async Task<int> StatsAsync(ParseResult line, CancellationToken cancellationToken)
        {
            var (output, error) = (line.InvocationConfiguration.Output, line.InvocationConfiguration.Error);
            await using var client = await ConnectAsync(line, error, cancellationToken).ConfigureAwait(false);
            var response = await client.SendAsync(MessageTypes.Stats, ReadOnlyMemory<byte>.Empty, cancellationToken: cancellationToken).ConfigureAwait(false);
            var server = Encoding.UTF8.GetString(response.Data.Span);
            if (!line.GetValue(Commands.ClientStatistics))
            {
                await output.WriteLineAsync(server).ConfigureAwait(false);
                return Success;
            }

            // The server's object as it came, beside the client's counters after that one request.
            var statistics = JsonSerializer.Serialize(client.GetStatistics(), ClientJson.Default.FramedClientStatistics);
            await output.WriteLineAsync($"{{\"server\":{server},\"client\":{statistics}}}").ConfigureAwait(false);
            return Success;
        }

        private static async Task<int> PingAsync(ParseResult line, CancellationToken cancellationToken)
        {
            var (output, error) = (line.InvocationConfiguration.Output, line.InvocationConfiguration.Error);
            var count = line.GetValue(Commands.Count);
            var size = line.GetValue(Commands.Size);
            var interval = TimeSpan.FromSeconds(line.GetValue(Commands.Interval));
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

        private static async Task<FramedClient> ConnectAsync(ParseResult line, TextWriter error, CancellationToken cancellationToken)
        {
            var seconds = line.GetValue(Commands.Timeout);
            var options = new FramedClientOptions
            {
                RequestTimeout = seconds == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds),
                Tls = await TlsOptionsAsync(line, error).ConfigureAwait(false),
            };
            if (line.GetValue(Commands.Unix) is { } path)
            {
                return await FramedClient.ConnectUnixAsync(path, options, cancellationToken).ConfigureAwait(false);
            }

            var server = Server(line);
            return await FramedClient.ConnectAsync(server.Host, server.Port ?? DefaultPort, options, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>--tls, --ca FILE, --insecure: null for plain TCP.</summary>
        private static async Task<FramedTlsOptions?> TlsOptionsAsync(ParseResult line, TextWriter error)
        {
            if (line.GetValue(Commands.Insecure))
            {
                await error.WriteLineAsync("echohost-client: warning: --insecure: the server's certificate is not checked; anyone on the path can read and change this traffic").ConfigureAwait(false);
#pragma warning disable CA5359 // accepting any certificate is what --insecure asks for, and it says so on every run
                return new FramedTlsOptions { RemoteCertificateValidation = static (_, _, _, _) => true };
#pragma warning restore CA5359
            }

            if (line.GetValue(Commands.Ca) is { } authorities)
            {
                return new FramedTlsOptions { TrustedCertificateAuthorities = authorities };
            }

            return line.GetValue(Commands.Tls) ? new FramedTlsOptions() : null;
        }

        /// <summary>The server from the argument or --host, its port from either or --port; the command checked that each is said once.</summary>
        private static ServerAddress Server(ParseResult line)
        {
            var server = line.GetValue(Commands.Server) ?? line.GetValue(Commands.Host) ?? new ServerAddress(DefaultHost, null);
            return server with { Port = server.Port ?? line.GetValue(Commands.Port) };
        }

        private static string Describe(ParseResult line) => line.GetValue(Commands.Unix) ?? Server(line).Host;

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
