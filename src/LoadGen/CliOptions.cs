using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using EchoHost.LoadGen.Engine;

namespace EchoHost.LoadGen;

/// <summary>The kinds of option the commands share, each checked as it is parsed.</summary>
internal static class CliOptions
{
    /// <summary>An integer (thousands separators allowed: 10,000) from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<int> Int(string name, string description, int fallback, int min = 1, int max = int.MaxValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => fallback,
        CustomParser = result => Parse(result, name, min, max, fallback),
    };

    /// <summary>A number above 0.</summary>
    public static Option<double> Positive(string name, string description, double fallback) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => fallback,
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (double.TryParse(text, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var value) && value > 0 && double.IsFinite(value))
            {
                return value;
            }

            result.AddError($"{name} must be a number above 0, not '{text}'.");
            return fallback;
        },
    };

    /// <summary>Seconds, as <c>10</c>, <c>2.5</c>, <c>10s</c> or <c>500ms</c>; at least <paramref name="least"/>.</summary>
    public static Option<double> Seconds(string name, string description, double fallback, double least = 0) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => fallback,
        HelpName = "T",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            var milliseconds = text.EndsWith("ms", StringComparison.Ordinal);
            var number = milliseconds ? text[..^2] : text.EndsWith('s') ? text[..^1] : text;
            if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
                && (milliseconds ? value / 1000 : value) is var seconds && seconds >= least)
            {
                return seconds;
            }

            result.AddError($"{name} must be seconds (10, 2.5, 10s or 500ms) of at least {least.ToString(CultureInfo.InvariantCulture)}, not '{text}'.");
            return fallback;
        },
    };

    /// <summary>An IPv4 address, or <c>ADDRESS:PORT</c>.</summary>
    public static IPv4Endpoint? ParseTarget(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        if (IPv4Endpoint.TryParse(text, out var target))
        {
            return target;
        }

        result.AddError(text.StartsWith('-') ? $"Unrecognized option '{text}'." : $"'{text}' is not an IPv4 address or ADDRESS:PORT.");
        return null;
    }

    /// <summary>A port, 1 to 65535.</summary>
    public static int? ParsePort(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535)
        {
            return port;
        }

        result.AddError($"--port must be 1 to 65535, not '{text}'.");
        return null;
    }

    private static int Parse(ArgumentResult result, string name, int min, int max, int fallback)
    {
        var text = result.Tokens[0].Value;
        if (int.TryParse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        result.AddError($"{name} must be an integer from {min} to {max}, not '{text}'.");
        return fallback;
    }
}
