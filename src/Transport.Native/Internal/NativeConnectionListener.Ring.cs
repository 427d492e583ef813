using System.Net.Sockets;
using EchoHost.Transport.Native.Internal.IoUring;
using EchoHost.Transport.Native.Interop.Linux;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal;

internal sealed partial class NativeConnectionListener
{
    /// <summary>
    /// Accepting on an io_uring loop: a few accepts wait on the ring per listening socket, each completing with one
    /// connection's descriptor, and each completion queues the next, so accepting costs no system call of its own.
    /// The peer's address is read from the socket (<c>SO_PEERNAME</c>). The limits are the readiness engines': when the
    /// listener's queue is full or the process is short of descriptors the waiting accepts are cancelled (what completed
    /// meanwhile is still served), and accepting starts again when there is room, after the same back-off.
    /// </summary>
    private sealed partial class ListenSocket : ICompletionHandler
    {
        private const byte AcceptOperation = 1;
        private const byte CancelOperation = 2;

        /// <summary>
        /// Accepts that wait at once. Not a multishot accept: that one empties the kernel's queue before the loop sees
        /// a completion, and could take the descriptors the runtime needs (a limit lowered while it runs is only seen
        /// after). These few take at most this many past the last check, well inside the headroom.
        /// </summary>
        private const int AcceptsWaiting = 8;

        // Loop-thread state of the ring's accepts.
        private IoUringPoller? _ring;
        private int _acceptsArmed;
        private bool _cancelRequested;

        private void RegisterOnRing(IoUringPoller ring)
        {
            _ring = ring;
            _token = loop.Register(this);
            _registered = true;
            ArmAccept();
        }

        /// <summary>
        /// Queues accepts up to <see cref="AcceptsWaiting"/> (one at a time, each after a check, when short of
        /// descriptors), unless the socket is closed, accepting backs off, a cancellation runs or the queue is full.
        /// </summary>
        private void ArmAccept()
        {
            int wanted = _lowOnDescriptors ? 1 : AcceptsWaiting;
            if (_acceptsArmed >= wanted || _cancelRequested || _closed || _backingOff || !listener.HasRoom())
            {
                return;
            }

            if (_lowOnDescriptors && !DescriptorHeadroom.IsAvailable(Fd))
            {
                BackOff(0);
                return;
            }

            for (; _acceptsArmed < wanted; _acceptsArmed++)
            {
                _ring!.Accept(Fd, IoUringPoller.UserData(_token, AcceptOperation));
            }
        }

        /// <summary>Cancels the waiting accepts; the last one's completion (<c>ECANCELED</c>) arms them again if it may.</summary>
        private void CancelAccept()
        {
            if (_acceptsArmed > 0 && !_cancelRequested)
            {
                _cancelRequested = true;
                _ring!.CancelEvery(IoUringPoller.UserData(_token, AcceptOperation), IoUringPoller.UserData(_token, CancelOperation));
            }
        }

        public void OnCompleted(byte operation, int result, uint flags)
        {
            // A cancellation's own completion says nothing the accepts' do not.
            if (operation != AcceptOperation)
            {
                return;
            }

            if (--_acceptsArmed == 0)
            {
                _cancelRequested = false;
            }

            bool acceptAgain = true;
            if (result >= 0)
            {
                acceptAgain = OnRingAccepted(result);
            }
            else if (result != -Errno.ECANCELED && result != -Errno.EAGAIN && !_closed)
            {
                // EMFILE, ENFILE and the like: no spinning; the back-off cancels the other accepts and starts them again.
                acceptAgain = OnAcceptFailed(-result);
            }

            if (_closed)
            {
                if (_acceptsArmed == 0)
                {
                    CloseNow();
                }

                return;
            }

            if (acceptAgain)
            {
                ArmAccept();
            }
        }

        /// <summary>Serves one socket the ring accepted; false when accepting should not go on from here.</summary>
        private unsafe bool OnRingAccepted(int fd)
        {
            if (_closed)
            {
                Libc.Close(fd);
                return false;
            }

            byte* address = stackalloc byte[SockAddr.StorageSize];
            int addressLength = SockAddr.StorageSize;
            if (Libc.GetPeerName(fd, address, &addressLength) != 0 && !TryGetResetPeerName(fd, address, &addressLength))
            {
                // A socket without a peer any more: as accept4's ECONNABORTED, the next may be fine.
                Libc.Close(fd);
                return true;
            }

            if (!OnAccepted(fd, new ReadOnlySpan<byte>(address, addressLength), DescriptorHeadroom.CurrentLimit()))
            {
                return false;
            }

            // Short of descriptors, accepting goes on one connection at a time, each after a check.
            if (_lowOnDescriptors || !listener.HasRoom())
            {
                CancelAccept();
            }

            return true;
        }

        /// <summary>
        /// The address of a peer that reset before its socket was served (<c>getpeername</c> says <c>ENOTCONN</c>, where
        /// <c>accept4</c> would still have given it): asked for at the exact size of the listening socket's family.
        /// </summary>
        private unsafe bool TryGetResetPeerName(int fd, byte* address, int* addressLength)
        {
            *addressLength = socket.AddressFamily switch
            {
                AddressFamily.InterNetwork => 16,
                AddressFamily.InterNetworkV6 => 28,
                _ => sizeof(ushort), // an unnamed Unix-domain client: its family only
            };
            return Libc.GetSockOpt(fd, SocketConstants.SOL_SOCKET, SocketConstants.SO_PEERNAME, address, addressLength) == 0;
        }

        /// <summary>
        /// Cancels the accepts through the ring, at once, and closes the socket when the last has completed (any
        /// connection they accepted meanwhile is closed); with none waiting, closes it now.
        /// </summary>
        private void CloseOnRing()
        {
            _closed = true;
            if (_acceptsArmed > 0)
            {
                CancelAccept();
                _ring!.SubmitNow();
                return;
            }

            CloseNow();
        }

        private void CloseNow()
        {
            if (_registered)
            {
                loop.Release(_token);
                _registered = false;
            }

            socket.Dispose();
            _closedOnLoop.TrySetResult();
        }
    }
}
