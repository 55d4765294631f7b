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

from xentui.engine.fair_wait import fair_wait_for
from xentui.core.model import XapiView

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
        self.session: str | None = None  # the session a login as master opened, held for the next poll

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
# On a master it also holds the session its login opened: the next poll asks that session
# (`pool.get_all`) instead of logging in again; `xenapi_logout` ends it when the engine stops.
_KEPT: weakref.WeakKeyDictionary[Any, XapiStream] = weakref.WeakKeyDictionary()
_FAILURES = (XapiCallError, ssl.SSLError, asyncssh.Error, OSError)


async def _ask_held_session(stream: XapiStream, timeout: float) -> LoginAnswer | None:
    """A call with the session held since an earlier poll: does this xapi still act as master?

    xapi checks the session before the call (ocaml/xapi/session_check.ml): on the master it is
    found and the call answers; after a toolstack restart it is gone (sessions are not persisted)
    and the answer is SESSION_INVALID; on a host that has become a slave it is looked up in the
    master's database and the answer is HOST_IS_SLAVE <master>. None: log in afresh — the session
    is gone, or no answer came within `timeout` (a slave's lookup waits for a master it may not
    reach), in which case the channel is closed, as a request is still pending on it.
    """
    session, stream.session = stream.session, None
    try:
        result = await fair_wait_for(stream.call("pool.get_all", (session,)), timeout)
    except (asyncio.TimeoutError, TimeoutError, *_FAILURES):
        stream.writer.close()
        return None
    if result.get("Status") == "Success":
        stream.session = session
        return LoginAnswer(XapiView.MASTER, "session held from an earlier login answers: acts as master")
    code = str((result.get("ErrorDescription") or [""])[0])
    return None if code == "SESSION_INVALID" else read_login(result)


async def xenapi_login(
    conn: asyncssh.SSHClientConnection, user: str, password: str | None, timeout: float, held_timeout: float | None = None
) -> tuple[LoginAnswer, bool]:
    """Ask the host's xapi through `conn` whether it acts as master. Returns (answer, forwarding_allowed).

    With a session held from an earlier poll on this connection, that session is asked first
    (within `held_timeout`); otherwise, or when it is gone, a login. The whole answer comes
    within `timeout`, whichever way it is asked."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    stream = _KEPT.pop(conn, None)
    if stream is not None and stream.session is not None:
        held = await _ask_held_session(stream, min(timeout, held_timeout or timeout))
        if held is not None:
            if not conn.is_closed():
                _KEPT[conn] = stream
            return held, True
        if stream.writer.is_closing():
            stream = None
    reused = stream is not None
    if stream is None:
        try:
            reader, writer = await fair_wait_for(conn.open_connection("127.0.0.1", 443), max(0.1, end - loop.time()))
        except asyncssh.ChannelOpenError as e:
            if e.code == asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED:
                return LoginAnswer(XapiView.UNAVAILABLE, "sshd refuses port forwarding: XenAPI channel unavailable, using xe over exec"), False
            return LoginAnswer(XapiView.UNAVAILABLE, f"xapi not listening on 443 ({e.reason})"), True
        except (asyncio.TimeoutError, TimeoutError):
            return LoginAnswer(XapiView.NO_ANSWER, f"no answer in {timeout:g} s"), True
        except (asyncssh.Error, OSError) as e:
            return LoginAnswer(XapiView.ERROR, f"channel failed: {e}"), True
        stream = XapiStream(reader, writer)
    keep = False
    try:
        try:
            # the loop's own lateness is left out of the wait (fair_wait_for); the budget is the
            # whole timeout again, a channel opened late is not the toolstack's silence
            result = await fair_wait_for(
                stream.call("session.login_with_password", (user, password or "", "2.21", "xentui")),
                max(0.1, end - loop.time(), timeout / 2),
            )
        except (asyncio.TimeoutError, TimeoutError):
            return LoginAnswer(XapiView.NO_ANSWER, f"no answer in {timeout:g} s"), True
        except _FAILURES as e:
            if reused:  # the kept channel was closed meanwhile (xapi restarted, idle close): a new one
                stream.writer.close()
                return await xenapi_login(conn, user, password, max(0.1, end - loop.time()))
            return LoginAnswer(XapiView.ERROR, f"{type(e).__name__}: {e}"), True
        keep = True
        if result.get("Status") == "Success":
            stream.session = str(result.get("Value"))  # held for the next poll; ended by xenapi_logout
        return read_login(result), True
    finally:
        if keep and not conn.is_closed():
            _KEPT[conn] = stream
        else:
            stream.writer.close()


async def xenapi_logout(conn: asyncssh.SSHClientConnection | None, timeout: float) -> None:
    """End the session held on `conn`'s XenAPI channel, if any, within `timeout` (best effort:
    xapi drops an idle session itself), and close the channel."""
    stream = _KEPT.pop(conn, None) if conn is not None else None
    if stream is None:
        return
    try:
        if stream.session is not None and not conn.is_closed():
            await asyncio.wait_for(stream.call("session.logout", (stream.session,)), timeout)
    except (asyncio.TimeoutError, TimeoutError, *_FAILURES):
        pass
    finally:
        stream.session = None
        stream.writer.close()
