using System.Collections.ObjectModel;

namespace EchoHost.Client;

/// <summary>A server's Response to one request: its Id and Type, the handler's Data and Metadata (copies, owned by the caller).</summary>
public sealed class FramedClientResponse
{
    internal static readonly IReadOnlyDictionary<string, byte[]> NoMetadata = ReadOnlyDictionary<string, byte[]>.Empty;

    internal FramedClientResponse(ulong id, byte type, byte[] data, IReadOnlyDictionary<string, byte[]> metadata)
    {
        Id = id;
        Type = type;
        Data = data;
        Metadata = metadata;
    }

    /// <summary>The Id the client gave the request.</summary>
    public ulong Id { get; }

    /// <summary>The request's Type (the handler).</summary>
    public byte Type { get; }

    /// <summary>The handler's Data.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The handler's Metadata, by key (keys are case-sensitive).</summary>
    public IReadOnlyDictionary<string, byte[]> Metadata { get; }
}
