using System.Globalization;

namespace EchoHost.LoadGen;

/// <summary>
/// A parsed command line: a command, then <c>--name value</c> (or <c>--name=value</c>) options and <c>--flag</c>s,
/// and for some commands positional arguments. Options may repeat; the last value wins unless all are asked for.
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private CommandLine(string command) => Command = command;

    public string Command { get; }

    public List<string> Positional { get; } = [];

    /// <exception cref="UsageException">No command, or an option without its value.</exception>
    public static CommandLine Parse(IReadOnlyList<string> args, IReadOnlySet<string> flags)
    {
        if (args.Count == 0 || args[0].StartsWith('-'))
        {
            throw new UsageException(args.Count == 0 ? "No command given." : $"Expected a command before '{args[0]}'.");
        }

        var line = new CommandLine(args[0]);
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];

            // A one-letter option (-o FILE) is read as its long form's name.
            if (arg.Length == 2 && arg[0] == '-' && char.IsAsciiLetter(arg[1]))
            {
                arg = "--" + arg[1];
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                line.Positional.Add(arg);
                continue;
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals > 0 ? arg[2..equals] : arg[2..];
            string value;
            if (equals > 0)
            {
                value = arg[(equals + 1)..];
            }
            else if (flags.Contains(name))
            {
                value = "true";
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }
            else
            {
                throw new UsageException($"--{name} needs a value.");
            }

            if (!line._options.TryGetValue(name, out var values))
            {
                line._options[name] = values = [];
            }

            values.Add(value);
        }

        return line;
    }

    public string? String(string name)
    {
        _read.Add(name);
        return _options.TryGetValue(name, out var values) ? values[^1] : null;
    }

    public IReadOnlyList<string> All(string name)
    {
        _read.Add(name);
        return _options.TryGetValue(name, out var values) ? values : [];
    }

    public bool Flag(string name) => String(name) is string value && value != "false";

    public int Int(string name, int fallback) => String(name) is string value ? ParseNumber(name, value, s => int.Parse(s, NumberStyles.AllowThousands, CultureInfo.InvariantCulture)) : fallback;

    public double Double(string name, double fallback) => String(name) is string value ? ParseNumber(name, value, s => double.Parse(s, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture)) : fallback;

    /// <summary>Seconds, as <c>10</c>, <c>2.5</c>, <c>10s</c> or <c>500ms</c>.</summary>
    public TimeSpan Seconds(string name, double fallback)
    {
        var value = String(name);
        if (value is null)
        {
            return TimeSpan.FromSeconds(fallback);
        }

        return value.EndsWith("ms", StringComparison.Ordinal)
            ? TimeSpan.FromMilliseconds(ParseNumber(name, value[..^2], s => double.Parse(s, CultureInfo.InvariantCulture)))
            : TimeSpan.FromSeconds(ParseNumber(name, value.TrimEnd('s'), s => double.Parse(s, CultureInfo.InvariantCulture)));
    }

    /// <summary>Fails on any option no one asked for (a typo must not silently run something else).</summary>
    /// <exception cref="UsageException">An option was given that the command does not know.</exception>
    public void RejectUnread()
    {
        var unknown = _options.Keys.FirstOrDefault(name => !_read.Contains(name));
        if (unknown is not null)
        {
            throw new UsageException($"Unknown option '--{unknown}' for '{Command}'.");
        }
    }

    private static T ParseNumber<T>(string name, string value, Func<string, T> parse)
    {
        try
        {
            return parse(value);
        }
        catch (FormatException)
        {
            throw new UsageException($"--{name}: '{value}' is not a number.");
        }
        catch (OverflowException)
        {
            throw new UsageException($"--{name}: '{value}' is out of range.");
        }
    }
}
