using EchoHost.Tests.Support;

namespace EchoHost.Tests.Metrics;

public class ProcessMetricsTests
{
    private static double Value(IReadOnlyDictionary<string, MetricFamilyText> families, string name) =>
        families[name].Samples.Single().Value;

    [Fact]
    public void Process_metrics_have_Prometheus_names_and_plausible_values()
    {
        using var harness = new CollectorHarness();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);

        var families = harness.ScrapeOpenMetrics();

        Assert.True(Value(families, "process_cpu_seconds") > 0);
        Assert.Equal("counter", families["process_cpu_seconds"].Type);
        Assert.Equal("process_cpu_seconds_total", families["process_cpu_seconds"].Samples.Single().Name);
        Assert.True(Value(families, "process_resident_memory_bytes") > 1024 * 1024);
        Assert.True(Value(families, "process_virtual_memory_bytes") >= Value(families, "process_resident_memory_bytes"));
        var started = DateTimeOffset.FromUnixTimeMilliseconds((long)(Value(families, "process_start_time_seconds") * 1000));
        Assert.InRange(started, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow);
        Assert.True(Value(families, "dotnet_threads") >= 1);
        Assert.True(Value(families, "dotnet_gc_heap_size_bytes") > 0);
        Assert.Equal(Environment.ProcessorCount, Value(families, "dotnet_processors"));

        var collections = families["dotnet_gc_collections"].Samples.ToDictionary(s => s.Labels["generation"], s => s.Value);
        Assert.Equal(["gen0", "gen1", "gen2"], collections.Keys.Order());
        Assert.True(collections["gen2"] >= 1);
        Assert.True(collections["gen0"] >= collections["gen2"]);

        if (OperatingSystem.IsLinux())
        {
            var open = Value(families, "process_open_fds");
            Assert.InRange(open, 3, Value(families, "process_max_fds"));
        }
    }

    [Fact]
    public void Open_descriptors_follow_files_opened_and_closed()
    {
        Assert.True(OperatingSystem.IsLinux(), "/proc/self is Linux's");
        using var harness = new CollectorHarness();
        var path = Path.GetTempFileName();
        try
        {
            var files = new List<FileStream>();
            var before = Value(harness.ScrapeOpenMetrics(), "process_open_fds");
            for (var i = 0; i < 50; i++)
            {
                files.Add(File.OpenRead(path));
            }

            // Other tests open and close descriptors meanwhile: only a large step is certain.
            var during = Value(harness.ScrapeOpenMetrics(), "process_open_fds");
            files.ForEach(f => f.Dispose());
            Assert.True(during >= before + 25, $"open fds {before} then {during} with 50 more files open");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
