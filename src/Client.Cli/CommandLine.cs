using System.Globalization;

namespace EchoHost.Client.Cli;

/// <summary>The command line, parsed: a command, then <c>--name value</c> options (some repeatable) and <c>--flag</c>s.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    private CommandLine(string command)
    {
        Command = command;
    }

    public string Command { get; }

    /// <summary>Parses <paramref name="args"/>; <paramref name="valued"/> are the options that take a value, <paramref name="flags"/> those that do not.</summary>
    /// <exception cref="UsageException">An unknown option, a missing value, or no command.</exception>
    public static CommandLine Parse(IReadOnlyList<string> args, Func<string, IReadOnlySet<string>> valued, IReadOnlySet<string> flags)
    {
        if (args.Count == 0 || args[0].StartsWith('-'))
        {
            throw new UsageException(args.Count == 0 ? "No command given." : $"Expected a command before '{args[0]}'.");
        }

        var line = new CommandLine(args[0]);
        var options = valued(line.Command);
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            string name;
            string? value = null;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 2)
            {
                name = arg[2..equals];
                value = arg[(equals + 1)..];
            }
            else if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2)
            {
                name = arg[2..];
            }
            else
            {
                throw new UsageException($"Unexpected argument '{arg}'.");
            }

            if (flags.Contains(name) && value is null)
            {
                line.Add(name, "true");
                continue;
            }

            if (!options.Contains(name))
            {
                throw new UsageException($"Unknown option '--{name}' for '{line.Command}'.");
            }

            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    throw new UsageException($"Option '--{name}' needs a value.");
                }

                value = args[++i];
            }

            line.Add(name, value);
        }

        return line;
    }

    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>Every value given for a repeatable option, in order.</summary>
    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var values) ? values : [];

    /// <summary>The option's value (the last one given), or <paramref name="fallback"/>.</summary>
    public string? String(string name, string? fallback = null) => _values.TryGetValue(name, out var values) ? values[^1] : fallback;

    public int Int(string name, int fallback, int min, int max)
    {
        var text = String(name);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"--{name} must be an integer from {min} to {max}, not '{text}'.");
        }

        return value;
    }

    public double Seconds(string name, double fallback)
    {
        var text = String(name);
        if (text is null)
        {
            return fallback;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0 || double.IsInfinity(value) || double.IsNaN(value))
        {
            throw new UsageException($"--{name} must be a number of seconds, not '{text}'.");
        }

        return value;
    }

    private void Add(string name, string value)
    {
        if (!_values.TryGetValue(name, out var values))
        {
            _values[name] = values = [];
        }

        values.Add(value);
    }
}

/// <summary>The command line is wrong: the message says how, and the usage text follows it.</summary>
internal sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
