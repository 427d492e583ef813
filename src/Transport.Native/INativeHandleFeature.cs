namespace EchoHost.Transport.Native;

/// <summary>Gives the operating system's handle (a file descriptor on Unix) of a connection's socket.</summary>
/// <remarks>The handle belongs to the transport: use it for socket options, never close it.</remarks>
public interface INativeHandleFeature
{
    /// <summary>The socket's descriptor or handle.</summary>
    nint Handle { get; }
}
