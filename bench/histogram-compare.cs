#:package HdrHistogram@2.5.0
#:project ../src/LoadGen/LoadGen.csproj

// Measures the load generator's LatencyHistogram beside HdrHistogram 2.5.0 on the same latencies: the error of each
// percentile against the exact one, the cost of recording a value, and the memory of one histogram.
// Run: dotnet run -c Release bench/histogram-compare.cs   (docs/benchmarks-howto.md has the figures)
using System.Diagnostics;
using System.Globalization;
using EchoHost.LoadGen.Metrics;
using HdrHistogram;

const int Values = 10_000_000;
const long HighestTrackable = 3_600_000_000_000; // one hour in nanoseconds: any latency a run can see
var random = new Random(42);

// Latencies in nanoseconds as a loaded server gives them: log-normal around 40 µs with a long tail, and 0.1 % of
// stalls from 1 to 200 ms.
var values = new long[Values];
for (var i = 0; i < Values; i++)
{
    var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
    values[i] = random.NextDouble() < 0.001
        ? (long)(1_000_000 + (random.NextDouble() * 199_000_000))
        : (long)(40_000 * Math.Exp(0.6 * normal));
}

var sorted = (long[])values.Clone();
Array.Sort(sorted);
double[] percentiles = [50, 90, 99, 99.9, 99.99, 100];
long Exact(double p) => sorted[Math.Max(0, (int)Math.Ceiling(p / 100 * Values) - 1)];

var candidates = new (string Name, Func<object> Create, Action<object, long[]> RecordAll, Func<object, double, long> At)[]
{
    ("LatencyHistogram", () => new LatencyHistogram(), (h, v) => { var l = (LatencyHistogram)h; foreach (var x in v) l.Record(x); }, (h, p) => ((LatencyHistogram)h).ValueAtPercentile(p)),
    ("HdrHistogram 2 digits", () => new LongHistogram(HighestTrackable, 2), (h, v) => { var l = (LongHistogram)h; foreach (var x in v) l.RecordValue(x); }, (h, p) => ((LongHistogram)h).GetValueAtPercentile(p)),
    ("HdrHistogram 3 digits", () => new LongHistogram(HighestTrackable, 3), (h, v) => { var l = (LongHistogram)h; foreach (var x in v) l.RecordValue(x); }, (h, p) => ((LongHistogram)h).GetValueAtPercentile(p)),
};

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Values:N0} values; exact p50 {Exact(50):N0} ns, p99 {Exact(99):N0} ns, p99.99 {Exact(99.99):N0} ns, max {sorted[^1]:N0} ns"));

// The histograms take turns, fifteen rounds after one to warm the JIT, each pass into a fresh histogram: the best pass
// of each is its cost per value (the least disturbed by whatever else the machine runs).
var best = new double[candidates.Length];
Array.Fill(best, double.MaxValue);
for (var round = -1; round < 15; round++)
{
    for (var c = 0; c < candidates.Length; c++)
    {
        var target = candidates[c].Create();
        var watch = Stopwatch.StartNew();
        candidates[c].RecordAll(target, values);
        if (round >= 0)
        {
            best[c] = Math.Min(best[c], watch.Elapsed.TotalNanoseconds / Values);
        }
    }
}

Console.WriteLine($"{"histogram",-24}{"bytes",10}{"ns/value",10}  worst error over p50..max   (error at each percentile)");
for (var c = 0; c < candidates.Length; c++)
{
    var (name, create, recordAll, at) = candidates[c];
    var before = GC.GetAllocatedBytesForCurrentThread();
    var histogram = create();
    var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
    recordAll(histogram, values);
    var errors = percentiles.Select(p => (double)(at(histogram, p) - Exact(p)) / Exact(p)).ToArray();
    var worst = errors.Max(Math.Abs);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-24}{bytes,10:N0}{best[c],10:0.00}  {worst,8:P3}   ({string.Join(", ", percentiles.Zip(errors, (p, e) => $"p{p}: {e:P3}"))})"));
}
