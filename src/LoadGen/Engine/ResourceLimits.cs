using EchoHost.LoadGen.Interop;
using EchoHost.Transport.Native.Interop.Linux;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.LoadGen.Engine;

internal static unsafe class ResourceLimits
{
    /// <summary>Raises the soft descriptor limit to the hard one: a run may hold tens of thousands of sockets.</summary>
    public static void RaiseDescriptorLimit()
    {
        RLimit limit;
        if (Libc.GetRLimit(SocketConstants.RLIMIT_NOFILE, &limit) == 0 && limit.Current < limit.Maximum)
        {
            limit.Current = limit.Maximum;
            ClientLibc.SetRLimit(SocketConstants.RLIMIT_NOFILE, &limit);
        }
    }
}
