namespace EchoHost.EndToEnd.Tests.Support;

/// <summary><c>dotnet publish</c> of the service, as a user runs it, from the repository the tests were built from.</summary>
internal static class ServicePublish
{
    /// <summary>
    /// Publishes the service into <paramref name="output"/> with <paramref name="options"/> (runtime, configuration…),
    /// building in <paramref name="artifacts"/> so that the test host's own build stays untouched; returns what the
    /// SDK printed. Fails with that output if the publish fails or outlasts <paramref name="timeout"/>.
    /// </summary>
    public static Task<CommandResult> RunAsync(string output, string artifacts, TimeSpan timeout, params string[] options) =>
        Command.RunOrThrowAsync(EchoHostProcess.DotnetPath(), timeout, ProjectEnvironment(),
            ["publish", Repository.PathOf("src/EchoHost/EchoHost.csproj"), .. options, "-o", output, "--artifacts-path", artifacts, "-nologo"]);

    /// <summary>
    /// The environment for the SDK, without what the test host's own build left in it, which would point the
    /// publish at this build's settings.
    /// </summary>
    private static Dictionary<string, string?> ProjectEnvironment()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
            {
                environment[key] = null;
            }
        }

        return environment;
    }
}
