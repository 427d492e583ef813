using Microsoft.Extensions.Configuration;

namespace EchoHost.Configuration;

/// <summary>Binds an options section, turning the binder's complaint about a value into a start-up error.</summary>
internal static class SectionBinding
{
    /// <summary>
    /// The section <paramref name="sectionName"/> bound to <typeparamref name="T"/>, or its defaults when absent; a
    /// value the binder cannot convert throws <see cref="EchoHostConfigurationException"/> with the binder's message,
    /// which names the key and the value. <paramref name="get"/> is the binder's <c>Get</c> for the concrete type, so
    /// that the configuration binding generator writes its code at the call site.
    /// </summary>
    public static T Bind<T>(IConfiguration configuration, string sectionName, Func<IConfigurationSection, T?> get)
        where T : new()
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(get);
        try
        {
            return get(configuration.GetSection(sectionName)) ?? new T();
        }
        catch (InvalidOperationException ex)
        {
            throw new EchoHostConfigurationException($"Invalid configuration: {ex.Message}", ex);
        }
    }
}
