using System.Net;
using System.Net.Sockets;

namespace EchoHost.Transport.Native.Tests;

/// <summary>Client-side helpers on real sockets: connect, send everything, receive an exact amount, compare.</summary>
public static class Client
{
    /// <summary>How long one receive may wait for data before the test fails: generous, never a timing assertion.</summary>
    public static TimeSpan ReceiveLimit { get; } = TimeSpan.FromSeconds(30);

    /// <summary>Connects a new stream socket to <paramref name="endPoint"/> (TCP or Unix domain).</summary>
    public static async Task<Socket> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken, Action<Socket>? beforeConnect = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            beforeConnect?.Invoke(socket);
            await socket.ConnectAsync(endPoint, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends all of <paramref name="data"/>.</summary>
    public static async Task SendAllAsync(this Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        while (!data.IsEmpty)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }

    /// <summary>Receives exactly <paramref name="count"/> bytes; fails if the stream ends first.</summary>
    public static async Task<byte[]> ReceiveExactlyAsync(this Socket socket, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var buffer = new byte[count];
        int received = 0;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        while (received < count)
        {
            int n;
            limit.CancelAfter(ReceiveLimit);
            try
            {
                n = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, limit.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"No data came for {ReceiveLimit.TotalSeconds:N0} s after {received:N0} of {count:N0} bytes.");
            }

            if (n == 0)
            {
                throw new EndOfStreamException($"The stream ended after {received:N0} of {count:N0} bytes.");
            }

            received += n;
        }

        return buffer;
    }

    /// <summary>
    /// Sends <paramref name="payload"/> while reading the same number of bytes back (so that no payload size can
    /// deadlock on full buffers) and asserts they are the same.
    /// </summary>
    public static async Task AssertEchoesAsync(this Socket socket, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var receive = socket.ReceiveExactlyAsync(payload.Length, cancellationToken);
        await socket.SendAllAsync(payload, cancellationToken);
        var echoed = await receive;
        TestData.AssertSame(payload.Span, echoed);
    }

    /// <summary>
    /// Reads until the peer ends the stream; returns true for an orderly end (FIN: a 0-byte read) and false for a
    /// reset. Any byte that arrives first is a failure.
    /// </summary>
    public static async Task<bool> ReadEndAsync(this Socket socket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var buffer = new byte[256];
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(ReceiveLimit);
        try
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token);
            Assert.True(n == 0, $"Expected the end of the stream, got {n} more bytes.");
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The stream did not end (no FIN, no reset) within {ReceiveLimit.TotalSeconds:N0} s.");
        }
    }

    /// <summary>Closes <paramref name="socket"/> with a reset (RST) instead of a FIN.</summary>
    public static void Reset(this Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }
}

/// <summary>Deterministic test payloads and exact comparison.</summary>
public static class TestData
{
    /// <summary>Pseudo-random bytes: the same for the same length and seed, on every run.</summary>
    public static byte[] Create(int length, int seed)
    {
        var data = new byte[length];
#pragma warning disable CA5394 // Test data, not security: reproducible on purpose.
        new Random(seed).NextBytes(data);
#pragma warning restore CA5394
        return data;
    }

    /// <summary>Asserts that two byte sequences are equal, naming the first offset where they differ.</summary>
    public static void AssertSame(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual)
    {
        if (expected.SequenceEqual(actual))
        {
            return;
        }

        int common = Math.Min(expected.Length, actual.Length);
        int first = expected[..common].CommonPrefixLength(actual[..common]);
        Assert.Fail(first < common
            ? $"Bytes differ at offset {first} of {expected.Length}: expected 0x{expected[first]:X2}, got 0x{actual[first]:X2}."
            : $"Expected {expected.Length} bytes, got {actual.Length}; the first {common} are the same.");
    }
}
