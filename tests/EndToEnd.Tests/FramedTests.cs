using System.Buffers;
using System.Net.Sockets;
using System.Text;
using EchoHost.EndToEnd.Tests.Support;
using EchoHost.Protocol;

namespace EchoHost.EndToEnd.Tests;

/// <summary>A client's view of the framed endpoint of the built service.</summary>
public class FramedTests
{
    public static TheoryData<string, string> Transports => Support.Transports.All;

    internal static byte[] Request(ulong id, byte type, byte[] data, params MetadataItem[] metadata)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteMessage(writer, FrameKind.Request, id, type, data, metadata);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Reads one whole frame: its header first, then as many payload bytes as it says.</summary>
    internal static async Task<(FrameKind Kind, byte[] Payload)> ReadFrameAsync(Socket socket)
    {
        var header = new byte[Frame.HeaderSize];
        await Loopback.ReadExactlyAsync(socket, header);
        var length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header);
        var payload = new byte[length];
        await Loopback.ReadExactlyAsync(socket, payload);
        return ((FrameKind)header[4], payload);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Framed_endpoint_answers_an_echo_then_sigterm_sends_go_away(string build, string transport)
    {
        await using var process = EchoHostProcess.StartOnLoopback(build, transport);
        var endPoint = await process.EndPointAsync("framed");
        using var socket = await Loopback.ConnectAsync(endPoint);

        await Loopback.SendAllAsync(socket, Request(42, MessageTypes.Echo, Encoding.UTF8.GetBytes("hello, framed"), new MetadataItem("k", "v"u8.ToArray())));
        var (kind, payload) = await ReadFrameAsync(socket);

        Assert.Equal(FrameKind.Response, kind);
        Assert.True(Message.TryParse(new ReadOnlySequence<byte>(payload), out var response));
        Assert.Equal(42UL, response.Id);
        Assert.Equal(MessageTypes.Echo, response.Type);
        Assert.Equal("hello, framed", Encoding.UTF8.GetString(response.Data.ToArray()));
        Assert.True(response.Metadata.TryGetValue("k"u8, out var value));
        Assert.Equal("v"u8.ToArray(), value.ToArray());

        process.Terminate();

        var (goAway, reason) = await ReadFrameAsync(socket);
        Assert.Equal(FrameKind.GoAway, goAway);
        Assert.Equal("server shutting down", Encoding.UTF8.GetString(reason));
        Assert.True(await Loopback.WaitForCloseAsync(socket));
        Assert.Equal(0, await process.WaitForExitAsync());
    }
}
