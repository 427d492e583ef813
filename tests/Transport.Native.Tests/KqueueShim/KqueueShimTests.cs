using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Internal.Kqueue;
using FreeBsdKEvent = EchoHost.Transport.Native.Interop.FreeBsd.KEvent;
using MacOSKEvent = EchoHost.Transport.Native.Interop.MacOS.KEvent;

namespace EchoHost.Transport.Native.Tests;

/// <summary>
/// The kqueue emulation against kqueue(2)'s documented behaviour where an engine could be surprised, in both struct
/// layouts, through the transport's own declarations; and the layouts themselves.
/// </summary>
public sealed class KqueueShimTests
{
    private const int WaitLimit = 30_000;

    // Linux's errno values: the emulation runs on Linux and answers with its errors.
    private const int ENOENT = 2;
    private const int EBADF = 9;
    private const int EINVAL = 22;

    public static TheoryData<string> Layouts => new() { "macOS", "FreeBSD" };

    [Fact]
    public void Struct_kevent_has_each_systems_size_and_field_offsets()
    {
        // macOS: ident, filter, flags, fflags, data (intptr_t), udata; FreeBSD 12+: the same, data int64_t, then ext[4].
        Assert.Equal(32, Unsafe.SizeOf<MacOSKEvent>());
        Assert.Equal(32, Marshal.SizeOf<MacOSKEvent>());
        Assert.Equal(64, Unsafe.SizeOf<FreeBsdKEvent>());
        Assert.Equal(64, Marshal.SizeOf<FreeBsdKEvent>());
        string[] fields = ["_ident", "_filter", "_flags", "_fflags", "_data", "_udata"];
        int[] offsets = [0, 8, 10, 12, 16, 24];
        for (int i = 0; i < fields.Length; i++)
        {
            Assert.Equal(offsets[i], (int)Marshal.OffsetOf<MacOSKEvent>(fields[i]));
            Assert.Equal(offsets[i], (int)Marshal.OffsetOf<FreeBsdKEvent>(fields[i]));
        }

        Assert.Equal(32, (int)Marshal.OffsetOf<FreeBsdKEvent>("_ext"));
    }

    [Fact]
    public void Each_layout_has_its_systems_EVFILT_USER()
    {
        Assert.Equal(-10, MacOSKEvent.EVFILT_USER);
        Assert.Equal(-11, FreeBsdKEvent.EVFILT_USER);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void EV_CLEAR_reports_data_when_it_arrives_not_while_it_stays_unread(string layout)
        => On(layout, ClearIsEdgeTriggered<MacOSKEvent>, ClearIsEdgeTriggered<FreeBsdKEvent>);

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Without_EV_CLEAR_unread_data_is_reported_by_every_wait(string layout)
        => On(layout, LevelWithoutClear<MacOSKEvent>, LevelWithoutClear<FreeBsdKEvent>);

    [Theory]
    [MemberData(nameof(Layouts))]
    public void The_peers_FIN_sets_EV_EOF_on_the_read_filter_without_an_error(string layout)
        => On(layout, EofOnFin<MacOSKEvent>, EofOnFin<FreeBsdKEvent>);

    [Theory]
    [MemberData(nameof(Layouts))]
    public void A_reset_sets_EV_EOF_with_an_error_on_both_filters_and_leaves_the_error_to_recv(string layout)
        => On(layout, EofWithErrorOnReset<MacOSKEvent>, EofWithErrorOnReset<FreeBsdKEvent>);

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Deleting_a_filter_never_added_answers_ENOENT_in_an_EV_ERROR_entry(string layout)
        => On(layout, DeleteUnknown<MacOSKEvent>, DeleteUnknown<FreeBsdKEvent>);

    [Theory]
    [MemberData(nameof(Layouts))]
    public void A_user_event_triggered_from_another_thread_ends_a_wait_once(string layout)
        => On(layout, UserTrigger<MacOSKEvent>, UserTrigger<FreeBsdKEvent>);

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Flags_and_filters_not_emulated_are_refused_with_EINVAL(string layout)
        => On(layout, Unsupported<MacOSKEvent>, Unsupported<FreeBsdKEvent>);

    private static void On(string layout, Action macOS, Action freeBsd) => (layout == "macOS" ? macOS : freeBsd)();

    private static void ClearIsEdgeTriggered<TEvent>()
        where TEvent : unmanaged, IKevent<TEvent>
    {
        using var queue = new KqueueQueue<TEvent>();
        using var pair = new SocketPair();
        Assert.Equal(0, queue.Change(pair.ServerFd, TEvent.EVFILT_READ, (ushort)(TEvent.EV_ADD | TEvent.EV_CLEAR), udata: 42));
        Assert.Empty(queue.Wait(0));

        pair.Client.Send("hello"u8);
        var first = Assert.Single(queue.Wait(WaitLimit));
        Assert.Equal(pair.ServerFd, first.Ident);
        Assert.Equal(TEvent.EVFILT_READ, first.Filter);
        Assert.Equal(42ul, first.UserData);
        Assert.Equal(5, first.Data);
        Assert.NotEqual(0, first.Flags & TEvent.EV_CLEAR);
        Assert.Equal(0, first.Flags & TEvent.EV_EOF);

        // Still unread, but reported already: nothing until more arrives.
        Assert.Empty(queue.Wait(0));
        pair.Client.Send("abc"u8);
        var second = Assert.Single(queue.Wait(WaitLimit));
        Assert.Equal(8, second.Data);
    }

    private static void LevelWithoutClear<TEvent>()
        where TEvent : unmanaged, IKevent<TEvent>
    {
        using var queue = new KqueueQueue<TEvent>();
        using var pair = new SocketPair();
        Assert.Equal(0, queue.Change(pair.ServerFd, TEvent.EVFILT_READ, TEvent.EV_ADD, udata: 7));
        pair.Client.Send("x"u8);
        Assert.Equal(7ul, Assert.Single(queue.Wait(WaitLimit)).UserData);
        Assert.Equal(7ul, Assert.Single(queue.Wait(0)).UserData);

        // Read: nothing left to report.
        Assert.Equal(1, pair.Server.Receive(new byte[16]));
        Assert.Empty(queue.Wait(0));
    }

    private static void EofOnFin<TEvent>()
        where TEvent : unmanaged, IKevent<TEvent>
    {
        using var queue = new KqueueQueue<TEvent>();
        using var pair = new SocketPair();
        Assert.Equal(0, queue.Change(pair.ServerFd, TEvent.EVFILT_READ, (ushort)(TEvent.EV_ADD | TEvent.EV_CLEAR)));
        pair.Client.Send("end"u8);
        pair.Client.Shutdown(SocketShutdown.Send);

        // The data and the FIN may come as one edge or two; the last one says EV_EOF, with the data still readable.
        TEvent last = default;
        for (int i = 0; i < 2 && (last.Flags & TEvent.EV_EOF) == 0; i++)
        {
            last = Assert.Single(queue.Wait(WaitLimit));
        }

        Assert.Equal(TEvent.EVFILT_READ, last.Filter);
        Assert.NotEqual(0, last.Flags & TEvent.EV_EOF);
        Assert.Equal(0u, last.FilterFlags);
        Assert.Equal(3, last.Data);
    }

    private static void EofWithErrorOnReset<TEvent>()
        where TEvent : unmanaged, IKevent<TEvent>
    {
        using var queue = new KqueueQueue<TEvent>();
        using var pair = new SocketPair();
        ushort add = (ushort)(TEvent.EV_ADD | TEvent.EV_CLEAR);
        Assert.Equal(0, queue.Change(pair.ServerFd, TEvent.EVFILT_READ, add, udata: 1));
        Assert.Equal(0, queue.Change(pair.ServerFd, TEvent.EVFILT_WRITE, add, udata: 2));
        Assert.Equal(TEvent.EVFILT_WRITE, Assert.Single(queue.Wait(WaitLimit)).Filter);

        pair.Client.Reset();
        var events = new List<TEvent>();
        for (int i = 0; i < 4 && !(HasErrorEof(events, TEvent.EVFILT_READ) && HasErrorEof(events, TEvent.EVFILT_WRITE)); i++)
        {
            events.AddRange(queue.Wait(WaitLimit));
        }

        Assert.True(HasErrorEof(events, TEvent.EVFILT_READ), "No read event with EV_EOF and an error after a reset.");
        Assert.True(HasErrorEof(events, TEvent.EVFILT_WRITE), "No write event with EV_EOF and an error after a reset.");

        // The error was not consumed by the emulation: the receive reports it.
        var error = Assert.Throws<SocketException>(() => pair.Server.Receive(new byte[16]));
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    private static bool HasErrorEof<TEvent>(List<TEvent> events, short filter)
        where TEvent : unmanaged, IKevent<TEvent>
        => events.Exists(e => e.Filter == filter && (e.Flags & TEvent.EV_EOF) != 0 && e.FilterFlags != 0);

    private static void DeleteUnknown<TEvent>()
        where TEvent : unmanaged, IKevent<TEvent>
    {
        using var queue = new KqueueQueue<TEvent>();
        using var pair = new SocketPair();
        Assert.Equal(ENOENT, queue.Change(pair.ServerFd, TEvent.EVFILT_READ, TEvent.EV_DELETE));

        // Added for reading only: deleting the write filter is ENOENT, the read filter's deletion succeeds.
        Assert.Equal(0, queue.Change(pair.ServerFd, TEvent.EVFILT_READ, TEvent.EV_ADD));
        Assert.Equal(ENOENT, queue.Change(pair.ServerFd, TEvent.EVFILT_WRITE, TEvent.EV_DELETE));
        Assert.Equal(0, queue.Change(pair.ServerFd, TEvent.EVFILT_READ, TEvent.EV_DELETE));

        // Without EV_RECEIPT and with no room for the error, the call itself fails with it.
        var (result, _, errno) = queue.Kevent([TEvent.Create(pair.ServerFd, TEvent.EVFILT_READ, TEvent.EV_DELETE, 0, 0)], 0, null);
        Assert.Equal(-1, result);
        Assert.Equal(ENOENT, errno);

        // A descriptor that is not open.
        Assert.Equal(EBADF, queue.Change(1_000_000, TEvent.EVFILT_READ, TEvent.EV_ADD));
    }

    private static void UserTrigger<TEvent>()
        where TEvent : unmanaged, IKevent<TEvent>
    {
        using var queue = new KqueueQueue<TEvent>();
        Assert.Equal(ENOENT, queue.Change(1, TEvent.EVFILT_USER, 0, TEvent.NOTE_TRIGGER));
        Assert.Equal(0, queue.Change(1, TEvent.EVFILT_USER, (ushort)(TEvent.EV_ADD | TEvent.EV_CLEAR), udata: 99));
        Assert.Empty(queue.Wait(0));

        var wait = Task.Run(() => queue.Wait(WaitLimit));
        Assert.Equal(0, queue.Change(1, TEvent.EVFILT_USER, 0, TEvent.NOTE_TRIGGER, udata: 99));
        Assert.True(wait.Wait(TimeSpan.FromMilliseconds(2 * WaitLimit)), "The wait did not end.");
        var woken = Assert.Single(wait.Result);
        Assert.Equal(TEvent.EVFILT_USER, woken.Filter);
        Assert.Equal(1u, woken.Ident);
        Assert.Equal(99ul, woken.UserData);

        // EV_CLEAR: reported once per trigger.
        Assert.Empty(queue.Wait(0));
    }

    private static void Unsupported<TEvent>()
        where TEvent : unmanaged, IKevent<TEvent>
    {
        const ushort EV_ONESHOT = 0x0010;
        const short EVFILT_VNODE = -4;
        using var queue = new KqueueQueue<TEvent>();
        using var pair = new SocketPair();
        Assert.Equal(EINVAL, queue.Change(pair.ServerFd, TEvent.EVFILT_READ, (ushort)(TEvent.EV_ADD | EV_ONESHOT)));
        Assert.Equal(EINVAL, queue.Change(pair.ServerFd, EVFILT_VNODE, TEvent.EV_ADD));

        // Both filters of a descriptor are edge-triggered or both level: epoll has one registration per descriptor.
        Assert.Equal(0, queue.Change(pair.ServerFd, TEvent.EVFILT_READ, (ushort)(TEvent.EV_ADD | TEvent.EV_CLEAR)));
        Assert.Equal(EINVAL, queue.Change(pair.ServerFd, TEvent.EVFILT_WRITE, TEvent.EV_ADD));
    }
}

/// <summary>Closing a queue of the emulation closes every descriptor it holds. Counts descriptors, so runs alone.</summary>
[Collection(DescriptorCountingDefinition.Name)]
public sealed class KqueueShimDescriptorTests
{
    [Fact]
    public void Closing_a_queue_releases_its_descriptors()
    {
        const int Count = 20;
        var queues = new List<KqueueQueue<MacOSKEvent>>();
        new KqueueQueue<MacOSKEvent>().Dispose();
        int before = CountDescriptors();
        for (int i = 0; i < Count; i++)
        {
            queues.Add(new KqueueQueue<MacOSKEvent>());
        }

        // Each queue is an epoll instance and an eventfd for EVFILT_USER.
        Assert.True(CountDescriptors() >= before + (2 * Count), "The queues do not hold the descriptors they should.");
        queues.ForEach(queue => queue.Dispose());
        Assert.True(CountDescriptors() <= before + 2, $"{CountDescriptors()} descriptors open after closing {Count} queues; {before} before.");
    }

    private static int CountDescriptors() => Directory.GetFileSystemEntries("/proc/self/fd").Length;
}
