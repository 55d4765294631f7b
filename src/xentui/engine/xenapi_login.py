"""Ask a host's toolstack who it is: a XenAPI login over the SSH connection.

xapi answers a `session.login_with_password` over TCP at once: a slave with
HOST_IS_SLAVE <master address> (before checking the password), a master with
a session (or SESSION_AUTHENTICATION_FAILED when xentui holds no password —
still proof that this xapi acts as master), an emergency-mode slave with its
stored error.  The call goes to 127.0.0.1:443 on the host through an SSH
port forward; the SSH tunnel already authenticates the host, so the TLS
certificate (self-signed on every XenServer) is not checked inside it.

The `XenAPI` package is blocking, so each login runs in a short-lived thread
of its own (never the event loop's default executor), started at once: a
login never waits behind another host's.  Every call has a socket timeout as
well as an asyncio one, so a login thread ends within its timeout.
"""

from __future__ import annotations

import asyncio
import http.client
import ssl
import threading
import xmlrpc.client
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any, Callable

import asyncssh
import XenAPI

from ..model import XapiView


class _ThreadPerCall(Executor):
    """Runs every call at once in a daemon thread of its own.

    A fixed pool (it was 4 workers) let hung toolstacks, each holding a worker
    for the whole timeout, queue every other host's login behind them until
    the asyncio timeout expired: 8 hung hosts of 64 got 28 healthy slaves
    reported `toolstack-hung`.  At most one login per host is in flight, each
    thread ends by its socket timeout, and exit never waits for one.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as e:  # handed to the awaiting coroutine
                future.set_exception(e)
            else:
                future.set_result(result)

        threading.Thread(target=run, name="xenapi-login", daemon=True).start()
        return future


_EXECUTOR = _ThreadPerCall()

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


class _TimeoutTransport(xmlrpc.client.SafeTransport):
    """HTTPS transport with a socket timeout; no certificate check (inside SSH)."""

    def __init__(self, timeout: float) -> None:
        super().__init__(context=_TLS)
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
