"""Ask a host's toolstack who it is: a XenAPI login over the SSH connection.

xapi answers a `session.login_with_password` over TCP at once: a slave with
HOST_IS_SLAVE <master address> (before checking the password), a master with
a session (or SESSION_AUTHENTICATION_FAILED when xentui holds no password —
still proof that this xapi acts as master), an emergency-mode slave with its
stored error.  The call goes to 127.0.0.1:443 on the host through an SSH
port forward; the SSH tunnel already authenticates the host, so the TLS
certificate (self-signed on every XenServer) is not checked inside it.

The `XenAPI` package is blocking, so it runs in a small thread pool of its
own, never the event loop's default executor; every call has a socket
timeout as well as an asyncio one.
"""

from __future__ import annotations

import asyncio
import http.client
import ssl
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import asyncssh
import XenAPI

from ..model import XapiView

_EXECUTOR = ThreadPoolExecutor(max_workers=4, thread_name_prefix="xenapi")

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


class _TimeoutTransport(xmlrpc.client.SafeTransport):
    """HTTPS transport with a socket timeout; no certificate check (inside SSH)."""

    def __init__(self, timeout: float) -> None:
        # Inside an SSH tunnel the host is already authenticated by its SSH key.
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        super().__init__(context=ctx)
        self.timeout = timeout

    def make_connection(self, host: str) -> http.client.HTTPConnection:  # type: ignore[override]
        conn = super().make_connection(host)
        conn.timeout = self.timeout
        return conn


def _login_blocking(port: int, user: str, password: str, timeout: float) -> LoginAnswer:
    session = XenAPI.Session(f"https://127.0.0.1:{port}", transport=_TimeoutTransport(timeout))
    try:
        session.xenapi.login_with_password(user, password, "2.21", "xentui")
    except XenAPI.Failure as f:
        details = [str(d) for d in f.details]
        code = details[0] if details else "UNKNOWN"
        if code == "HOST_IS_SLAVE":
            address = details[1] if len(details) > 1 else None
            return LoginAnswer(XapiView.SLAVE, f"HOST_IS_SLAVE {address}", address)
        if code == "SESSION_AUTHENTICATION_FAILED":
            return LoginAnswer(XapiView.MASTER, "answers as master (login refused: no valid password held)")
        if code in EMERGENCY_ERRORS:
            return LoginAnswer(XapiView.EMERGENCY, code)
        return LoginAnswer(XapiView.ERROR, " ".join(details))
    try:
        session.xenapi.session.logout()
    except Exception:
        pass
    return LoginAnswer(XapiView.MASTER, "session opened: acts as master")


async def xenapi_login(
    conn: asyncssh.SSHClientConnection, user: str, password: str | None, timeout: float
) -> tuple[LoginAnswer, bool]:
    """Log in to the host's xapi through `conn`. Returns (answer, forwarding_allowed)."""
    # First open the channel ourselves: it tells sshd's refusal apart from xapi's.
    try:
        _, writer = await asyncio.wait_for(conn.open_connection("127.0.0.1", 443), timeout)
        writer.close()
    except asyncssh.ChannelOpenError as e:
        if e.code == asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED:
            return LoginAnswer(XapiView.UNAVAILABLE, "sshd refuses port forwarding: XenAPI channel unavailable, using xe over exec"), False
        return LoginAnswer(XapiView.UNAVAILABLE, f"xapi not listening on 443 ({e.reason})"), True
    except (asyncio.TimeoutError, TimeoutError):
        return LoginAnswer(XapiView.NO_ANSWER, f"no answer in {timeout:g} s"), True
    except (asyncssh.Error, OSError) as e:
        return LoginAnswer(XapiView.ERROR, f"channel failed: {e}"), True
    listener = await conn.forward_local_port("127.0.0.1", 0, "127.0.0.1", 443)
    try:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(
            _EXECUTOR, _login_blocking, listener.get_port(), user, password or "", timeout
        )
        try:
            return await asyncio.wait_for(future, timeout + 0.5), True
        except (asyncio.TimeoutError, TimeoutError):
            return LoginAnswer(XapiView.NO_ANSWER, f"no answer in {timeout:g} s"), True
        except Exception as e:  # socket errors from the blocking client
            if "timed out" in str(e):
                return LoginAnswer(XapiView.NO_ANSWER, f"no answer in {timeout:g} s"), True
            return LoginAnswer(XapiView.ERROR, f"{type(e).__name__}: {e}"), True
    finally:
        listener.close()
