using System.Buffers;
using System.Text;
using EchoHost.Protocol;

namespace EchoHost.Serving.Framed;

/// <summary>
/// An application's handler for one message Type (0x50 to 0xEF) of the framed protocol; register it with
/// <see cref="FramedServiceCollectionExtensions.AddFramedHandler{THandler}"/>. One instance serves every connection,
/// concurrently, so it must be thread-safe.
/// </summary>
/// <remarks>
/// The server first calls <see cref="TryHandle"/> on the connection's read loop: a handler that can answer at once,
/// without waiting for anything, answers there with no allocation and no thread switch. When it returns false, the
/// server copies the request and calls <see cref="HandleAsync"/> on the thread pool, bounded per connection by
/// <c>EchoHost:Framed:MaxInFlightPerConnection</c> and over the process by <c>MaxConcurrentHandlers</c>, and answers
/// <c>timeout</c> if it runs past <c>HandlerTimeout</c>. An exception from either method is answered with
/// <c>handler_failed</c> and logged; the connection stays open.
/// </remarks>
public abstract class FramedHandler
{
    /// <summary>
    /// The fast path: answer now by writing into <paramref name="response"/> and returning true, or return false
    /// (writing nothing) to be called on <see cref="HandleAsync"/> instead. It runs on the connection's read loop,
    /// possibly on a transport thread: it must not block. <paramref name="request"/>'s data and metadata are slices
    /// of the connection's input buffer, valid only during the call. The default returns false.
    /// </summary>
    public virtual bool TryHandle(in FramedRequest request, FramedServerResponse response) => false;

    /// <summary>
    /// The asynchronous path. <paramref name="request"/> owns a copy of its data, valid until the returned task
    /// completes. <paramref name="cancellationToken"/> is cancelled when the handler timeout passes or the
    /// connection is lost; the request is answered then whether or not the handler stops.
    /// </summary>
    public abstract ValueTask HandleAsync(FramedRequest request, FramedServerResponse response, CancellationToken cancellationToken);
}

/// <summary>A request as a handler sees it: the Message of a Request frame (docs/protocol.md, "Message").</summary>
public readonly struct FramedRequest
{
    internal FramedRequest(in Message message)
    {
        Id = message.Id;
        Type = message.Type;
        Data = message.Data;
        Metadata = message.Metadata;
    }

    /// <summary>Chosen by the client; the server returns it unchanged in the answer.</summary>
    public ulong Id { get; }

    /// <summary>The message Type: the handler's.</summary>
    public byte Type { get; }

    /// <summary>The request's data.</summary>
    public ReadOnlySequence<byte> Data { get; }

    /// <summary>The request's metadata: unique, case-sensitive UTF-8 keys and byte values.</summary>
    public MessageMetadata Metadata { get; }
}

/// <summary>
/// What a handler answers: the Response's Data, written through <see cref="Data"/>, and its Metadata. The server writes
/// the Response frame, with the request's Id and Type, once the handler returns.
/// </summary>
public sealed class FramedServerResponse
{
    // Past this, the buffer of a connection's reused response is dropped after use rather than kept for the next one.
    private const int RetainedCapacity = 64 * 1024;

    private ArrayBufferWriter<byte> _data = new();
    private readonly List<MetadataItem> _metadata = [];
    private long _encodedMetadataLength;

    internal FramedServerResponse()
    {
    }

    /// <summary>Where the handler writes the Response's Data.</summary>
    public IBufferWriter<byte> Data => _data;

    internal ReadOnlySpan<byte> WrittenData => _data.WrittenSpan;

    internal ReadOnlySpan<MetadataItem> Metadata => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_metadata);

    /// <summary>The bytes of the Response's payload: the message's fixed fields, Data and the encoded metadata.</summary>
    internal long PayloadLength => Message.MinimumSize + _data.WrittenCount + _encodedMetadataLength;

    /// <summary>
    /// Adds a metadata entry. <paramref name="key"/> is 1 to 65535 bytes of UTF-8 and unique in the response;
    /// <paramref name="value"/> is at most 65535 bytes and must stay unchanged until the handler has returned.
    /// </summary>
    /// <exception cref="ArgumentException">The key is empty, too long or already added, or the value is too long.</exception>
    public void AddMetadata(string key, ReadOnlyMemory<byte> value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var keyLength = Encoding.UTF8.GetByteCount(key);
        if (keyLength > ushort.MaxValue)
        {
            throw new ArgumentException("A metadata key is at most 65535 bytes of UTF-8.", nameof(key));
        }

        if (value.Length > ushort.MaxValue)
        {
            throw new ArgumentException("A metadata value is at most 65535 bytes.", nameof(value));
        }

        foreach (var item in _metadata)
        {
            if (string.Equals(item.Key, key, StringComparison.Ordinal))
            {
                throw new ArgumentException($"The metadata key '{key}' is already in the response.", nameof(key));
            }
        }

        _metadata.Add(new MetadataItem(key, value));
        _encodedMetadataLength += 4 + keyLength + value.Length;
    }

    /// <summary>Makes the response empty again, for the connection's next synchronous answer.</summary>
    internal void Reset()
    {
        if (_data.Capacity > RetainedCapacity)
        {
            _data = new ArrayBufferWriter<byte>();
        }
        else
        {
            _data.ResetWrittenCount();
        }

        _metadata.Clear();
        _encodedMetadataLength = 0;
    }
}
