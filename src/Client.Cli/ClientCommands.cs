using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EchoHost.Protocol;

namespace EchoHost.Client.Cli;

/// <summary>The commands and options of <c>echohost-client</c>, checked before anything connects.</summary>
internal sealed class ClientCommands
{
    public const string Description = """
        Sends requests of the framed protocol to an EchoHost framed endpoint.

        Exit codes: 0 success, 1 the server answered with an error (or a ping was lost),
        2 wrong command line, 3 the server could not be reached or did not answer in time.
        """;

    public Argument<ServerAddress?> Server { get; } = new("server")
    {
        Description = "The server as HOST or HOST:PORT ([IPv6]:PORT), instead of --host and --port",
        Arity = ArgumentArity.ZeroOrOne,
        CustomParser = result => ParseServer(result, result.Tokens[0].Value),
    };

    public Option<ServerAddress?> Host { get; } = new("--host")
    {
        Description = "Server host, or HOST:PORT [default: localhost]",
        CustomParser = result => ParseServer(result, result.Tokens[0].Value),
    };

    public Option<int?> Port { get; } = new("--port") { Description = "Server port [default: 1513]" };

    public Option<string?> Unix { get; } = new("--unix") { Description = "Connect to this Unix domain socket instead of host and port", HelpName = "PATH" };

    public Option<double> Timeout { get; } = Seconds("--timeout", "How long to wait for each answer, in seconds (0: for ever)", 30);

    public Option<bool> Tls { get; } = new("--tls") { Description = "TLS (a tls:// endpoint); the certificate must chain to a root the system trusts" };

    public Option<X509Certificate2Collection?> Ca { get; } = new("--ca")
    {
        Description = "Trust the CA certificate(s) in FILE (PEM) instead of the system's roots; implies --tls",
        HelpName = "FILE",
        CustomParser = LoadAuthorities,
    };

    public Option<bool> Insecure { get; } = new("--insecure")
    {
        Description = "TLS without checking the server's certificate at all: anyone on the path can read and change the traffic. For tests only; implies --tls",
    };

    public Option<byte> Type { get; } = new("--type")
    {
        Description = "The request's type: a number (decimal or 0x hex) or echo, reverse, uppercase, stats",
        Required = true,
        HelpName = "T",
        CustomParser = ParseType,
    };

    public Option<string> Data { get; } = new("--data") { Description = "The request's data, as UTF-8 text", DefaultValueFactory = _ => "" };

    public Option<MetadataItem[]> Meta { get; } = new("--meta")
    {
        Description = "A metadata item of the request (repeatable)",
        HelpName = "KEY=VALUE",
        CustomParser = ParseMetadata,
    };

    public Option<int> Count { get; } = Int("--count", "Pings to send", 4, 1, int.MaxValue);

    public Option<int> Size { get; } = Int("--size", "Bytes of each ping's payload", 56, 0, Frame.DefaultMaxFrameBytes);

    public Option<double> Interval { get; } = Seconds("--interval", "Seconds between pings", 1);

    public Option<bool> ClientStatistics { get; } = new("--client")
    {
        Description = "Print this client's own statistics beside the server's: {\"server\": …, \"client\": …}",
    };

    /// <summary>The root command; <paramref name="send"/>, <paramref name="ping"/> and <paramref name="stats"/> are the commands' actions.</summary>
    public RootCommand Create(
        Func<ParseResult, CancellationToken, Task<int>> send,
        Func<ParseResult, CancellationToken, Task<int>> ping,
        Func<ParseResult, CancellationToken, Task<int>> stats)
    {
        var sendCommand = WithConnection(new Command("send", "Send one request, print the response's data (its metadata on stderr)") { Type, Data, Meta });
        sendCommand.SetAction(send);
        var pingCommand = WithConnection(new Command("ping", "Ping the server, print each round trip") { Count, Size, Interval });
        pingCommand.SetAction(ping);
        var statsCommand = WithConnection(new Command("stats", "Print the server's statistics (JSON)") { ClientStatistics });
        statsCommand.SetAction(stats);
        return new RootCommand(Description) { sendCommand, pingCommand, statsCommand };
    }

    private Command WithConnection(Command command)
    {
        foreach (var option in new Option[] { Host, Port, Unix, Timeout, Tls, Ca, Insecure })
        {
            command.Options.Add(option);
        }

        command.Arguments.Add(Server);
        command.Validators.Add(ValidateConnection);
        return command;
    }

    private void ValidateConnection(CommandResult command)
    {
        // A value that did not parse has its own error already, and nothing to compare.
        if (!TryGetValue(command, Server, out var server) || !TryGetValue(command, Host, out var host))
        {
            return;
        }

        var hasPort = command.GetResult(Port) is { Implicit: false } || host?.Port is not null || server?.Port is not null;
        if (server is not null && command.GetResult(Host) is { Implicit: false })
        {
            command.AddError("Give the server once: as an argument or with --host.");
        }
        else if (command.GetResult(Port) is { Implicit: false } && (host?.Port ?? server?.Port) is not null)
        {
            command.AddError("Give the port once: in HOST:PORT or with --port.");
        }
        else if (command.GetResult(Unix) is { Implicit: false } && (hasPort || host is not null || server is not null))
        {
            command.AddError("--unix excludes a host and a port.");
        }

        if (command.GetResult(Ca) is { Implicit: false } && command.GetValue(Insecure))
        {
            command.AddError("--ca and --insecure contradict each other: one checks the server's certificate, the other does not.");
        }

        if (command.GetValue(Port) is int port && port is < 1 or > 65535)
        {
            command.AddError($"--port must be 1 to 65535, not {port}.");
        }
    }

    private static bool TryGetValue(CommandResult command, Symbol symbol, out ServerAddress? value)
    {
        try
        {
            value = symbol is Argument<ServerAddress?> argument ? command.GetValue(argument) : command.GetValue((Option<ServerAddress?>)symbol);
            return true;
        }
        catch (InvalidOperationException)
        {
            value = null;
            return false;
        }
    }

    private static ServerAddress? ParseServer(ArgumentResult result, string text)
    {
        // An option the command does not know would otherwise be taken for the server argument.
        if (text.StartsWith('-'))
        {
            result.AddError($"Unrecognized option '{text}'.");
            return null;
        }

        if (ServerAddress.TryParse(text, out var address, out var problem))
        {
            return address;
        }

        result.AddError(problem!);
        return null;
    }

    private static X509Certificate2Collection? LoadAuthorities(ArgumentResult result)
    {
        var path = result.Tokens[0].Value;
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            result.AddError($"--ca {path}: {ex.Message}");
            return null;
        }

        if (authorities.Count == 0)
        {
            result.AddError($"--ca {path}: the file holds no PEM CERTIFICATE.");
            return null;
        }

        return authorities;
    }

    private static byte ParseType(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        switch (text.ToUpperInvariant())
        {
            case "ECHO": return MessageTypes.Echo;
            case "REVERSE": return MessageTypes.Reverse;
            case "UPPERCASE": return MessageTypes.Uppercase;
            case "STATS": return MessageTypes.Stats;
        }

        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (byte.TryParse(hex ? text[2..] : text, hex ? NumberStyles.HexNumber : NumberStyles.Integer, CultureInfo.InvariantCulture, out var type))
        {
            return type;
        }

        result.AddError($"--type must be 0 to 255 (decimal or 0x hex) or a handler's name, not '{text}'.");
        return 0;
    }

    private static MetadataItem[] ParseMetadata(ArgumentResult result)
    {
        var items = new List<MetadataItem>();
        foreach (var token in result.Tokens)
        {
            var pair = token.Value;
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                result.AddError($"--meta needs KEY=VALUE, not '{pair}'.");
                continue;
            }

            items.Add(new MetadataItem(pair[..equals], System.Text.Encoding.UTF8.GetBytes(pair[(equals + 1)..])));
        }

        return [.. items];
    }

    private static Option<int> Int(string name, string description, int fallback, int min, int max)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => fallback };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is var value && (value < min || value > max))
            {
                result.AddError($"{name} must be an integer from {min} to {max}, not {value}.");
            }
        });
        return option;
    }

    private static Option<double> Seconds(string name, string description, double fallback)
    {
        var option = new Option<double>(name) { Description = description, DefaultValueFactory = _ => fallback, HelpName = "SECONDS" };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<double>();
            if (value < 0 || !double.IsFinite(value))
            {
                result.AddError($"{name} must be a number of seconds, not {value.ToString(CultureInfo.InvariantCulture)}.");
            }
        });
        return option;
    }
}
