using System.Net.Sockets;
using EchoHost.Transport.Native.Internal;
using EchoHost.Transport.Native.Internal.Kqueue;
using FreeBsdKEvent = EchoHost.Transport.Native.Interop.FreeBsd.KEvent;
using MacOSKEvent = EchoHost.Transport.Native.Interop.MacOS.KEvent;

namespace EchoHost.Transport.Native.Tests;

/// <summary>The kqueue engine as the event loop sees it (add, remove, wait, wake), in both layouts, over the emulation.</summary>
public sealed class KqueuePollerTests
{
    private const int WaitLimit = 30_000;
    private const int EBADF = 9;

    public static TheoryData<string> Layouts => new() { "macOS", "FreeBSD" };

    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task Wake_ends_a_wait_and_is_reported_once(string layout)
    {
        using var poller = Create(layout);
        var events = new PollEvent[8];
        var wait = Task.Run(() => (Count: poller.Wait(events, WaitLimit, out bool woken), Woken: woken));
        poller.Wake();
        Assert.Equal((0, true), await wait.WaitAsync(TimeSpan.FromMilliseconds(2 * WaitLimit)));

        Assert.Equal(0, poller.Wait(events, 0, out bool again));
        Assert.False(again);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Readiness_is_reported_when_it_arrives_with_the_token(string layout)
    {
        using var poller = Create(layout);
        using var pair = new SocketPair();
        const ulong Token = (7ul << 32) | 3;
        Assert.Equal(0, poller.Add((int)pair.ServerFd, Token, Interest.Read | Interest.Write));
        Assert.Equal(new PollEvent(Token, Readiness.Writable), Assert.Single(Wait(poller, WaitLimit)));
        Assert.Empty(Wait(poller, 0));

        pair.Client.Send("data"u8);
        Assert.Contains(new PollEvent(Token, Readiness.Readable), Wait(poller, WaitLimit));

        // Edge-triggered: the data is still unread, and nothing more is reported.
        Assert.DoesNotContain(Wait(poller, 0), e => (e.Readiness & Readiness.Readable) != 0);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void The_peers_FIN_is_ReadClosed_and_a_reset_is_Closed(string layout)
    {
        using var poller = Create(layout);
        using var finished = new SocketPair();
        using var reset = new SocketPair();
        Assert.Equal(0, poller.Add((int)finished.ServerFd, 1, Interest.Read));
        Assert.Equal(0, poller.Add((int)reset.ServerFd, 2, Interest.Read | Interest.Write));

        finished.Client.Shutdown(SocketShutdown.Send);
        reset.Client.Reset();
        var seen = new List<PollEvent>();
        for (int i = 0; i < 6 && !(Has(seen, 1, Readiness.ReadClosed) && Has(seen, 2, Readiness.Closed)); i++)
        {
            seen.AddRange(Wait(poller, WaitLimit));
        }

        Assert.True(Has(seen, 1, Readiness.Readable | Readiness.ReadClosed), $"No ReadClosed for the FIN: {string.Join(", ", seen)}");
        Assert.DoesNotContain(seen, e => e.Token == 1 && (e.Readiness & Readiness.Closed) != 0);
        Assert.True(Has(seen, 2, Readiness.Closed), $"No Closed for the reset: {string.Join(", ", seen)}");
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Remove_stops_events_of_a_descriptor_registered_for_reading_only(string layout)
    {
        using var poller = Create(layout);
        using var pair = new SocketPair();
        Assert.Equal(0, poller.Add((int)pair.ServerFd, 5, Interest.Read));
        Assert.Equal(0, poller.Remove((int)pair.ServerFd));
        pair.Client.Send("late"u8);
        Assert.Empty(Wait(poller, 200));

        // Added again after its removal, it reports what is there.
        Assert.Equal(0, poller.Add((int)pair.ServerFd, 6, Interest.Read));
        Assert.Contains(new PollEvent(6, Readiness.Readable), Wait(poller, WaitLimit));
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Adding_a_descriptor_that_is_not_open_returns_EBADF(string layout)
    {
        using var poller = Create(layout);
        Assert.Equal(EBADF, poller.Add(1_000_000, 1, Interest.Read | Interest.Write));
    }

    private static IPoller Create(string layout)
    {
        KqueueShim.Install();
        return layout == "macOS" ? new KqueuePoller<MacOSKEvent>() : new KqueuePoller<FreeBsdKEvent>();
    }

    private static PollEvent[] Wait(IPoller poller, int timeoutMilliseconds)
    {
        var events = new PollEvent[16];
        int count = poller.Wait(events, timeoutMilliseconds, out _);
        Assert.True(count >= 0, $"Wait failed: errno {-count}.");
        return events[..count];
    }

    private static bool Has(List<PollEvent> events, ulong token, Readiness readiness)
        => events.Exists(e => e.Token == token && (e.Readiness & readiness) == readiness);
}
