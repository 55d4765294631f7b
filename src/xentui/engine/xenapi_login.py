"""Ask a host's toolstack who it is: a XenAPI login over the SSH connection.

xapi answers a `session.login_with_password` over TCP at once: a slave with
HOST_IS_SLAVE <master address> (before checking the password), a master with
a session (or SESSION_AUTHENTICATION_FAILED when xentui holds no password —
still proof that this xapi acts as master), an emergency-mode slave with its
stored error.  The call goes to 127.0.0.1:443 on the host through one SSH
direct-tcpip channel; the SSH tunnel already authenticates the host, so the
TLS certificate (self-signed on every XenServer) is not checked inside it.

The XML-RPC request is spoken on the event loop over that one channel (TLS
through memory buffers, `xmlrpc.client` for the body): no local listening
port, no thread per login, no second channel to tell sshd's refusal from
xapi's (the channel open itself says which).  An earlier version opened a
test channel, then a port forward for the blocking `XenAPI` package in a
thread per login: two channels and a thread per host per poll.
"""

from __future__ import annotations

import asyncio
import ssl
import weakref
import xmlrpc.client
from dataclasses import dataclass
from typing import Any

import asyncssh

from ..model import XapiView

EMERGENCY_ERRORS = {
    "HOST_STILL_BOOTING",
    "HOST_IN_EMERGENCY_MODE",
    "HOST_MASTER_CANNOT_TALK_BACK",
    "HOST_UNKNOWN_TO_MASTER",
    "HOST_ITS_OWN_SLAVE",
    "HOST_HAS_NO_MANAGEMENT_IP",
    "HOST_BROKEN",
}


@dataclass
class LoginAnswer:
    view: XapiView
    detail: str
    master_address: str | None = None


def _tls_without_verification() -> ssl.SSLContext:
    # Inside an SSH tunnel the host is already authenticated by its SSH key.
    # Built once, without a CA store: ssl.create_default_context() per login
    # loaded the system CAs (~45 ms of CPU each, holding the GIL) only to
    # never use them.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


_TLS = _tls_without_verification()


class XapiCallError(Exception):
    """The toolstack's answer was not a XenAPI response (HTTP error, cut short, not XML-RPC)."""


class XapiStream:
    """XML-RPC calls over TLS on one byte stream (an SSH channel), HTTP/1.1 keep-alive."""

    def __init__(self, reader: Any, writer: Any) -> None:
        self.reader, self.writer = reader, writer
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = _TLS.wrap_bio(self.incoming, self.outgoing)
        self.shaken = False

    async def _send(self) -> None:
        data = self.outgoing.read()
        if data:
            self.writer.write(data)
            await self.writer.drain()

    async def _receive(self) -> None:
        data = await self.reader.read(65536)
        if data:
            self.incoming.write(data)
        else:
            self.incoming.write_eof()

    async def call(self, method: str, params: tuple[Any, ...]) -> dict[str, Any]:
        """One call: the XenAPI result dict ({"Status": ..., "Value" | "ErrorDescription": ...})."""
        while not self.shaken:
            try:
                self.tls.do_handshake()
                self.shaken = True
            except ssl.SSLWantReadError:
                await self._send()
                await self._receive()
        body = xmlrpc.client.dumps(params, method, allow_none=True).encode()
        self.tls.write(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: xentui\r\nContent-Type: text/xml\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        )
        await self._send()
        answer = b""
        while True:
            try:
                chunk = self.tls.read(65536)
            except ssl.SSLWantReadError:
                await self._receive()
                continue
            except ssl.SSLZeroReturnError:
                chunk = b""
            answer += chunk
            head, sep, rest = answer.partition(b"\r\n\r\n")
            length = _content_length(head) if sep else None
            if length is not None and len(rest) >= length:
                return _result(head, rest[:length])
            if not chunk:
                raise XapiCallError(f"connection closed after {len(answer)} bytes of the answer")


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return int(value.strip())
    return None


def _result(head: bytes, body: bytes) -> dict[str, Any]:
    status = head.split(b"\r\n", 1)[0].decode("latin-1")
    if status.split()[1:2] != ["200"]:
        raise XapiCallError(f"HTTP answer {status!r}")
    try:
        (result,), _ = xmlrpc.client.loads(body)
    except (ValueError, xmlrpc.client.ResponseError) as e:  # ExpatError is a ValueError
        raise XapiCallError(f"not an XML-RPC answer: {e}") from None
    if not isinstance(result, dict):
        raise XapiCallError("not a XenAPI answer")
    return result


def read_login(result: dict[str, Any]) -> LoginAnswer:
    """What a `session.login_with_password` result says about the host's toolstack (pure)."""
    if result.get("Status") == "Success":
        return LoginAnswer(XapiView.MASTER, "session opened: acts as master")
    details = [str(d) for d in result.get("ErrorDescription") or []]
    code = details[0] if details else "UNKNOWN"
    if code == "HOST_IS_SLAVE":
        address = details[1] if len(details) > 1 else None
        return LoginAnswer(XapiView.SLAVE, f"HOST_IS_SLAVE {address}", address)
    if code == "SESSION_AUTHENTICATION_FAILED":
        return LoginAnswer(XapiView.MASTER, "answers as master (login refused: no valid password held)")
    if code in EMERGENCY_ERRORS:
        return LoginAnswer(XapiView.EMERGENCY, code)
    return LoginAnswer(XapiView.ERROR, " ".join(details))


# The XenAPI channel of each SSH connection, kept open between polls (HTTP/1.1 keep-alive): a poll
# then costs one round trip on it, not a channel open and a TLS handshake. Taken out while in use.
_KEPT: weakref.WeakKeyDictionary[Any, XapiStream] = weakref.WeakKeyDictionary()


async def xenapi_login(
    conn: asyncssh.SSHClientConnection, user: str, password: str | None, timeout: float
) -> tuple[LoginAnswer, bool]:
    """Log in to the host's xapi through `conn`. Returns (answer, forwarding_allowed)."""
    stream = _KEPT.pop(conn, None)
    reused = stream is not None
    if stream is None:
        try:
            reader, writer = await asyncio.wait_for(conn.open_connection("127.0.0.1", 443), timeout)
        except asyncssh.ChannelOpenError as e:
            if e.code == asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED:
                return LoginAnswer(XapiView.UNAVAILABLE, "sshd refuses port forwarding: XenAPI channel unavailable, using xe over exec"), False
            return LoginAnswer(XapiView.UNAVAILABLE, f"xapi not listening on 443 ({e.reason})"), True
        except (asyncio.TimeoutError, TimeoutError):
            return LoginAnswer(XapiView.NO_ANSWER, f"no answer in {timeout:g} s"), True
        except (asyncssh.Error, OSError) as e:
            return LoginAnswer(XapiView.ERROR, f"channel failed: {e}"), True
        stream = XapiStream(reader, writer)
    failures = (XapiCallError, ssl.SSLError, asyncssh.Error, OSError)
    keep = False
    try:
        try:
            result = await asyncio.wait_for(
                stream.call("session.login_with_password", (user, password or "", "2.21", "xentui")), timeout
            )
        except (asyncio.TimeoutError, TimeoutError):
            return LoginAnswer(XapiView.NO_ANSWER, f"no answer in {timeout:g} s"), True
        except failures as e:
            if reused:  # the kept channel was closed meanwhile (xapi restarted, idle close): a new one
                stream.writer.close()
                return await xenapi_login(conn, user, password, timeout)
            return LoginAnswer(XapiView.ERROR, f"{type(e).__name__}: {e}"), True
        keep = True
        if result.get("Status") == "Success":  # a session not kept: closed on the same channel
            try:
                await asyncio.wait_for(stream.call("session.logout", (result.get("Value"),)), timeout)
            except (asyncio.TimeoutError, TimeoutError, *failures):
                keep = False  # the login's answer stands; xapi expires an idle session itself
        return read_login(result), True
    finally:
        if keep and not conn.is_closed():
            _KEPT[conn] = stream
        else:
            stream.writer.close()
