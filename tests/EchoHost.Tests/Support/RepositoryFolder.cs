namespace EchoHost.Tests.Support;

/// <summary>The repository's root folder, found from the test's folder up to the one that holds EchoHost.sln.</summary>
internal static class RepositoryFolder
{
    public static string Find()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "EchoHost.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException($"No EchoHost.sln above {AppContext.BaseDirectory}.");
    }
}
