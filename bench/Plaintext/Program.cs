using System.Buffers;
using System.Net;
using System.Text;
using EchoHost.Bench.Plaintext;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

// The minimal Kestrel application of the HTTP scenarios: GET /plaintext answers "Hello, World!", through one
// terminal request delegate (no routing, no middleware), so that what is measured is Kestrel and its transport.
var configuration = new ConfigurationBuilder().AddCommandLine(args).Build();
PlaintextOptions options;
try
{
    options = PlaintextOptions.Read(configuration);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"Plaintext: {e.Message}");
    Console.Error.WriteLine(PlaintextOptions.Usage);
    return 2;
}

var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = args });
builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Warning);
builder.WebHost
    .UseKestrelCore()
    .ConfigureKestrel(kestrel =>
    {
        kestrel.AddServerHeader = false;
        kestrel.Listen(IPAddress.Loopback, options.Port);
    });
if (options.Transport == PlaintextTransport.Native)
{
    builder.WebHost.UseNativeTransport(native =>
    {
        native.UnsafePreferInlineScheduling = options.InlineScheduling;
        native.Engine = options.Engine;
    });
}
else
{
    builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = options.InlineScheduling);
}

var app = builder.Build();
app.Run(PlaintextResponse.Write);
app.Run();
return 0;

/// <summary>The one response: 13 bytes of text for GET /plaintext, 404 for anything else.</summary>
internal static class PlaintextResponse
{
    private static readonly byte[] s_body = Encoding.ASCII.GetBytes("Hello, World!");

    public static Task Write(HttpContext context)
    {
        var response = context.Response;
        if (!HttpMethods.IsGet(context.Request.Method) || context.Request.Path != "/plaintext")
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        response.ContentType = "text/plain";
        response.ContentLength = s_body.Length;

        // Written into Kestrel's output buffer; Kestrel flushes it when the request completes.
        response.BodyWriter.Write(s_body);
        return Task.CompletedTask;
    }
}
