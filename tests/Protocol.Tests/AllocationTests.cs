using System.Buffers;

namespace EchoHost.Protocol.Tests;

/// <summary>The hot paths allocate nothing: counted with the runtime's per-thread allocation counter, not timed.</summary>
public class AllocationTests
{
    private static readonly byte[] Request = Wire.Frame(0x01, Wire.Message(1, 0x10, new byte[64], 4)
        .Entry("a", "1").Entry("bb", "22").Entry("ccc", "333").Entry("dddd", "4444").ToArray());

    // Not Assert inside measured code: xunit's assertions may allocate.
    private static void Check(bool condition)
    {
        if (!condition)
        {
            throw new InvalidOperationException("check failed");
        }
    }

    private static long Allocated(Action action)
    {
        action(); // warm up: first calls may initialise statics
        action();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void Reading_and_parsing_a_request_allocates_nothing()
    {
        foreach ((string name, ReadOnlySequence<byte> input) in Shapes.Of(Request))
        {
            long allocated = Allocated(() =>
            {
                Check(FrameReader.TryRead(input, Frame.DefaultMaxFrameBytes, out Frame frame, out _, out _) == FrameReadStatus.Complete);
                Check(Message.TryParse(frame.Payload, out Message message));
                Check(message.Metadata.TryGetValue("dddd"u8, out _));
                int n = 0;
                foreach (MetadataEntry entry in message.Metadata)
                {
                    n += (int)entry.Value.Length;
                }

                Check(n == 10);
            });
            Assert.True(allocated == 0, $"{name}: {allocated} bytes");
        }
    }

    [Fact]
    public void Writing_messages_allocates_nothing()
    {
        var writer = new ArrayBufferWriter<byte>(1 << 20);
        MetadataItem[] items = [new("a", new byte[1]), new("content-type", new byte[10])];
        byte[] data = new byte[64];
        Assert.True(Message.TryParse(new ReadOnlySequence<byte>(Request, 8, Request.Length - 8), out Message request));
        long allocated = Allocated(() =>
        {
            writer.ResetWrittenCount();
            FrameWriter.WriteMessage(writer, FrameKind.Request, 1, 0x10, data, items);
            FrameWriter.WriteMessage(writer, FrameKind.Response, request.Id, request.Type, request.Data, request.Metadata);
            FrameWriter.WriteError(writer, 1, 0x10, ErrorCodes.HandlerFailed, "The handler failed.");
            FrameWriter.WriteFrame(writer, FrameKind.Pong, data);
        });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Validating_many_keys_allocates_nothing_once_the_pool_is_warm()
    {
        Wire wire = Wire.Message(1, 2, [], 1000);
        for (int i = 0; i < 1000; i++)
        {
            wire.Entry([(byte)(i & 0x7F), (byte)(i >> 7)], []);
        }

        var input = new ReadOnlySequence<byte>(wire.ToArray());
        Assert.Equal(0, Allocated(() => Check(Message.TryParse(input, out _))));
    }
}
