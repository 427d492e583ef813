using EchoHost.LoadGen.Output;

namespace EchoHost.LoadGen.Compare;

/// <summary><c>echohost-load report RESULTS.json -o REPORT.html</c>: the HTML report of an earlier comparison.</summary>
internal static class ReportCommand
{
    public static int Run(CommandLine line, TextWriter output)
    {
        var outputPath = line.String("o") ?? line.String("output") ?? throw new UsageException("report needs -o REPORT.html.");
        line.RejectUnread();
        if (line.Positional.Count != 1)
        {
            throw new UsageException("report takes one results file: report RESULTS.json -o REPORT.html.");
        }

        var results = JsonOutput.ReadComparison(File.ReadAllText(line.Positional[0]));
        File.WriteAllText(outputPath, HtmlReport.Render(results));
        output.Write(SummaryTable.Format(results));
        output.WriteLine($"report: {outputPath}");
        return 0;
    }
}
