"""Each simulated host's network interface on loopback, with its faults.

A `HostFront` listens on 127.0.0.1:<port> for the host's sshd.  Faults act on
the TCP level, as they would on a real wire:

* powered off: the listener is closed, so connections are refused, and
  established ones are reset; the port stays bound (not listening) so that
  no other socket on the machine takes it while the host is down;
* cable pulled: new connections are accepted but never answered, and
  established sessions stall (nothing is forwarded either way) until the
  cable is restored; a client must time out, it never gets a reset;
* latency and jitter: every chunk is delayed, order is kept.
"""

from __future__ import annotations

import asyncio
import random
import socket
from typing import Awaitable, Callable

from .state import SimHost

CHUNK = 65536


class Link:
    """A bridged TCP connection between a client and the host's sshd."""

    def __init__(self, host: SimHost, rng: random.Random) -> None:
        self.host = host
        self.rng = rng
        self.up = asyncio.Event()
        self.up.set()
        self.tasks: list[asyncio.Task[None]] = []
        self.writers: list[asyncio.StreamWriter] = []

    def delay(self) -> float:
        h = self.host
        if h.latency <= 0 and h.jitter <= 0:
            return 0.0
        return max(0.0, h.latency + self.rng.uniform(-h.jitter, h.jitter))

    async def pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                await self.up.wait()
                if not data:
                    writer.write_eof() if writer.can_write_eof() else writer.close()
                    return
                writer.write(data)
                await writer.drain()

        deliverer = asyncio.create_task(deliver())
        reset = False
        try:
            last = 0.0
            while True:
                await self.up.wait()
                data = await reader.read(CHUNK)
                last = max(last, loop.time() + self.delay())
                await queue.put((last, data))
                if not data:
                    break
            await deliverer
        except (ConnectionError, OSError):
            reset = True
        finally:
            deliverer.cancel()
        if reset:
            # A reset travels on, as over a wire: a client killed with unread data resets its end,
            # and the host's sshd sees its connection end (it did not, and a dead client's session
            # stayed open on the host forever).  Over a pulled cable the reset is lost until the
            # cable is back.
            await self.up.wait()
            if writer.transport is not None:
                writer.transport.abort()

    def abort(self) -> None:
        for w in self.writers:
            transport = w.transport
            if transport is not None:
                transport.abort()
        for t in self.tasks:
            t.cancel()


class HostFront:
    """The listening side of one host's sshd, on 127.0.0.1."""

    def __init__(
        self,
        host: SimHost,
        start_ssh: Callable[[socket.socket], Awaitable[None]],
        port: int = 0,
        seed: int = 0,
    ) -> None:
        self.host = host
        self.start_ssh = start_ssh
        self.port = port
        self.rng = random.Random(seed)
        self.server: asyncio.base_events.Server | None = None
        self.links: set[Link] = set()
        self.silent: set[asyncio.StreamWriter] = set()
        self.banner_silent = False  # accept TCP but never send the SSH banner
        self._opening = False
        # While powered off: the port bound but not listening, so a connect is
        # refused (RST) and no ephemeral client socket can take the port.
        self._held: socket.socket | None = None

    def _bound_socket(self) -> socket.socket:
        # IPPROTO_TCP named explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose
        # proto says TCP, and an accepted socket inherits the listener's proto.  With proto 0 the
        # bridge held every second small write of an exchange until the client's delayed ACK
        # (~40 ms on Linux): the simulated sshd (asyncssh, which has TCP_NODELAY on a socket of its
        # own) sent its exec reply and the command's exit status at once, the client got the second
        # 40 ms late.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Lets the listener and the held socket share the port for the instant
        # of a power change, so it is never free in between.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind(("127.0.0.1", self.port))
        except OSError:
            sock.close()
            raise
        return sock

    async def open(self) -> None:
        # `boot` opens the front itself and the power listener opens it again:
        # the second caller must not bind the port a second time (EADDRINUSE).
        if self.server is not None or self._opening:
            return
        self._opening = True
        try:
            sock = self._bound_socket()
            self.port = sock.getsockname()[1]
            self.server = await asyncio.start_server(self._accept, sock=sock)
        finally:
            self._opening = False
        self.release()

    async def close(self) -> None:
        """Power off: refuse new connections and reset established ones."""
        if self.server is not None:
            if self._held is None:
                self._held = self._bound_socket()
            self.server.close()
            self.server = None
        for link in list(self.links):
            link.abort()
        self.links.clear()
        for w in list(self.silent):
            w.transport.abort()
        self.silent.clear()

    def release(self) -> None:
        """Give the port of a powered-off host back (the simulator stops)."""
        if self._held is not None:
            self._held.close()
            self._held = None

    def cable(self, plugged: bool) -> None:
        for link in self.links:
            if plugged:
                link.up.set()
            else:
                link.up.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.host.cable or self.banner_silent:
            # Packets dropped: hold the connection, answer nothing, ever.
            self.silent.add(writer)
            try:
                while await reader.read(CHUNK):
                    pass
            except (ConnectionError, OSError):
                pass
            finally:
                self.silent.discard(writer)
                writer.close()
            return
        ours, theirs = socket.socketpair()
        link = Link(self.host, self.rng)
        self.links.add(link)
        ssh_task = asyncio.create_task(self.start_ssh(theirs))
        try:
            r2, w2 = await asyncio.open_connection(sock=ours)
            link.writers = [writer, w2]
            t1 = asyncio.create_task(link.pump(reader, w2))
            t2 = asyncio.create_task(link.pump(r2, writer))
            link.tasks = [t1, t2, ssh_task]
            await asyncio.gather(t1, t2, return_exceptions=True)
        except asyncio.CancelledError:
            pass  # simulator stopping: end quietly (a cancelled stream callback is logged as an error)
        finally:
            self.links.discard(link)
            for w in link.writers:
                w.close()
            ssh_task.cancel()
