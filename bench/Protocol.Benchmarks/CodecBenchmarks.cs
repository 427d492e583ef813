using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;

namespace EchoHost.Protocol.Benchmarks;

/// <summary>
/// The codec's hot paths: reading a request frame and parsing its message (what the server does per request), and
/// writing a message frame (what it does per response).
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private const int LargeData = 64 * 1024;

    private ReadOnlySequence<byte> _request64;
    private ReadOnlySequence<byte> _request64InSegment;
    private ReadOnlySequence<byte> _request64With4Metadata;
    private ReadOnlySequence<byte> _request64KiB;
    private ReadOnlySequence<byte> _request64KiBIn4KiBSegments;
    private byte[] _data64KiB = [];
    private byte[] _data64 = [];
    private MetadataItem[] _metadata4 = [];
    private ArrayBufferWriter<byte> _writer = new();

    [GlobalSetup]
    public void Setup()
    {
        _data64 = new byte[64];
        _data64KiB = new byte[LargeData];
        Random.Shared.NextBytes(_data64KiB);
        _metadata4 =
        [
            new("content-type", Encoding.UTF8.GetBytes("application/json")),
            new("trace-id", Encoding.UTF8.GetBytes("4bf92f3577b34da6a3ce929d0e0e4736")),
            new("tenant", Encoding.UTF8.GetBytes("acme")),
            new("priority", Encoding.UTF8.GetBytes("high")),
        ];

        _request64 = new ReadOnlySequence<byte>(Frame(_data64, []));
        _request64InSegment = Segments.Split(Frame(_data64, []), 4096); // one segment of a chain, as a pipe gives it
        _request64With4Metadata = new ReadOnlySequence<byte>(Frame(_data64, _metadata4));
        byte[] large = Frame(_data64KiB, []);
        _request64KiB = new ReadOnlySequence<byte>(large);
        _request64KiBIn4KiBSegments = Segments.Split(large, 4096); // what a pipe of 4 KiB blocks hands the server
        _writer = new ArrayBufferWriter<byte>(2 * LargeData);
    }

    private static byte[] Frame(byte[] data, MetadataItem[] metadata)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteMessage(writer, FrameKind.Request, 42, MessageTypes.Echo, data, metadata);
        return writer.WrittenSpan.ToArray();
    }

    private static long Parse(in ReadOnlySequence<byte> input)
    {
        if (FrameReader.TryRead(input, global::EchoHost.Protocol.Frame.DefaultMaxFrameBytes, out Frame frame, out _, out _) != FrameReadStatus.Complete
            || !Message.TryParse(frame.Payload, out Message message))
        {
            throw new InvalidOperationException("The benchmark's input does not parse.");
        }

        return (long)message.Id + message.Data.Length + message.Metadata.Count;
    }

    [Benchmark(Description = "parse request, 64 B data")]
    public long ParseRequest64() => Parse(_request64);

    [Benchmark(Description = "parse request, 64 B data, pipe-like segment")]
    public long ParseRequest64InSegment() => Parse(_request64InSegment);

    [Benchmark(Description = "parse request, 64 B data + 4 metadata")]
    public long ParseRequest64With4Metadata() => Parse(_request64With4Metadata);

    [Benchmark(Description = "parse request, 64 KiB data")]
    public long ParseRequest64KiB() => Parse(_request64KiB);

    [Benchmark(Description = "parse request, 64 KiB data in 4 KiB segments")]
    public long ParseRequest64KiBSegmented() => Parse(_request64KiBIn4KiBSegments);

    [Benchmark(Description = "write message, 64 B data")]
    public int WriteMessage64()
    {
        _writer.ResetWrittenCount();
        FrameWriter.WriteMessage(_writer, FrameKind.Response, 42, MessageTypes.Echo, _data64, ReadOnlySpan<MetadataItem>.Empty);
        return _writer.WrittenCount;
    }

    [Benchmark(Description = "write message, 64 B data + 4 metadata")]
    public int WriteMessage64With4Metadata()
    {
        _writer.ResetWrittenCount();
        FrameWriter.WriteMessage(_writer, FrameKind.Response, 42, MessageTypes.Echo, _data64, _metadata4);
        return _writer.WrittenCount;
    }

    /// <summary>65,559 bytes on the wire (64 KiB data + 23): GB/s = 65,559 / mean in ns.</summary>
    [Benchmark(Description = "write message, 64 KiB data")]
    public int WriteMessage64KiB()
    {
        _writer.ResetWrittenCount();
        FrameWriter.WriteMessage(_writer, FrameKind.Response, 42, MessageTypes.Echo, _data64KiB, ReadOnlySpan<MetadataItem>.Empty);
        return _writer.WrittenCount;
    }
}
