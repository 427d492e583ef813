using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using EchoHost.Protocol;

namespace EchoHost.Serving.Framed;

/// <summary>
/// A handler for one message Type of the framed protocol. An application's serves a Type from 0x50 to 0xEF; register
/// it with <see cref="FramedServiceCollectionExtensions.AddFramedHandler{THandler}"/>. The built-in handlers (Echo,
/// Reverse, Uppercase, Stats) are handlers of this kind too, answering on the fast path. One instance serves every
/// connection, concurrently, so it must be thread-safe.
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
    /// The fast path: answer now by writing into <paramref name="response"/> (a Response, or an Error with
    /// <see cref="FramedServerResponse.SetError"/>) and returning true, or return false
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
/// What a handler answers: a Response, whose Data it writes through <see cref="Data"/> and whose Metadata it adds with
/// <see cref="AddMetadata"/>, or an Error, set with <see cref="SetError"/>. The server writes the frame, with the
/// request's Id and Type, once the handler returns. A Response or Error whose payload is longer than
/// <c>EchoHost:Framed:MaxFrameBytes</c> is answered with <c>handler_failed</c> instead.
/// </summary>
public sealed class FramedServerResponse
{
    // Past this, the buffer of a connection's reused response goes back to the pool after use rather than being kept.
    private const int RetainedCapacity = 64 * 1024;

    // The Error's metadata: MetadataCount (counted in Message.MinimumSize), then one entry of KeyLength, Key, ValueLength, Value.
    private static readonly int ErrorMetadataLength = 2 + ErrorCodes.MetadataKey.Length + 2;

    private readonly PooledBufferWriter _data = new();
    private readonly List<MetadataItem> _metadata = [];
    private long _encodedMetadataLength;

    // Set by EchoRequest: the request's own Data and Metadata are the Response's, written to the output unchanged.
    private bool _echoesRequest;
    private ReadOnlySequence<byte> _requestData;
    private MessageMetadata _requestMetadata;

    private string? _errorCode;
    private string _errorText = "";
    private int _errorTextLength;

    internal FramedServerResponse()
    {
    }

    /// <summary>Where the handler writes the Response's Data.</summary>
    public IBufferWriter<byte> Data => _data;

    /// <summary>The code of the Error the handler answers with, or null when it answers with a Response.</summary>
    internal string? ErrorCode => _errorCode;

    /// <summary>The text of the Error the handler answers with.</summary>
    internal string ErrorText => _errorText;

    /// <summary>The bytes of the answer's payload: the message's fixed fields, Data and the encoded metadata.</summary>
    internal long PayloadLength => _errorCode is not null
        ? Message.MinimumSize + _errorTextLength + ErrorMetadataLength + _errorCode.Length
        : _echoesRequest
            ? Message.MinimumSize + _requestData.Length + _requestMetadata.EncodedEntries.Length
            : Message.MinimumSize + _data.WrittenCount + _encodedMetadataLength;

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

    /// <summary>
    /// Answers with an Error frame instead of a Response: <paramref name="text"/>, for people, as its Data and
    /// <paramref name="code"/> as its <c>code</c> metadata. Whatever the handler wrote to <see cref="Data"/> or added
    /// with <see cref="AddMetadata"/> is not sent; a later call replaces the Error. A handler may send the codes that
    /// docs/protocol.md gives a handler's own answer: <see cref="ErrorCodes.InvalidUtf8"/> (the request's Data is not
    /// the UTF-8 text the handler needs) and <see cref="ErrorCodes.HandlerFailed"/> (the handler could not answer).
    /// The others are the server's to send.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="code"/> is not one a handler may send, or an argument is null.</exception>
    public void SetError(string code, string text)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(text);
        if (code is not (ErrorCodes.InvalidUtf8 or ErrorCodes.HandlerFailed))
        {
            throw new ArgumentException(
                $"A handler may answer with the error codes '{ErrorCodes.InvalidUtf8}' and '{ErrorCodes.HandlerFailed}' only, not '{code}'; the others are the server's.",
                nameof(code));
        }

        _errorCode = code;
        _errorText = text;
        _errorTextLength = Encoding.UTF8.GetByteCount(text);
    }

    /// <summary>
    /// Answers with the request's own Data and Metadata, which the server then copies from the input straight into the
    /// output (an echo: no copy in between). They are slices of the input, so the answer must be written before the
    /// input is advanced: on the fast path, before the handler's call returns to the read loop.
    /// </summary>
    internal void EchoRequest(in FramedRequest request)
    {
        _echoesRequest = true;
        _requestData = request.Data;
        _requestMetadata = request.Metadata;
    }

    /// <summary>Writes the Response frame this response holds (not an Error: see <see cref="ErrorCode"/>).</summary>
    internal void WriteResponse(IBufferWriter<byte> output, ulong id, byte type)
    {
        if (_echoesRequest)
        {
            FrameWriter.WriteMessage(output, FrameKind.Response, id, type, _requestData, _requestMetadata);
        }
        else
        {
            FrameWriter.WriteMessage(output, FrameKind.Response, id, type, _data.WrittenSpan, CollectionsMarshal.AsSpan(_metadata));
        }
    }

    /// <summary>Makes the response empty again, for the connection's next synchronous answer.</summary>
    internal void Reset()
    {
        _data.Clear(RetainedCapacity);
        _metadata.Clear();
        _encodedMetadataLength = 0;

        // The request's slices are let go of: they point into an input buffer that is about to be reused.
        _echoesRequest = false;
        _requestData = default;
        _requestMetadata = default;
        _errorCode = null;
        _errorText = "";
        _errorTextLength = 0;
    }
}
