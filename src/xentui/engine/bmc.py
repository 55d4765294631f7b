"""Out-of-band power through each host's BMC: read beside SSH, act only for the runner.

Redfish goes through sushy (OpenStack Ironic's Redfish client: typed
PowerState, reset types checked against the BMC's own AllowableValues, TLS
verification on unless the config says otherwise); IPMI through pyghmi (the
maintained pure-Python RMCP+ client). Both are synchronous: every call runs
in a thread and is bounded twice, by the library's own connect/read timeouts
and by `asyncio.wait_for` (``settings.bmc_timeout``), so a BMC that never
answers costs one timeout, never a stuck loop.

Every failure is one clear sentence naming the host and the BMC: unreachable,
wrong credentials (401), a certificate not trusted (self-signed: ``ca_file`` or
``verify_tls = false``), no answer in N s. Nothing is retried behind the
caller's back but one transient drop (sushy ``server_side_retries=1``).

`PoolPower` holds one client per configured BMC, the last `PowerFact` of
each, and the operators' `OffAttestation`s (memory only; the audit keeps them).
"""

from __future__ import annotations

import asyncio
import getpass
import socket
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from xentui.core.config import BmcEntry, PoolConfig, Settings
from xentui.core.power import OffAttestation, PowerFact, PowerState
from xentui.engine.secrets import PasswordError, password_from_command

__all__ = ["BmcError", "PoolPower", "PowerClient", "RESET_FOR"]

#: what xentui asks, and the Redfish ResetType for it (cycle: the first the BMC allows)
RESET_FOR: dict[str, tuple[str, ...]] = {
    "off": ("ForceOff",),
    "on": ("On",),
    "cycle": ("PowerCycle", "ForceRestart"),
}


class BmcError(Exception):
    """A BMC could not be asked or refused: the message says which, naming host and BMC."""


class PowerClient(Protocol):
    """One BMC, synchronously (run in a thread)."""

    address: str

    def read(self) -> tuple[PowerState, str]:
        """(state, what the BMC said)."""

    def act(self, action: str) -> str:
        """Ask for `action` ("off", "on", "cycle"); returns what was sent (e.g. "ResetType=ForceOff")."""


def _redfish_state(raw: str) -> PowerState:
    return {"on": PowerState.ON, "off": PowerState.OFF, "poweringon": PowerState.CHANGING,
            "poweringoff": PowerState.CHANGING}.get(raw.lower(), PowerState.UNKNOWN)


class _BmcAccess:
    """What both protocols' clients hold: the host, its [pool.bmc.<host>] entry, the password, the timeout."""

    def __init__(self, host: str, entry: BmcEntry, password: str, timeout: float) -> None:
        self.host = host
        self.entry = entry
        self.address = entry.address
        self._password = password
        self.timeout = timeout


class RedfishClient(_BmcAccess):
    """sushy, Basic auth per request (no session to leak), the system found through the collection."""

    def __init__(self, host: str, entry: BmcEntry, password: str, timeout: float) -> None:
        super().__init__(host, entry, password, timeout)
        self._system_path = entry.system

    def _system(self) -> Any:
        import sushy

        verify: bool | str = self.entry.ca_file if self.entry.ca_file else self.entry.verify_tls
        if verify is False:
            # said by xentui itself, once per reading (PowerFact.warning): not urllib3's per-request noise
            import urllib3

            warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
        base = self.entry.redfish or ""
        root = "/redfish/v1/"
        if base.rstrip("/").endswith("/redfish/v1"):
            base = base.rstrip("/")[: -len("/redfish/v1")]
        conn = sushy.Sushy(
            base, root_prefix=root, verify=verify,
            auth=sushy.auth.BasicAuth(self.entry.user, self._password),
            connect_timeout=self.timeout, read_timeout=self.timeout,
            server_side_retries=1, server_side_retries_delay=0.5,
        )
        if self._system_path is None:
            members = sorted(conn.get_system_collection().members_identities)
            if not members:
                raise BmcError(f"{self.host}: BMC {self.address} lists no system under /redfish/v1/Systems")
            self._system_path = members[0]
        return conn.get_system(self._system_path)

    def read(self) -> tuple[PowerState, str]:
        s = self._system()
        raw = str(getattr(s.power_state, "value", s.power_state) or "")
        return _redfish_state(raw), raw

    def act(self, action: str) -> str:
        from sushy.resources.constants import ResetType

        s = self._system()
        allowed = {str(getattr(v, "value", v)) for v in s.get_allowed_reset_system_values()}
        for reset in RESET_FOR[action]:
            if reset in allowed:
                s.reset_system(ResetType(reset))
                return f"ResetType={reset}"
        wanted = " or ".join(RESET_FOR[action])
        raise BmcError(f"{self.host}: BMC {self.address} does not offer {wanted} (it allows: {', '.join(sorted(allowed))})")


class IpmiClient(_BmcAccess):
    """pyghmi, one RMCP+ session per call (no keepalive thread)."""

    def _command(self) -> Any:
        from pyghmi.ipmi import command

        return command.Command(bmc=self.entry.ipmi, userid=self.entry.user, password=self._password,
                               port=self.entry.ipmi_port, keepalive=False)

    def read(self) -> tuple[PowerState, str]:
        raw = str(self._command().get_power().get("powerstate", ""))
        return {"on": PowerState.ON, "off": PowerState.OFF}.get(raw, PowerState.UNKNOWN), raw

    def act(self, action: str) -> str:
        # 'off' is the chassis hard power down (the fence); pyghmi has no 'cycle': 'reset' is the hard reset
        word = {"off": "off", "on": "on", "cycle": "reset"}[action]
        self._command().set_power(word, wait=False)
        return f"chassis power {word}"


def explain(host: str, address: str, e: BaseException, timeout: float) -> str:
    """One sentence for a BMC failure (sushy / pyghmi / socket), naming host and BMC."""
    if isinstance(e, BmcError):
        return str(e)
    name = type(e).__name__
    text = str(e)
    status = getattr(e, "status_code", None)
    if name == "AccessError" or status in (401, 403):
        return f"{host}: BMC {address} refused the credentials (HTTP {status or 401}): wrong user or password; nothing was changed"
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSLError" in text or "certificate" in text.lower():
        return (f"{host}: BMC {address}: its TLS certificate is not trusted (self-signed?): set ca_file = \"<its certificate>\" "
                f"in [pool.bmc.{host}], or verify_tls = false to skip the check; nothing was changed")
    if isinstance(e, (asyncio.TimeoutError, TimeoutError)) or "timed out" in text.lower():
        return f"{host}: BMC {address}: no answer in {timeout:g} s (bmc_timeout); nothing was changed"
    if name == "ConnectionError" or isinstance(e, (OSError, socket.error)):
        return f"{host}: BMC {address} unreachable ({_short(text)}); nothing was changed"
    if name == "IpmiException":
        return f"{host}: BMC {address}: {text or 'no answer'}; nothing was changed"
    return f"{host}: BMC {address}: {name}: {_short(text)}"


def _short(text: str) -> str:
    for marker in ("Connection refused", "Name or service not known", "No route to host", "Read timed out"):
        if marker in text:
            return marker.lower() if marker != "Connection refused" else "connection refused"
    return text.splitlines()[0][:160] if text else "no detail"


@dataclass
class PoolPower:
    """Every configured BMC of a pool: readings, actions, attestations."""

    pool: PoolConfig
    settings: Settings
    ask: Callable[[str], Awaitable[str | None]] | None = None  # a prompt for a BMC secret (host) -> secret

    def __post_init__(self) -> None:
        self.readings: dict[str, PowerFact] = {}
        self.attestations: dict[str, OffAttestation] = {}
        self._secrets: dict[str, str] = {}
        self._clients: dict[str, PowerClient] = {}
        self.listeners: list[Callable[[str], None]] = []

    @property
    def hosts(self) -> list[str]:
        return list(self.pool.bmc)

    def entry(self, host: str) -> BmcEntry | None:
        return self.pool.bmc.get(host)

    async def _secret(self, host: str, entry: BmcEntry) -> str:
        held = self._secrets.get(host)
        if held:
            return held
        secret = entry.password()
        if secret is None and entry.password_command:
            try:
                secret = await password_from_command(entry.password_command, self.settings.password_command_timeout,
                                                     f"{self.pool.name} (BMC of {host})")
            except PasswordError as e:
                raise BmcError(str(e)) from None
        if secret is None and self.ask is not None:
            secret = await self.ask(host)
        if not secret:
            raise BmcError(f"{host}: no secret for BMC {entry.address}: set password_env or password_command in "
                           f"[pool.bmc.{host}] (or run where xentui can ask)")
        self._secrets[host] = secret
        return secret

    async def client(self, host: str) -> PowerClient:
        entry = self.entry(host)
        if entry is None:
            raise BmcError(f"{host}: no BMC configured ([pool.bmc.{host}] in the config)")
        c = self._clients.get(host)
        if c is None:
            secret = await self._secret(host, entry)
            cls = RedfishClient if entry.protocol == "redfish" else IpmiClient
            c = cls(host, entry, secret, self.settings.bmc_timeout)
            self._clients[host] = c
        return c

    async def _bounded(self, fn: Callable[[], Any]) -> Any:
        # the library's own timeouts bound each request; this bounds the whole call (discovery + read)
        return await asyncio.wait_for(asyncio.to_thread(fn), self.settings.bmc_timeout * 2 + 1)

    def _how(self, entry: BmcEntry) -> str:
        if entry.protocol == "redfish":
            return f"Redfish GET {entry.redfish} ComputerSystem PowerState"
        return f"IPMI get chassis power {entry.address}"

    async def read(self, host: str) -> PowerFact | None:
        """Read the host's power now (None: no BMC configured). A failure is a fact too: state unknown, error said."""
        entry = self.entry(host)
        if entry is None:
            return None
        at = time.time()
        try:
            c = await self.client(host)
            state, raw = await self._bounded(c.read)
            fact = PowerFact(state=state, raw=raw, at=at, how=self._how(entry), bmc=entry.address,
                             warning=entry.tls_warning)
        except Exception as e:  # every failure becomes the fact's error: the screen says it, nothing crashes
            fact = PowerFact(state=PowerState.UNKNOWN, at=at, how=self._how(entry), bmc=entry.address,
                             error=explain(host, entry.address, e, self.settings.bmc_timeout), warning=entry.tls_warning)
        self.readings[host] = fact
        for listener in list(self.listeners):
            listener(host)
        return fact

    async def act(self, host: str, action: str) -> str:
        """Send a power action (raises BmcError with a clear sentence). Returns what was sent."""
        entry = self.entry(host)
        if entry is None:
            raise BmcError(f"{host}: no BMC configured ([pool.bmc.{host}] in the config)")
        try:
            c = await self.client(host)
            return str(await self._bounded(lambda: c.act(action)))
        except BmcError:
            raise
        except Exception as e:
            raise BmcError(explain(host, entry.address, e, self.settings.bmc_timeout)) from None

    async def wait_for(self, host: str, want: PowerState, deadline: float) -> tuple[bool, PowerFact | None]:
        """Read the power every `power_poll_interval` until it is `want` or the (monotonic) deadline passes."""
        fact = None
        while True:
            fact = await self.read(host)
            if fact is not None and fact.state is want and fact.error is None:
                return True, fact
            if time.monotonic() >= deadline:
                return False, fact
            await asyncio.sleep(min(self.settings.power_poll_interval, max(0.0, deadline - time.monotonic())))

    def attest(self, host: str, typed: str) -> OffAttestation:
        """The operator typed `typed` to say `host` is physically off (the caller checked it is the host's name)."""
        try:
            operator = getpass.getuser()
        except Exception:
            operator = ""
        a = OffAttestation(host=host, typed=typed, at=time.time(), operator=operator)
        self.attestations[host] = a
        for listener in list(self.listeners):
            listener(host)
        return a
