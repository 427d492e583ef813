using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EchoHost.Tests.Support;

namespace EchoHost.Tests.StatusPage;

/// <summary>
/// Debian's Chromium, headless, driven through its DevTools protocol (a WebSocket of JSON commands): a real browser
/// that runs a page's script, so that a test can read what the page shows, act on it and take a screenshot.
/// </summary>
internal sealed class HeadlessBrowser : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _profile;
    private readonly ClientWebSocket _devTools;
    private int _lastId;

    private HeadlessBrowser(Process process, DirectoryInfo profile, ClientWebSocket devTools)
    {
        _process = process;
        _profile = profile;
        _devTools = devTools;
    }

    /// <summary>Starts Chromium on <paramref name="page"/> and connects to that page's DevTools endpoint.</summary>
    public static async Task<HeadlessBrowser> OpenAsync(Uri page)
    {
        var profile = Directory.CreateTempSubdirectory("echohost-chromium-");

        // The flags keep a headless Chromium from reaching for the network, which it does not have here; port 0 makes
        // it choose a free port and write it into DevToolsActivePort in its profile.
        var start = new ProcessStartInfo("chromium") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--remote-debugging-port=0", "--window-size=1000,720", $"--user-data-dir={profile.FullName}", page.AbsoluteUri,
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start");
        _ = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        try
        {
            var port = await ReadDevToolsPortAsync(profile);
            using var http = new HttpClient { Timeout = Loopback.Timeout };
            var targets = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/json/list")))!.AsArray();
            var target = targets.First(t => (string?)t!["type"] == "page")!;
            var devTools = new ClientWebSocket();
            await devTools.ConnectAsync(new Uri((string)target["webSocketDebuggerUrl"]!), CancellationToken.None);
            return new HeadlessBrowser(process, profile, devTools);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            profile.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page (awaiting a promise) and returns its value as JSON.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var result = await CallAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (result.TryGetProperty("exceptionDetails", out var exception))
        {
            throw new InvalidOperationException($"the page threw: {exception}");
        }

        return result.GetProperty("result").TryGetProperty("value", out var value) ? value.Clone() : default;
    }

    /// <summary>Evaluates <paramref name="condition"/> until it is true; fails after <see cref="Loopback.Timeout"/>.</summary>
    public async Task WaitUntilAsync(string condition)
    {
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        while ((await EvaluateAsync($"Boolean({condition})")).ValueKind != JsonValueKind.True)
        {
            try
            {
                await Task.Delay(100, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the page never satisfied {condition}");
            }
        }
    }

    /// <summary>A PNG of the page as the browser renders it.</summary>
    public async Task<byte[]> ScreenshotAsync()
    {
        var result = await CallAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" });
        return Convert.FromBase64String(result.GetProperty("data").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        _devTools.Abort();
        _devTools.Dispose();
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _profile.Delete(recursive: true);
    }

    private static async Task<int> ReadDevToolsPortAsync(DirectoryInfo profile)
    {
        var file = Path.Combine(profile.FullName, "DevToolsActivePort");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (File.Exists(file) && (await File.ReadAllLinesAsync(file, timeout.Token)) is [var port, ..] && int.TryParse(port, out var number))
            {
                return number;
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>Sends one command and returns its result, skipping the events that come meanwhile.</summary>
    private async Task<JsonElement> CallAsync(string method, JsonObject parameters)
    {
        var id = ++_lastId;
        var command = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        await _devTools.SendAsync(Encoding.UTF8.GetBytes(command.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await _devTools.ReceiveAsync(buffer, timeout.Token);
                message.Write(buffer, 0, received.Count);
            }
            while (!received.EndOfMessage);

            using var reply = JsonDocument.Parse(message.ToArray());
            if (reply.RootElement.TryGetProperty("id", out var replyId) && replyId.GetInt32() == id)
            {
                if (reply.RootElement.TryGetProperty("error", out var error))
                {
                    throw new InvalidOperationException($"{method} failed: {error}");
                }

                return reply.RootElement.GetProperty("result").Clone();
            }
        }
    }
}
