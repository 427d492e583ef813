using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using EchoHost.Protocol.Tests;
using EchoHost.ProxyProtocol;

namespace EchoHost.Tests.ProxyProtocol;

/// <summary>
/// The PROXY header parser's fuzzing entry point, as the frame parser's: a seeded corpus of mutated headers, each held
/// to the parser's invariants. For a longer run set the number of inputs and the seed:
/// <c>ECHOHOST_FUZZ_INPUTS=5000000 ECHOHOST_FUZZ_SEED=$RANDOM dotnet test tests/EchoHost.Tests -c Release --filter FullyQualifiedName~ProxyHeaderFuzz</c>.
/// A finding names its seed and input number, and shows the input.
/// </summary>
public class ProxyHeaderFuzzTests
{
    private const int DefaultInputs = 100_000;
    private const int DefaultSeed = 1512;

    [Fact]
    public void A_seeded_corpus_of_mutated_headers_keeps_every_parser_invariant()
    {
        int inputs = Setting("ECHOHOST_FUZZ_INPUTS", DefaultInputs);
        int seed = Setting("ECHOHOST_FUZZ_SEED", DefaultSeed);
        var mutator = new ProxyHeaderMutator(seed);
        var random = new Random(seed);
        var statuses = new int[Enum.GetValues<ProxyHeaderStatus>().Length];
        for (int i = 0; i < inputs; i++)
        {
            byte[] input = mutator.Next();
            int[] chunks = mutator.ChunkSizes();
            try
            {
                statuses[(int)AssertBehaves(input, chunks, random)]++;
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException(
                    string.Create(CultureInfo.InvariantCulture, $"Seed {seed}, input {i} (chunks {string.Join(',', chunks)}): {Convert.ToHexString(input)}"),
                    ex);
            }
        }

        // The corpus reaches every outcome, so that none of the invariants holds for want of cases.
        Assert.DoesNotContain(0, statuses);
    }

    /// <summary>The invariants of one input; returns its status.</summary>
    private static ProxyHeaderStatus AssertBehaves(byte[] input, int[] chunks, Random random)
    {
        var whole = Parse(new ReadOnlySequence<byte>(input));

        // Where the reads split the input does not matter.
        Assert.Equal(whole, Parse(TestSequences.Split(input, chunks)));

        // A shorter input gives the same answer, or asks for more; never another answer.
        for (int probe = 0; probe < 3; probe++)
        {
            int length = random.Next(input.Length + 1);
            var prefix = Parse(new ReadOnlySequence<byte>(input, 0, length));
            if (prefix.Status != ProxyHeaderStatus.Incomplete)
            {
                Assert.Equal(whole.Status, prefix.Status);
                if (whole.Status == ProxyHeaderStatus.Complete)
                {
                    Assert.Equal(whole, prefix);
                }
            }
            else if (whole.Status == ProxyHeaderStatus.Complete)
            {
                Assert.True(length < whole.Consumed);
            }
        }

        switch (whole.Status)
        {
            case ProxyHeaderStatus.Complete:
                Assert.InRange(whole.Consumed, 1, input.Length);
                Assert.Equal(whole, Parse(new ReadOnlySequence<byte>(input, 0, (int)whole.Consumed)));
                AssertAddressesAreWhatWasSent(input, whole);
                break;
            case ProxyHeaderStatus.Incomplete:
                Assert.InRange(input.Length, 0, ProxyHeaderParser.V2FixedLength + ushort.MaxValue - 1);
                break;
            case ProxyHeaderStatus.TooLong:
                Assert.True(input.Length >= ProxyHeaderParser.MaxV1Length);
                break;
            default:
                Assert.Equal(0, whole.Consumed);
                break;
        }

        return whole.Status;
    }

    /// <summary>The addresses read are the bytes sent: written again the way a proxy writes them, they are found in the input.</summary>
    private static void AssertAddressesAreWhatWasSent(byte[] input, (ProxyHeaderStatus, ProxyHeader Header, long Consumed) result)
    {
        var (version, local, source, destination) = result.Header;
        if (source is null)
        {
            Assert.Null(destination);
            return;
        }

        Assert.False(local);
        var sent = input.AsSpan(0, (int)result.Consumed);
        if (version == 1)
        {
            if (source.AddressFamily == AddressFamily.InterNetwork)
            {
                Assert.Equal(ProxyHeaders.V1(source, destination!), sent.ToArray());
            }
        }
        else
        {
            var block = ProxyHeaders.V2(source, destination!).AsSpan(ProxyHeaderParser.V2FixedLength);
            Assert.True(sent[ProxyHeaderParser.V2FixedLength..].StartsWith(block));
        }
    }

    private static (ProxyHeaderStatus Status, ProxyHeader Header, long Consumed) Parse(ReadOnlySequence<byte> input)
    {
        var status = ProxyHeaderParser.TryParse(input, out var header, out var consumed);
        return (status, header, input.Slice(0, consumed).Length);
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : fallback;
}
