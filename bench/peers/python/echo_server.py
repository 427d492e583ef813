#!/usr/bin/env python3
"""An asyncio echo server (protocol callbacks, the fastest plain-asyncio form).

Usage: echo_server.py PORT [BIND_ADDRESS]   (default 127.0.0.1)
"""
import asyncio
import signal
import sys


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)

    def eof_received(self):
        # Half-close: everything received has been written back; close once the write buffer drains.
        return False


async def main():
    port = int(sys.argv[1])
    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set_result, None)
    # asyncio sets TCP_NODELAY on its TCP transports.
    server = await loop.create_server(Echo, host, port, backlog=65535)
    print(f"echo_server.py: listening on {host}:{port}", file=sys.stderr, flush=True)
    async with server:
        await stop


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    asyncio.run(main())
