using System.CommandLine;
using EchoHost.LoadGen.Compare;
using EchoHost.LoadGen.Engine;
using EchoHost.LoadGen.Soak;

namespace EchoHost.LoadGen;

/// <summary>The <c>echohost-load</c> commands: one workload against a server, <c>compare</c>, <c>report</c>, <c>soak</c>.</summary>
internal static class Cli
{
    private const string Description = """
        Load generator for EchoHost and other echo servers (see docs/benchmarks-howto.md).
        Exit status: 0 when every byte came back as sent, 1 when any error or mismatch was counted, 2 on bad usage.
        """;

    public const int UsageError = 2;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand(Description) { CompareCommand.Create(), ReportCommand.Create(), SoakCommand.Create() };
        foreach (var workload in WorkloadCommand.CreateAll())
        {
            root.Subcommands.Add(workload);
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // System.CommandLine prints the errors and the command's help; a wrong command line exits 2.
            parsed.Invoke(new InvocationConfiguration { Output = error, Error = error });
            return UsageError;
        }

        ResourceLimits.RaiseDescriptorLimit();

        // The commands stop their own servers on SIGINT and SIGTERM; their exceptions are not usage errors.
        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
    }
}
