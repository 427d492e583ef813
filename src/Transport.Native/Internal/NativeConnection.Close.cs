using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal;

internal sealed partial class NativeConnection
{
    protected override void CloseDescriptor()
    {
        // The registration goes first, so that no event can name the descriptor's number once it is reused.
        if (_registered)
        {
            Loop.Unregister(Fd, _token);
        }

        Libc.Close(Fd);
    }

    protected override void EndSendingOnClose(Exception? error)
    {
        if (_waitingWritable)
        {
            // Parked on the socket, which will say nothing more.
            CompleteSend(error);
        }
        else
        {
            base.EndSendingOnClose(error);
        }
    }
}
