using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EchoHost.EndToEnd.Tests.Support;
using EchoHost.Protocol;

namespace EchoHost.EndToEnd.Tests;

/// <summary>
/// Three built EchoHost instances behind the real HAProxy and nginx of deploy/, on loopback: clients from several
/// addresses (127.0.0.2, 127.0.0.3, …) reach the instances through the proxy, which tells each instance who they are
/// with the PROXY protocol (version 2 from HAProxy, 1 from nginx). HAProxy's instances run the native transport and
/// nginx's the Sockets transport, except for the drain, which needs the native one (see DrainTests).
/// </summary>
public class LoadBalancerTests
{
    public static TheoryData<LoadBalancer> Proxies => new() { LoadBalancer.HAProxy, LoadBalancer.Nginx };

    private static string TransportOf(LoadBalancer proxy) => proxy == LoadBalancer.HAProxy ? "Native" : "Sockets";

    private static IPAddress Local(int last) => new([127, 0, 0, (byte)last]);

    /// <summary>Sends one Echo request and returns the answer's data, checking it is the Response to that request.</summary>
    private static async Task<byte[]> CallEchoAsync(Socket socket, ulong id, byte[] data)
    {
        await Loopback.SendAllAsync(socket, FramedTests.Request(id, MessageTypes.Echo, data));
        var (kind, payload) = await FramedTests.ReadFrameAsync(socket);
        Assert.Equal(FrameKind.Response, kind);
        Assert.True(Message.TryParse(new ReadOnlySequence<byte>(payload), out var message));
        Assert.Equal(id, message.Id);
        return message.Data.ToArray();
    }

    [Theory]
    [MemberData(nameof(Proxies))]
    public async Task Clients_of_several_addresses_get_exact_answers_from_instances_that_see_them(LoadBalancer proxy)
    {
        await using var balanced = await LoadBalancedInstances.StartAsync(proxy, TransportOf(proxy));
        var sockets = new List<Socket>();
        try
        {
            // Echo: six clients held open, so that least-connections balancing gives each instance two.
            var servedBy = new List<string>();
            for (var i = 0; i < 6; i++)
            {
                var socket = await Loopback.ConnectAsync(balanced.Echo, Local(2 + i));
                sockets.Add(socket);
                var payload = Loopback.Payload(50_000, seed: i);
                await Loopback.SendAllAsync(socket, payload);
                var echoed = new byte[payload.Length];
                await Loopback.ReadExactlyAsync(socket, echoed);
                Assert.Equal(payload, echoed);
                servedBy.Add((await balanced.ServingAsync(socket.LocalEndPoint!, "echo")).Name);
            }

            Assert.Equal(["a", "b", "c"], servedBy.Distinct().Order());

            // Framed: three clients, one on each instance, each with its own answers.
            servedBy.Clear();
            for (var i = 0; i < 3; i++)
            {
                var socket = await Loopback.ConnectAsync(balanced.Framed, Local(10 + i));
                sockets.Add(socket);
                var data = Encoding.UTF8.GetBytes($"framed from 127.0.0.{10 + i}");
                Assert.Equal(data, await CallEchoAsync(socket, (ulong)(100 + i), data));
                servedBy.Add((await balanced.ServingAsync(socket.LocalEndPoint!, "framed")).Name);
            }

            Assert.Equal(["a", "b", "c"], servedBy.Order());
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    /// <summary>The next frame, or null when the connection ends (or is reset) first.</summary>
    private static async Task<(FrameKind Kind, byte[] Payload)?> TryReadFrameAsync(Socket socket)
    {
        try
        {
            return await FramedTests.ReadFrameAsync(socket);
        }
        catch (Exception ex) when (ex is EndOfStreamException || ex is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return null;
        }
    }

    /// <summary><c>echohost_connections_rejected_total</c> of one endpoint and reason, as the instance's /metrics says (0 when absent).</summary>
    private static async Task<double> RejectedAsync(LoadBalancedInstances.Instance instance, string endpoint, string reason)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{instance.Http}"), Timeout = Loopback.Timeout };
        var exposition = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var line = exposition.Split('\n').SingleOrDefault(l => l.StartsWith("echohost_connections_rejected_total{", StringComparison.Ordinal)
            && l.Contains($"endpoint=\"{endpoint}\"", StringComparison.Ordinal) && l.Contains($"reason=\"{reason}\"", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Theory]
    [MemberData(nameof(Proxies))]
    public async Task MaxConnectionsPerAddress_counts_the_clients_behind_the_proxy_on_each_instance(LoadBalancer proxy)
    {
        await using var balanced = await LoadBalancedInstances.StartAsync(
            proxy,
            TransportOf(proxy),
            // On the framed endpoint only: on the http endpoint the limit would count HAProxy's health checks, one per backend.
            "--EchoHost:Endpoints:framed:Limits:MaxConnectionsPerAddress=1");
        var sockets = new List<Socket>();
        try
        {
            // Another client is served whatever the first one does.
            var other = await Loopback.ConnectAsync(balanced.Framed, Local(3));
            sockets.Add(other);
            Assert.Equal("other"u8.ToArray(), await CallEchoAsync(other, 1, "other"u8.ToArray()));

            // Four connections of one client over three instances: at least two meet on one instance, which refuses
            // the second; those served are each on an instance of their own.
            var served = new List<string>();
            var refused = 0;
            for (var i = 0; i < 4; i++)
            {
                var socket = await Loopback.ConnectAsync(balanced.Framed, Local(2));
                sockets.Add(socket);
                await Loopback.SendAllAsync(socket, FramedTests.Request((ulong)(10 + i), MessageTypes.Echo, "same"u8.ToArray()));
                var frame = await TryReadFrameAsync(socket);
                if (frame is not { Kind: FrameKind.Response })
                {
                    // Refused with GoAway; through a proxy the GoAway may be lost to the reset that closing with the
                    // request unread causes, so the instances' counts below say what it was.
                    Assert.True(frame is null || Encoding.UTF8.GetString(frame.Value.Payload) == "connection limit reached for this address");
                    refused++;
                }
                else
                {
                    served.Add((await balanced.ServingAsync(socket.LocalEndPoint!, "framed")).Name);
                }
            }

            var counted = 0.0;
            foreach (var instance in balanced.Instances)
            {
                counted += await RejectedAsync(instance, "framed", "address_max_connections");
            }

            Assert.True(refused == counted, $"{refused} refused, {counted} counted by the instances. {balanced.Describe()}");
            Assert.InRange(refused, 1, 3);
            Assert.Equal(served.Count, served.Distinct().Count());
            Assert.Equal("still"u8.ToArray(), await CallEchoAsync(other, 2, "still"u8.ToArray()));
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    [Theory]
    [MemberData(nameof(Proxies))]
    public async Task Sigterm_of_one_instance_loses_no_answer_and_new_clients_go_to_the_others(LoadBalancer proxy)
    {
        await using var balanced = await LoadBalancedInstances.StartAsync(proxy, "Native");
        using var streaming = await Loopback.ConnectAsync(balanced.Framed, Local(2));
        Assert.Equal("first"u8.ToArray(), await CallEchoAsync(streaming, 424242, "first"u8.ToArray()));
        var draining = await balanced.ServingAsync(streaming.LocalEndPoint!, "framed");

        var outcome = await DrainClient.RunAsync(streaming, stopAfter: 1000, draining.Process.Terminate);
        Assert.True(outcome.GoAway, "no GoAway before the end of the stream");
        Assert.Equal(0, await draining.Process.WaitForExitAsync());

        if (proxy == LoadBalancer.HAProxy)
        {
            // Its /readyz no longer answers 200: HAProxy takes it out of both backends.
            await balanced.WaitForServerDownAsync("echohost_framed", draining.Name);
            await balanced.WaitForServerDownAsync("echohost_echo", draining.Name);
        }

        // New clients are all served, by the two others (nginx finds the stopped one refusing and tries the next).
        for (var i = 0; i < 4; i++)
        {
            using var socket = await Loopback.ConnectAsync(balanced.Framed, Local(10 + i));
            var data = Encoding.UTF8.GetBytes($"after the drain {i}");
            Assert.Equal(data, await CallEchoAsync(socket, (ulong)i, data));
            Assert.NotEqual(draining.Name, (await balanced.ServingAsync(socket.LocalEndPoint!, "framed")).Name);
        }
    }

    [Fact]
    public async Task Headerless_forged_malformed_truncated_and_trickled_connections_are_closed_alone_and_prometheus_scrapes_every_instance()
    {
        await using var balanced = await LoadBalancedInstances.StartAsync(LoadBalancer.HAProxy, "Native");
        var target = balanced.Instances[0];
        using var bystander = await Loopback.ConnectAsync(balanced.Echo, Local(2));
        await Loopback.SendAllAsync(bystander, "before"u8.ToArray());
        var echoed = new byte[6];
        await Loopback.ReadExactlyAsync(bystander, echoed);

        // Straight to an instance's echo endpoint, past the proxy: each is closed with nothing echoed.
        async Task AssertClosedAsync(IPAddress from, byte[] sent, bool finish = false)
        {
            using var socket = await Loopback.ConnectAsync(target.Echo, from);
            await Loopback.SendAllAsync(socket, sent);
            if (finish)
            {
                socket.Shutdown(SocketShutdown.Send);
            }

            byte[] received;
            try
            {
                received = await Loopback.ReadToEndAsync(socket);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                received = [];
            }

            Assert.Empty(received);
        }

        // The proxies' readiness probes (connect, close) can reach an instance as connections that the proxy closed
        // before it sent a header: those count too, so the five below are counted from here.
        var before = await RejectedAsync(target, "echo", "proxy_protocol");
        var client = new IPEndPoint(Local(9), 5000);
        var header = Encoding.ASCII.GetBytes($"PROXY TCP4 127.0.0.9 127.0.0.1 5000 {((IPEndPoint)target.Echo).Port}\r\n");
        await AssertClosedAsync(IPAddress.Loopback, "no header\n"u8.ToArray());
        await AssertClosedAsync(Local(3), [.. header, .. "forged\n"u8]);
        await AssertClosedAsync(IPAddress.Loopback, "PROXY TCP4 127.0.0.9 127.0.0.1 5000\r\nmalformed\n"u8.ToArray());
        await AssertClosedAsync(IPAddress.Loopback, header[..20], finish: true);
        // Trickled: the start of a header, then nothing until the instance's deadline (2 s here) closes it.
        await AssertClosedAsync(IPAddress.Loopback, header[..10]);
        Assert.DoesNotContain($"accepted on echo from {client}", target.Process.Output, StringComparison.Ordinal);

        await Loopback.SendAllAsync(bystander, "after"u8.ToArray());
        echoed = new byte[5];
        await Loopback.ReadExactlyAsync(bystander, echoed);
        Assert.Equal("after"u8.ToArray(), echoed);

        // deploy/prometheus/prometheus.yml, with this run's ports and a one-second scrape.
        var yaml = balanced.Rewrite("deploy/prometheus/prometheus.yml")
            .Replace("scrape_interval: 15s", "scrape_interval: 1s", StringComparison.Ordinal)
            .Replace("scrape_timeout: 10s", "scrape_timeout: 1s", StringComparison.Ordinal);
        await using var prometheus = PrometheusServer.Start(yaml);
        var targetInstance = target.Http.ToString()!;
        var deadline = DateTime.UtcNow + EchoHostProcess.StartTimeout;
        while (true)
        {
            var up = await prometheus.QueryAsync("up{job=\"echohost\"} == 1");
            var rejected = await prometheus.QueryAsync("sum by (instance) (echohost_connections_rejected_total{job=\"echohost\", endpoint=\"echo\", reason=\"proxy_protocol\"})");
            if (up is { Count: 3 } && rejected?.FirstOrDefault(r => r.Labels["instance"] == targetInstance) is { } counted && counted.Value == before + 5)
            {
                Assert.Equal(balanced.Instances.Select(i => i.Http.ToString()).Order(), up.Select(r => r.Labels["instance"]).Order());
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Prometheus did not scrape the three instances with {before} + 5 rejections on {targetInstance}: up {up?.Count}, rejected {string.Join(", ", rejected?.Select(r => $"{r.Labels["instance"]}={r.Value}") ?? [])}. Targets: {await prometheus.TargetsAsync()}");
            await Task.Delay(500);
        }
    }
}
