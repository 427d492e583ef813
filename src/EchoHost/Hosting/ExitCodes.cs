namespace EchoHost.Hosting;

/// <summary>The process's exit codes, documented in the README; a service manager can tell them apart.</summary>
internal static class ExitCodes
{
    /// <summary>Ran and stopped gracefully (SIGTERM, Ctrl-C).</summary>
    public const int Success = 0;

    /// <summary>Failed to start for a reason EchoHost did not foresee; the details follow the message.</summary>
    public const int StartupFailed = 1;

    /// <summary>The configuration is invalid: restarting will not help until it is fixed.</summary>
    public const int InvalidConfiguration = 2;

    /// <summary>An endpoint could not listen: its address is in use, not permitted or not on this machine.</summary>
    public const int EndpointUnavailable = 3;
}
