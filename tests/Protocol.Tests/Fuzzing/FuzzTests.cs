using System.Globalization;

namespace EchoHost.Protocol.Tests.Fuzzing;

/// <summary>
/// The frame parser's fuzzing entry point: a seeded corpus of mutated frames, each held to <see cref="ParserOracle"/>.
/// In the default run it is a fixed corpus; for a longer run set the number of inputs and the seed:
/// <c>ECHOHOST_FUZZ_INPUTS=5000000 ECHOHOST_FUZZ_SEED=$RANDOM dotnet test tests/Protocol.Tests -c Release --filter FullyQualifiedName~Fuzz</c>.
/// A finding names its seed and input number, and shows the input.
/// </summary>
public class FuzzTests
{
    private const int DefaultInputs = 100_000;
    private const int DefaultSeed = 1513;

    [Fact]
    public void A_seeded_corpus_of_mutated_frames_keeps_every_parser_invariant()
    {
        int inputs = Setting("ECHOHOST_FUZZ_INPUTS", DefaultInputs);
        int seed = Setting("ECHOHOST_FUZZ_SEED", DefaultSeed);
        var mutator = new FrameMutator(seed);
        for (int i = 0; i < inputs; i++)
        {
            byte[] input = mutator.Next();
            int[] chunks = mutator.ChunkSizes();
            int maxFrameBytes = mutator.MaxFrameBytes();
            try
            {
                ParserOracle.AssertAnyInputBehaves(input, chunks, maxFrameBytes);
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException(
                    string.Create(CultureInfo.InvariantCulture, $"Seed {seed}, input {i} (max frame {maxFrameBytes}, chunks {string.Join(',', chunks)}): {Convert.ToHexString(input)}"),
                    ex);
            }
        }
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : fallback;
}
