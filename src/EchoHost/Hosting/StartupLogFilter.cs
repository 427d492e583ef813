using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EchoHost.Hosting;

/// <summary>
/// When an endpoint fails to bind, the generic host logs "Hosting failed to start" with the whole stack trace
/// before EchoHost gets the exception and prints its one-line explanation. Once a bind failure is recorded, this
/// drops the host's errors so that the operator reads the explanation alone. It wraps every filter rule, because
/// the logging system applies only the most specific rule to a category and a rule of our own could lose to one
/// from configuration.
/// </summary>
internal sealed class StartupLogFilter(BindFailures failures) : IPostConfigureOptions<LoggerFilterOptions>
{
    // Microsoft.Extensions.Hosting.Internal.Host, the category of "Hosting failed to start".
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    public void PostConfigure(string? name, LoggerFilterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var rules = options.Rules;
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            var inner = rule.Filter;
            rules[i] = new LoggerFilterRule(rule.ProviderName, rule.CategoryName, rule.LogLevel,
                (provider, category, level) => !Suppress(category, level) && (inner?.Invoke(provider, category, level) ?? true));
        }

        // Applies where no other rule does; first, so that any other rule is preferred to it.
        rules.Insert(0, new LoggerFilterRule(null, null, options.MinLevel, (_, category, level) => !Suppress(category, level)));
    }

    private bool Suppress(string? category, LogLevel level) =>
        level >= LogLevel.Error && string.Equals(category, HostCategory, StringComparison.Ordinal) && failures.Any;
}
