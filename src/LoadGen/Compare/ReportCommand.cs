using System.CommandLine;
using EchoHost.LoadGen.Output;

namespace EchoHost.LoadGen.Compare;

/// <summary><c>echohost-load report RESULTS.json -o REPORT.html</c>: the HTML report of an earlier comparison.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var results = new Argument<string>("results") { Description = "The results.json of a comparison" };
        var output = new Option<string>("--output", "-o") { Description = "The HTML report to write", HelpName = "REPORT.html", Required = true };
        var command = new Command("report", "The HTML report of an earlier comparison") { results, output };
        command.SetAction(parse => Run(parse.GetValue(results)!, parse.GetValue(output)!, parse.InvocationConfiguration.Output));
        return command;
    }

    private static int Run(string resultsPath, string outputPath, TextWriter output)
    {
        var results = JsonOutput.ReadComparison(File.ReadAllText(resultsPath));
        File.WriteAllText(outputPath, HtmlReport.Render(results));
        output.Write(SummaryTable.Format(results));
        output.WriteLine($"report: {outputPath}");
        return 0;
    }
}
