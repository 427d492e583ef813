using System.Net.Sockets;
using EchoHost.Transport.Native.Internal.IoUring;
using EchoHost.Transport.Native.Interop.Linux;
using EchoHost.Transport.Native.Interop.Unix;
using Ring = EchoHost.Transport.Native.Interop.Linux.IoUring;

namespace EchoHost.Transport.Native.Internal;

internal sealed partial class NativeConnectionListener
{
    /// <summary>
    /// Accepting on an io_uring loop: one multishot accept per listening socket, which completes once per connection with
    /// its descriptor, instead of a poll and an <c>accept4</c> per connection. The peer's address is read from the socket
    /// (<c>SO_PEERNAME</c>), since every completion of one accept would write the same buffer. The limits are the
    /// readiness engines': when the listener's queue is full or the process is short of descriptors the accept is
    /// cancelled (what completed meanwhile is still served), and it is armed again when there is room, after the same
    /// back-off. A multishot accept empties the kernel's queue before the loop sees a completion, so it runs only where
    /// even that leaves the headroom; nearer the limit the loop accepts one connection at a time, checking before each.
    /// </summary>
    private sealed partial class ListenSocket : ICompletionHandler
    {
        private const byte AcceptOperation = 1;
        private const byte CancelOperation = 2;

        // Loop-thread state of the ring's accept.
        private IoUringPoller? _ring;
        private bool _acceptArmed;
        private bool _multishot;
        private bool _cancelRequested;

        private void RegisterOnRing(IoUringPoller ring)
        {
            _ring = ring;
            _token = loop.Register(this);
            _registered = true;
            ArmAccept();
        }

        /// <summary>
        /// Arms the accept, unless it runs, the socket is closed, accepting backs off or the queue is full: multishot
        /// where the descriptors allow a whole queue at once, else of one connection.
        /// </summary>
        private void ArmAccept()
        {
            if (_acceptArmed || _closed || _backingOff || !listener.HasRoom())
            {
                return;
            }

            ulong limit = DescriptorHeadroom.CurrentLimit();
            int next = DescriptorHeadroom.Next(Fd);
            if (next < 0 || DescriptorHeadroom.IsWithin(next, limit))
            {
                BackOff(0);
                return;
            }

            _acceptArmed = true;
            _multishot = DescriptorHeadroom.AllowsBurst(next, limit, listener._sockets.Length);
            _ring!.Accept(Fd, IoUringPoller.UserData(_token, AcceptOperation), _multishot);
        }

        /// <summary>Stops the accept; its last completion (<c>ECANCELED</c>) arms it again if it may.</summary>
        private void CancelAccept()
        {
            if (_acceptArmed && !_cancelRequested)
            {
                _cancelRequested = true;
                _ring!.Cancel(IoUringPoller.UserData(_token, AcceptOperation), IoUringPoller.UserData(_token, CancelOperation));
            }
        }

        public void OnCompleted(byte operation, int result, uint flags)
        {
            // A cancellation's own completion says nothing the accept's last one does not.
            if (operation != AcceptOperation)
            {
                return;
            }

            if ((flags & Ring.IORING_CQE_F_MORE) == 0)
            {
                _acceptArmed = false;
                _cancelRequested = false;
            }

            bool acceptAgain = true;
            if (result >= 0)
            {
                acceptAgain = OnRingAccepted(result);
            }
            else if (result != -Errno.ECANCELED && result != -Errno.EAGAIN && !_closed)
            {
                // EMFILE, ENFILE and the like end the multishot accept: no spinning; the back-off arms it again.
                acceptAgain = OnAcceptFailed(-result);
            }

            if (_closed)
            {
                if (!_acceptArmed)
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

            ulong limit = DescriptorHeadroom.CurrentLimit();
            if (_multishot && DescriptorHeadroom.IsWithin(fd, limit))
            {
                // The limit fell while a multishot accept waited, and it took descriptors the runtime needs: this
                // connection is closed at once rather than served, and accepting backs off as at the headroom. (A
                // single accept was checked before it was armed; one that lands within the headroom is served, as
                // epoll's accept4 loop serves it, and accepting stops after it.)
                Libc.Close(fd);
                if (!_backingOff)
                {
                    BackOff(0);
                }

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

            if (!OnAccepted(fd, new ReadOnlySpan<byte>(address, addressLength), limit))
            {
                return false;
            }

            // Near the limit a multishot accept gives way to accepts of one connection, armed on its last completion.
            if (_lowOnDescriptors || !listener.HasRoom() || (_multishot && !DescriptorHeadroom.AllowsBurst(fd + 1, limit, listener._sockets.Length)))
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
        /// Cancels the accept through the ring, at once, and closes the socket when its last completion has come (any
        /// connection it accepted meanwhile is closed); without one running, closes it now.
        /// </summary>
        private void CloseOnRing()
        {
            _closed = true;
            if (_acceptArmed)
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
