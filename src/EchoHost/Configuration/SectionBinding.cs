using Microsoft.Extensions.Configuration;

namespace EchoHost.Configuration;

/// <summary>Binds an options section, turning the binder's complaint about a value into a start-up error.</summary>
internal static class SectionBinding
{
    /// <summary>
    /// The section <paramref name="sectionName"/> bound to <typeparamref name="T"/>, or its defaults when absent; a
    /// value the binder cannot convert throws <see cref="EchoHostConfigurationException"/> with the binder's message,
    /// which names the key and the value.
    /// </summary>
    public static T Bind<T>(IConfiguration configuration, string sectionName)
        where T : new()
    {
        ArgumentNullException.ThrowIfNull(configuration);
        try
        {
            return configuration.GetSection(sectionName).Get<T>() ?? new T();
        }
        catch (InvalidOperationException ex)
        {
            throw new EchoHostConfigurationException($"Invalid configuration: {ex.Message}", ex);
        }
    }
}
