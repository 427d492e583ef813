using BenchmarkDotNet.Running;

namespace EchoHost.Protocol.Benchmarks;

internal static class Program
{
    // dotnet run -c Release --project bench/Protocol.Benchmarks -- --filter '*' --job short
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
