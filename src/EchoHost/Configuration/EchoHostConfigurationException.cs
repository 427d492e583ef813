namespace EchoHost.Configuration;

/// <summary>
/// Configuration that EchoHost cannot start with. Its message is complete and meant for the operator as it is:
/// the process prints it alone, without a stack trace, and exits with <see cref="Hosting.ExitCodes.InvalidConfiguration"/>.
/// </summary>
public sealed class EchoHostConfigurationException : Exception
{
    /// <summary>Creates the exception with the message the operator reads.</summary>
    public EchoHostConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the message the operator reads and its cause.</summary>
    public EchoHostConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception; prefer a constructor with a message.</summary>
    public EchoHostConfigurationException()
    {
    }
}
