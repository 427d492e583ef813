namespace EchoHost.Transport.Native.Internal;

/// <summary>A Linux kernel setting from <c>/proc/sys</c>, read once by whoever needs it.</summary>
internal static class KernelSetting
{
    /// <summary>The value of <paramref name="name"/> (e.g. <c>net/core/somaxconn</c>), or "" where it cannot be read.</summary>
    public static string Read(string name)
    {
        try
        {
            return File.ReadAllText("/proc/sys/" + name).Trim();
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
