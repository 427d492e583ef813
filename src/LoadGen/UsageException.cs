namespace EchoHost.LoadGen;

/// <summary>The command line asks for something that cannot be done: the message is shown with the usage.</summary>
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
