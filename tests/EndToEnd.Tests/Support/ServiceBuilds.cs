namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>
/// The two builds of the service every relevant test runs: the JIT build (<c>dotnet EchoHost.dll</c>) and the NativeAOT
/// executable (<see cref="NativeBuild"/>), so that what breaks only in one of them fails a test.
/// </summary>
public static class ServiceBuilds
{
    public const string Jit = "JIT";

    public const string NativeAot = "NativeAOT";

    public static TheoryData<string> Both => new() { Jit, NativeAot };

    /// <summary>The command that runs <paramref name="build"/>, before the service's own arguments.</summary>
    internal static string[] Command(string build) => build switch
    {
        Jit => [EchoHostProcess.DotnetPath(), EchoHostProcess.DllPath],
        NativeAot => [NativeBuild.ExecutablePath],
        _ => throw new ArgumentOutOfRangeException(nameof(build), build, $"Builds are {Jit} and {NativeAot}."),
    };
}
