using System.IO.Pipelines;
using EchoHost.Configuration;
using EchoHost.Connections;
using EchoHost.Limits;
using EchoHost.Protocol;
using EchoHost.ServiceManagers.Systemd;
using EchoHost.Serving.Framed;
using EchoHost.Tests.Framed;
using EchoHost.Tests.Support;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EchoHost.Tests;

/// <summary>
/// The rules that time decides, on a <see cref="FakeTimeProvider"/> that the test advances: the idle timeout, the
/// slow-frame rule, the token buckets, the handler timeout and the watchdog's interval. Nothing here sleeps.
/// </summary>
public sealed class TimeRulesTests
{
    private static readonly EndpointLimits Limits = new(
        0, 0, 0, 10, 0, 100, MaxTrackedAddresses: 2, IdleTimeout: TimeSpan.FromSeconds(3), MinFrameBytesPerSecond: 240, FrameGracePeriod: TimeSpan.FromSeconds(1));

    [Fact]
    public async Task A_connection_waiting_for_its_peer_times_out_idle_at_the_IdleTimeout_and_not_before()
    {
        var time = new FakeTimeProvider();
        var pipe = new Pipe();
        var watch = new ConnectionWatch(Limits, "c1", pipe.Reader, time);
        watch.WaitingForPeer();
        var read = pipe.Reader.ReadAsync();

        time.Advance(TimeSpan.FromMilliseconds(2999));
        Assert.Equal(ConnectionTimeout.None, watch.Check(time.Milliseconds(), framed: false));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(ConnectionTimeout.Idle, watch.Check(time.Milliseconds(), framed: false));

        Assert.Equal(ConnectionTimeout.Idle, watch.TimedOut);
        Assert.True((await read).IsCanceled);
    }

    [Fact]
    public void A_busy_connection_is_not_idle_however_long_it_stays_busy()
    {
        var time = new FakeTimeProvider();
        var watch = new ConnectionWatch(Limits, "c1", new Pipe().Reader, time);
        watch.Track(new Busy());
        watch.WaitingForPeer();

        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(ConnectionTimeout.None, watch.Check(time.Milliseconds(), framed: true));
    }

    [Fact]
    public void A_frame_arriving_below_the_minimum_rate_times_out_after_the_grace_period_and_a_faster_one_does_not()
    {
        var time = new FakeTimeProvider();
        var slow = new ConnectionWatch(Limits with { IdleTimeout = TimeSpan.Zero }, "slow", new Pipe().Reader, time);
        var fast = new ConnectionWatch(Limits with { IdleTimeout = TimeSpan.Zero }, "fast", new Pipe().Reader, time);
        foreach (var watch in new[] { slow, fast })
        {
            watch.Received();
            watch.FrameProgress(8, completedFrame: false);
            watch.WaitingForPeer();
        }

        time.Advance(TimeSpan.FromMilliseconds(1000));
        Assert.Equal(ConnectionTimeout.None, slow.Check(time.Milliseconds(), framed: true));
        fast.Received();
        fast.FrameProgress(400, completedFrame: false);
        fast.WaitingForPeer();
        time.Advance(TimeSpan.FromMilliseconds(500));

        Assert.Equal(ConnectionTimeout.SlowFrame, slow.Check(time.Milliseconds(), framed: true));
        Assert.Equal(ConnectionTimeout.None, fast.Check(time.Milliseconds(), framed: true));
    }

    [Fact]
    public void A_token_bucket_refills_at_its_rate_up_to_its_burst()
    {
        var time = new FakeTimeProvider();
        var bucket = new RateLimit(perSecond: 2, burst: 3, time.TimestampFrequency);
        long fullAt = 0;

        Assert.Equal([true, true, true, false], Enumerable.Range(0, 4).Select(_ => bucket.TryTake(ref fullAt, time.GetTimestamp())));
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(bucket.TryTake(ref fullAt, time.GetTimestamp()));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(bucket.TryTake(ref fullAt, time.GetTimestamp()));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal([true, true, true, false], Enumerable.Range(0, 4).Select(_ => bucket.TryTake(ref fullAt, time.GetTimestamp())));
    }

    [Fact]
    public async Task A_handler_that_does_not_answer_within_HandlerTimeout_is_answered_timeout_when_the_time_has_passed()
    {
        var time = new FakeTimeProvider();
        var handler = new FramedHandlerRegistration(0x50, _ => new NeverAnswers(), "never");
        await using var connection = new InMemoryFramedConnection(
            time,
            new Dictionary<string, string?> { ["EchoHost:Framed:HandlerTimeout"] = "00:00:05" },
            handler);

        await connection.SendAsync(FramedTestClient.Request(9, 0x50, "?"u8));
        var answer = connection.ReadFrameAsync();
        // The handler's timer starts when it has been called; time moves on until the answer is there.
        while (!answer.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }

        var frame = await answer;
        Assert.Equal((FrameKind.Error, 9ul, ErrorCodes.Timeout), (frame!.Kind, frame.Id, frame.Code));
        Assert.True(time.GetUtcNow() - time.Start >= TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task The_watchdog_pings_once_per_interval_of_the_time_it_is_given()
    {
        var time = new FakeTimeProvider();
        var notifier = new RecordingNotifier();
        using var watchdog = new SystemdWatchdog("2000000", null, notifier, time, NullLogger<SystemdWatchdog>.Instance);
        var interval = SystemdWatchdog.WatchdogInterval("2000000", null, Environment.ProcessId, out _)!.Value;

        await watchdog.StartedAsync(CancellationToken.None);
        time.Advance(interval - TimeSpan.FromMilliseconds(1));
        Assert.Empty(notifier.States);
        time.Advance(TimeSpan.FromMilliseconds(1));
        time.Advance(interval);

        Assert.Equal(["WATCHDOG=1", "WATCHDOG=1"], notifier.States);
        await watchdog.StoppedAsync(CancellationToken.None);
    }

    private sealed class Busy : IPendingWork
    {
        public int Pending => 1;
    }

    /// <summary>Waits for its request's cancellation, which comes once it has timed out.</summary>
    private sealed class NeverAnswers : FramedHandler
    {
        public override async ValueTask HandleAsync(FramedRequest request, FramedServerResponse response, CancellationToken cancellationToken) =>
            await new TaskCompletionSource().Task.WaitAsync(cancellationToken);
    }

    private sealed class RecordingNotifier : ISystemdNotifier
    {
        public List<string> States { get; } = [];

        public bool IsEnabled => true;

        public void Notify(ServiceState state) => States.Add(state.ToString());
    }
}
