using System.Diagnostics;

namespace EchoHost.LoadGen.Tests;

/// <summary>Debian's Chromium, headless, as a real browser that loads a page and gives back its DOM.</summary>
internal static class HeadlessChromium
{
    /// <summary>The document as the browser built it from <paramref name="path"/>, serialized (<c>--dump-dom</c>).</summary>
    public static string DumpDom(string path)
    {
        var profile = Directory.CreateTempSubdirectory("echohost-chromium-");
        try
        {
            // The flags keep a headless Chromium from reaching for the network, which it does not have here.
            var startInfo = new ProcessStartInfo("chromium")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                $"--user-data-dir={profile.FullName}", "--dump-dom", new Uri(path).AbsoluteUri,
            })
            {
                startInfo.ArgumentList.Add(argument);
            }

            using var browser = Process.Start(startInfo) ?? throw new InvalidOperationException("chromium did not start");
            var dom = browser.StandardOutput.ReadToEndAsync();
            _ = browser.StandardError.ReadToEndAsync();
            if (!browser.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                browser.Kill(entireProcessTree: true);
                throw new TimeoutException("chromium did not finish loading the page within 60 s");
            }

            Assert.True(browser.ExitCode == 0, $"chromium exited with {browser.ExitCode}");
            return dom.Result;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}
