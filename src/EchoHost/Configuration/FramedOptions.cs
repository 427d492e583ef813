using EchoHost.Protocol;
using Microsoft.Extensions.Configuration;

namespace EchoHost.Configuration;

/// <summary>The limits of the framed protocol's endpoints: the <c>EchoHost:Framed</c> configuration section.</summary>
internal sealed class FramedOptions
{
    public const string SectionName = "EchoHost:Framed";

    /// <summary>Above this, a Length is an attack or a bug rather than a message: the largest bound we accept.</summary>
    public const int MaxFrameBytesLimit = 1 << 30;

    /// <summary>The largest payload a frame may have; a frame of exactly this many payload bytes is valid.</summary>
    public int MaxFrameBytes { get; set; } = Frame.DefaultMaxFrameBytes;

    /// <summary>
    /// Requests of one connection that are read and not yet answered. Past it the connection is not read until one
    /// is answered (back-pressure). 128 keeps a pipelining client busy without letting one client hold many handlers.
    /// </summary>
    public int MaxInFlightPerConnection { get; set; } = 128;

    /// <summary>Application handlers running asynchronously at once, over all connections.</summary>
    public int MaxConcurrentHandlers { get; set; } = 1024;

    /// <summary>How long an asynchronous handler may run before its request is answered with <c>timeout</c>.</summary>
    public TimeSpan HandlerTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Binds and validates <c>EchoHost:Framed</c>; throws <see cref="EchoHostConfigurationException"/> naming the key.</summary>
    public static FramedOptions Load(IConfiguration configuration)
    {
        var options = SectionBinding.Bind(configuration, SectionName, static section => section.Get<FramedOptions>());
        options.Validate();
        return options;
    }

    private void Validate()
    {
        // A request with no data and no metadata is a 15-byte payload: a smaller bound would refuse every request.
        if (MaxFrameBytes < Message.MinimumSize || MaxFrameBytes > MaxFrameBytesLimit)
        {
            throw new EchoHostConfigurationException(
                $"{SectionName}:MaxFrameBytes is {MaxFrameBytes}; it must be from {Message.MinimumSize} to {MaxFrameBytesLimit}");
        }

        if (MaxInFlightPerConnection < 1)
        {
            throw new EchoHostConfigurationException($"{SectionName}:MaxInFlightPerConnection is {MaxInFlightPerConnection}; it must be 1 or more");
        }

        if (MaxConcurrentHandlers < 1)
        {
            throw new EchoHostConfigurationException($"{SectionName}:MaxConcurrentHandlers is {MaxConcurrentHandlers}; it must be 1 or more");
        }

        // Task.WaitAsync takes at most int.MaxValue - 1 milliseconds (about 24.8 days).
        if (HandlerTimeout <= TimeSpan.Zero || HandlerTimeout.TotalMilliseconds >= int.MaxValue)
        {
            throw new EchoHostConfigurationException(
                $"{SectionName}:HandlerTimeout is {HandlerTimeout}; it must be more than 00:00:00 and less than 24 days");
        }
    }
}
