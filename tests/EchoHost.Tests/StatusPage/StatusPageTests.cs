using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using EchoHost.Tests.Support;
using static EchoHost.Tests.WebSockets.WebSocketClient;

namespace EchoHost.Tests.StatusPage;

/// <summary>
/// The status page of the http endpoint: its figures as JSON, the page itself self-contained, and the page in a real
/// browser (headless Chromium) whose figures update and whose echo box gets its text back over the WebSocket.
/// </summary>
public class StatusPageTests
{
    [Fact]
    public async Task Status_json_lists_every_endpoint_with_its_counts()
    {
        await using var server = await StartServerAsync("Native");
        using var client = await ConnectAsync(server);
        await SendTextAsync(client, "counted");
        await ReceiveAsync(client);
        using var http = new HttpClient { Timeout = Loopback.Timeout };

        using var status = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://{server.EndPointOf("http")}/status.json")));

        var root = status.RootElement;
        Assert.Equal("Native", root.GetProperty("transport").GetString());
        Assert.Equal("/echo", root.GetProperty("webSocketPath").GetString());
        Assert.True(root.GetProperty("uptimeSeconds").GetInt64() >= 0);
        var endpoints = root.GetProperty("endpoints").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString() + "/" + e.GetProperty("protocol").GetString());
        Assert.Equal(["echo/echo", "framed/framed", "http/http", "http/websocket"], endpoints.Keys.Order(StringComparer.Ordinal));
        var webSockets = endpoints["http/websocket"];
        Assert.Equal($"ws://{server.EndPointOf("http")}/echo", webSockets.GetProperty("address").GetString());
        Assert.Equal(1, webSockets.GetProperty("activeConnections").GetInt64());
        Assert.Equal(1, webSockets.GetProperty("messages").GetInt64());
        Assert.Equal("counted".Length, webSockets.GetProperty("bytesReceived").GetInt64());
        Assert.Equal(JsonValueKind.Null, endpoints["echo/echo"].GetProperty("messages").ValueKind);
        Assert.Equal(JsonValueKind.Number, endpoints["echo/echo"].GetProperty("bytesSent").ValueKind);
        Assert.Equal(JsonValueKind.Null, endpoints["http/http"].GetProperty("bytesReceived").ValueKind);
        Assert.Equal(JsonValueKind.Null, endpoints["http/http"].GetProperty("bytesSent").ValueKind);
    }

    [Fact]
    public async Task The_page_is_one_self_contained_document()
    {
        await using var server = await StartServerAsync("Sockets");
        using var http = new HttpClient { Timeout = Loopback.Timeout };

        var response = await http.GetAsync(new Uri($"http://{server.EndPointOf("http")}/"));
        var page = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script>", page, StringComparison.Ordinal);
        Assert.Contains("<style>", page, StringComparison.Ordinal);

        // Nothing from elsewhere: no src or href attribute, no absolute URL.
        Assert.DoesNotMatch(new Regex(@"\b(src|href)\s*=", RegexOptions.IgnoreCase), page);
        Assert.DoesNotMatch(new Regex(@"https?://", RegexOptions.IgnoreCase), page);
    }

    [Fact]
    public async Task Turned_off_there_is_no_page()
    {
        await using var server = await StartServerAsync("Sockets", "--EchoHost:StatusPage:Enabled=false");
        using var http = new HttpClient { Timeout = Loopback.Timeout };

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri($"http://{server.EndPointOf("http")}/"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri($"http://{server.EndPointOf("http")}/status.json"))).StatusCode);
    }

    [Fact]
    public async Task In_a_browser_the_figures_update_and_the_echo_box_gets_its_text_back()
    {
        await using var server = await StartServerAsync("Native");
        await using var browser = await HeadlessBrowser.OpenAsync(new Uri($"http://{server.EndPointOf("http")}/"));

        // The page fetched its figures more than once, and shows every endpoint.
        await browser.WaitUntilAsync("Number(document.getElementById('updates')?.dataset.count) >= 2");
        Assert.Equal("Native (io_uring)", (await browser.EvaluateAsync("document.getElementById('transport').textContent")).GetString());
        var rows = (await browser.EvaluateAsync("[...document.querySelectorAll('#endpoints tr')].map(r => r.dataset.endpoint).join(' ')")).GetString();
        Assert.Equal("echo/echo framed/framed http/http http/websocket", rows);

        // A WebSocket opened by someone else shows up in the next update.
        using var other = await ConnectAsync(server);
        await browser.WaitUntilAsync("document.querySelector('tr[data-endpoint=\"http/websocket\"]').cells[3].textContent === '1'");

        // The echo box: its text goes over the page's own WebSocket and comes back, with the round trip.
        await browser.EvaluateAsync("document.getElementById('echo-input').value = 'hello from Chromium'; document.getElementById('echo-send').click()");
        await browser.WaitUntilAsync("document.getElementById('echo-reply')?.textContent === 'hello from Chromium'");
        var rtt = (await browser.EvaluateAsync("document.getElementById('echo-rtt').textContent")).GetString();
        Assert.Matches(@"^round trip \d+\.\d\d ms$", rtt);
        Assert.Equal(1, Counters(server).Messages(received: true, WebSocketMessageType.Text));

        // The picture of it, for the documentation (docs/status-page.png is one such).
        await browser.WaitUntilAsync("document.querySelector('tr[data-endpoint=\"http/websocket\"]').cells[3].textContent === '2'");
        var screenshot = await browser.ScreenshotAsync();
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, screenshot[..4]);
        await File.WriteAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "status-page.png"), screenshot);
    }
}
