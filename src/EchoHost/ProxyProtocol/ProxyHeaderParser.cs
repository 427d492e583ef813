using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace EchoHost.ProxyProtocol;

/// <summary>
/// Reads the PROXY protocol header (HAProxy's specification, versions 1 and 2) at the start of a connection, the
/// version told by its first bytes. Pure and zero-copy except for the addresses it returns; never throws for any input.
/// </summary>
internal static class ProxyHeaderParser
{
    /// <summary>The longest version 1 header, its <c>\r\n</c> included.</summary>
    public const int MaxV1Length = 107;

    /// <summary>A version 2 header's fixed part: signature, version and command, family, length.</summary>
    public const int V2FixedLength = 16;

    private const int V2Inet = 12;
    private const int V2Inet6 = 36;
    private const int V2Unix = 216;

    private static ReadOnlySpan<byte> V1Signature => "PROXY "u8;

    private static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>
    /// Reads the header at the start of <paramref name="input"/>. On <see cref="ProxyHeaderStatus.Complete"/>,
    /// <paramref name="consumed"/> is the position after it; otherwise the start of the input.
    /// </summary>
    public static ProxyHeaderStatus TryParse(in ReadOnlySequence<byte> input, out ProxyHeader header, out SequencePosition consumed)
    {
        header = default;
        consumed = input.Start;
        Span<byte> start = stackalloc byte[V2FixedLength];
        var available = (int)Math.Min(input.Length, V2FixedLength);
        input.Slice(0, available).CopyTo(start);
        start = start[..available];
        if (available == 0)
        {
            return ProxyHeaderStatus.Incomplete;
        }

        if (SharesPrefix(start, V1Signature))
        {
            return available < V1Signature.Length ? ProxyHeaderStatus.Incomplete : TryParseV1(input, out header, out consumed);
        }

        if (SharesPrefix(start, V2Signature))
        {
            return available < V2FixedLength ? ProxyHeaderStatus.Incomplete : TryParseV2(input, start, out header, out consumed);
        }

        return ProxyHeaderStatus.Missing;
    }

    private static bool SharesPrefix(ReadOnlySpan<byte> start, ReadOnlySpan<byte> signature)
    {
        var length = Math.Min(start.Length, signature.Length);
        return start[..length].SequenceEqual(signature[..length]);
    }

    /// <summary><c>PROXY TCP4|TCP6 SRC DST SRCPORT DSTPORT\r\n</c>, or <c>PROXY UNKNOWN</c> and anything to the line end.</summary>
    private static ProxyHeaderStatus TryParseV1(in ReadOnlySequence<byte> input, out ProxyHeader header, out SequencePosition consumed)
    {
        header = default;
        consumed = input.Start;
        var window = input.Slice(0, Math.Min(input.Length, MaxV1Length));
        if (window.PositionOf((byte)'\n') is not { } lineFeed)
        {
            return input.Length >= MaxV1Length ? ProxyHeaderStatus.TooLong : ProxyHeaderStatus.Incomplete;
        }

        Span<byte> buffer = stackalloc byte[MaxV1Length];
        var lineSequence = window.Slice(0, lineFeed);
        var line = buffer[..(int)lineSequence.Length];
        lineSequence.CopyTo(line);
        if (line.Length == 0 || line[^1] != (byte)'\r')
        {
            return ProxyHeaderStatus.Malformed;
        }

        line = line[V1Signature.Length..^1];
        if (line.StartsWith("UNKNOWN"u8) && (line.Length == 7 || line[7] == (byte)' '))
        {
            header = new ProxyHeader(1, IsLocal: false, null, null);
        }
        else if (!TryParseV1Addresses(line, out header))
        {
            return ProxyHeaderStatus.Malformed;
        }

        consumed = input.GetPosition(1, lineFeed);
        return ProxyHeaderStatus.Complete;
    }

    private static bool TryParseV1Addresses(ReadOnlySpan<byte> line, out ProxyHeader header)
    {
        header = default;
        Span<Range> fields = stackalloc Range[5];
        var count = 0;
        foreach (var field in line.Split((byte)' '))
        {
            if (count == fields.Length)
            {
                return false;
            }

            fields[count++] = field;
        }

        if (count != fields.Length)
        {
            return false;
        }

        var family = line[fields[0]];
        var v4 = family.SequenceEqual("TCP4"u8);
        if (!v4 && !family.SequenceEqual("TCP6"u8))
        {
            return false;
        }

        if (!TryParseV1Address(line[fields[1]], v4, out var source) || !TryParseV1Address(line[fields[2]], v4, out var destination)
            || !TryParsePort(line[fields[3]], out var sourcePort) || !TryParsePort(line[fields[4]], out var destinationPort))
        {
            return false;
        }

        header = new ProxyHeader(1, IsLocal: false, new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort));
        return true;
    }

    private static bool TryParseV1Address(ReadOnlySpan<byte> text, bool v4, out IPAddress address)
    {
        address = IPAddress.None;
        // IPAddress also reads "1", octal and hex forms and scope ids, which the specification does not allow.
        foreach (var b in text)
        {
            var allowed = char.IsAsciiDigit((char)b) || (v4 ? b == '.' : b == ':' || char.IsAsciiHexDigit((char)b) || b == '.');
            if (!allowed)
            {
                return false;
            }
        }

        if (v4 && !IsDottedDecimal(text))
        {
            return false;
        }

        Span<char> chars = stackalloc char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            chars[i] = (char)text[i];
        }

        if (!IPAddress.TryParse(chars, out var parsed) || parsed.AddressFamily != (v4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6))
        {
            return false;
        }

        address = parsed;
        return true;
    }

    /// <summary>Four decimal octets without leading zeros, which IPAddress would read as octal.</summary>
    private static bool IsDottedDecimal(ReadOnlySpan<byte> text)
    {
        var octets = 0;
        foreach (var octet in text.Split((byte)'.'))
        {
            var digits = text[octet];
            if (++octets > 4 || digits.Length is 0 or > 3 || (digits[0] == '0' && digits.Length > 1))
            {
                return false;
            }
        }

        return octets == 4;
    }

    /// <summary>0 to 65535 in decimal, without leading zeros.</summary>
    private static bool TryParsePort(ReadOnlySpan<byte> text, out int port)
    {
        port = 0;
        if (text.Length is 0 or > 5 || (text[0] == '0' && text.Length > 1))
        {
            return false;
        }

        foreach (var b in text)
        {
            if (!char.IsAsciiDigit((char)b))
            {
                return false;
            }

            port = (port * 10) + (b - '0');
        }

        return port <= IPEndPoint.MaxPort;
    }

    /// <summary>The 16-byte fixed part in <paramref name="fixedPart"/>, then the address block and TLVs, which are skipped.</summary>
    private static ProxyHeaderStatus TryParseV2(in ReadOnlySequence<byte> input, ReadOnlySpan<byte> fixedPart, out ProxyHeader header, out SequencePosition consumed)
    {
        header = default;
        consumed = input.Start;
        var version = fixedPart[12] >> 4;
        var command = fixedPart[12] & 0xF;
        var family = fixedPart[13] >> 4;
        var transport = fixedPart[13] & 0xF;
        int length = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[14..]);
        if (version != 2 || command > 1 || family > 3 || transport > 2)
        {
            return ProxyHeaderStatus.Malformed;
        }

        // LOCAL (command 0) carries no addresses that count; PROXY's address block must fit in the declared length.
        var addressLength = command == 0 ? 0 : family switch { 1 => V2Inet, 2 => V2Inet6, 3 => V2Unix, _ => 0 };
        if (length < addressLength)
        {
            return ProxyHeaderStatus.Malformed;
        }

        if (input.Length < V2FixedLength + length)
        {
            return ProxyHeaderStatus.Incomplete;
        }

        IPEndPoint? source = null;
        IPEndPoint? destination = null;
        if (addressLength is V2Inet or V2Inet6)
        {
            Span<byte> block = stackalloc byte[V2Inet6];
            block = block[..addressLength];
            input.Slice(V2FixedLength, addressLength).CopyTo(block);
            var size = addressLength == V2Inet ? 4 : 16;
            var ports = block[(2 * size)..];
            source = new IPEndPoint(new IPAddress(block[..size]), BinaryPrimitives.ReadUInt16BigEndian(ports));
            destination = new IPEndPoint(new IPAddress(block[size..(2 * size)]), BinaryPrimitives.ReadUInt16BigEndian(ports[2..]));
        }

        header = new ProxyHeader(2, IsLocal: command == 0, source, destination);
        consumed = input.GetPosition(V2FixedLength + length);
        return ProxyHeaderStatus.Complete;
    }
}
