using EchoHost.Configuration;
using EchoHost.Hosting;
using EchoHost.Logging;

namespace EchoHost;

/// <summary>The EchoHost process: configuration from appsettings.json, the environment and the command line.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // The first stage of logging: whatever fails before the host has its own logger is reported here.
        Serilog.Log.Logger = ServiceLogging.CreateBootstrapLogger();
        try
        {
            return await RunAsync(args, Console.Error);
        }
        finally
        {
            await Serilog.Log.CloseAndFlushAsync();
        }
    }

    /// <summary>Runs until SIGTERM or Ctrl-C; a failed start prints one line to <paramref name="errors"/> and returns its exit code.</summary>
    internal static async Task<int> RunAsync(string[] args, TextWriter errors)
    {
        WebApplication app;
        try
        {
            app = Build(args);
        }
        catch (EchoHostConfigurationException ex)
        {
            await errors.WriteLineAsync($"EchoHost cannot start: {ex.Message}");
            return ExitCodes.InvalidConfiguration;
        }
        catch (Exception ex)
        {
            // Before the host exists there is no configured logger: the bootstrap logger says what went wrong.
            Serilog.Log.Fatal(ex, "EchoHost cannot start");
            return ExitCodes.StartupFailed;
        }

        await using (app)
        {
            try
            {
                await app.StartAsync();
            }
            catch (Exception ex)
            {
                var failure = StartupFailure.TryExplainBindFailure(app.Services, ex, out var explained)
                    ? explained!
                    : new StartupFailure(ex.Message, ExitCodes.StartupFailed, ex);
                await errors.WriteLineAsync($"EchoHost cannot start: {failure.Message}");
                if (failure.Details is not null)
                {
                    await errors.WriteLineAsync(failure.Details.ToString());
                }

                return failure.ExitCode;
            }

            // Returns once SIGTERM or Ctrl-C has stopped the host: Kestrel closed its listeners and connections.
            await app.WaitForShutdownAsync();
        }

        return ExitCodes.Success;
    }

    internal static WebApplication Build(string[] args) => Build(args, configure: null);

    /// <summary>As <see cref="Build(string[])"/>, with <paramref name="configure"/> adding to the services (tests register framed handlers).</summary>
    internal static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure)
    {
        // The content root is the binary's folder, whatever the working directory: the appsettings.json copied
        // there is the one the service reads.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

        // Added last, so that --port N beats what appsettings.json and the environment say.
        builder.Configuration.AddCommandLine(args, CommandLineSwitches.Mappings);
        builder.AddServiceLogging();
        builder.AddEchoHost();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseServiceRequestLogging();
        app.MapEchoHost();
        return app;
    }
}
