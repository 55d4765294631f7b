"""A host's out-of-band controller: a small Redfish service over HTTP(S) on loopback.

One `RedfishBMC` per simulated host, on its own 127.0.0.1 port, served by
asyncio streams (one request per connection: `Connection: close`). Its power
actions act on the simulated host itself: ForceOff powers it off (silent on
the network, its domains gone), On boots it (its toolstack starts and reads
pool.conf: a cut-off master may come back still believing it is master).

The subset of Redfish (DSP0266 / the ComputerSystem schema) it speaks:

* ``GET /redfish/v1/`` — the service root, the one resource readable without
  credentials (DSP0266);
* ``GET /redfish/v1/Systems`` — the collection, one member ``/redfish/v1/Systems/1``;
* ``GET /redfish/v1/Systems/1`` — ``PowerState`` On | Off, the Reset action and
  its ``ResetType@Redfish.AllowableValues``;
* ``POST /redfish/v1/Systems/1/Actions/ComputerSystem.Reset`` ``{"ResetType": …}``
  → 204 No Content.

Every other request needs HTTP Basic credentials; wrong ones get ``401`` with
``WWW-Authenticate: Basic realm=…`` and a Redfish error body.

Fault knobs (attributes, also set through `Simulator.fault`): ``reachable``
False closes the port (connection refused); ``stuck_on`` accepts ForceOff
but the host stays powered and the BMC keeps saying On; ``delay`` applies a
power action that many seconds after the 204, as many BMCs do.
"""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import SimHost, SimPool

SYSTEM = "/redfish/v1/Systems/1"
RESET = SYSTEM + "/Actions/ComputerSystem.Reset"
ALLOWED = ["On", "ForceOff", "GracefulShutdown", "ForceRestart", "PowerCycle"]
DEFAULT_USER = "admin"


def _error(message: str, message_id: str) -> dict[str, Any]:
    return {"error": {"code": message_id, "message": message,
                      "@Message.ExtendedInfo": [{"MessageId": message_id, "Message": message}]}}


class RedfishBMC:
    """The BMC of one simulated host."""

    def __init__(self, pool: "SimPool", host: "SimHost", password: str, user: str = DEFAULT_USER,
                 tls: tuple[Path, Path] | None = None) -> None:
        self.pool = pool
        self.host = host
        self.user = user
        self.password = password
        self.tls = tls  # (certificate, key) files: HTTPS with a self-signed certificate
        self.port = 0
        self.reachable = True
        self.stuck_on = False
        self.delay = 0.0
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status): what clients asked
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def power_state(self) -> str:
        """What this BMC reports: the host's power (or On, when it lies)."""
        return "On" if self.host.powered else "Off"

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        ctx = None
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
        self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port, ssl=ctx)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for t in list(self._tasks):
            t.cancel()

    async def set_reachable(self, reachable: bool) -> None:
        """Unreachable: the port is closed (the same port comes back)."""
        self.reachable = reachable
        if reachable and self._server is None:
            await self.start()
        elif not reachable:
            await self.stop()

    # ------------------------------------------------------------------ HTTP
    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _version = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            length = int(headers.get("content-length") or 0)
            body = await reader.readexactly(length) if length else b""
            status, doc, extra = self.handle(method, target.split("?", 1)[0], headers, body)
            self.requests.append((method, target, status))
            data = b"" if doc is None else json.dumps(doc).encode()
            reason = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
                      404: "Not Found", 405: "Method Not Allowed"}.get(status, "Error")
            out = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(data)}", "Connection: close",
                   "OData-Version: 4.0"]
            if doc is not None:
                out.append("Content-Type: application/json")
            out += [f"{k}: {v}" for k, v in extra]
            writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + data)
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError, ValueError, ssl.SSLError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    def _authorised(self, headers: dict[str, str]) -> bool:
        value = headers.get("authorization", "")
        if not value.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(value[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return (user, password) == (self.user, self.password)

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any, list[tuple[str, str]]]:
        p = path.rstrip("/")
        if method == "GET" and p == "/redfish":
            return 200, {"v1": "/redfish/v1/"}, []
        if method == "GET" and p == "/redfish/v1":
            return 200, {
                "@odata.id": "/redfish/v1/", "@odata.type": "#ServiceRoot.v1_5_0.ServiceRoot",
                "Id": "RootService", "Name": "Root Service", "RedfishVersion": "1.6.0",
                "UUID": self.host.uuid,
                "Systems": {"@odata.id": "/redfish/v1/Systems"},
            }, []
        if not self._authorised(headers):
            return 401, _error("Authorization required", "Base.1.0.GeneralError"), [
                ("WWW-Authenticate", f'Basic realm="BMC of {self.host.name}"')]
        if method == "GET" and p == "/redfish/v1/Systems":
            return 200, {"@odata.id": "/redfish/v1/Systems",
                         "@odata.type": "#ComputerSystemCollection.ComputerSystemCollection",
                         "Name": "Computer System Collection", "Members@odata.count": 1,
                         "Members": [{"@odata.id": SYSTEM}]}, []
        if method == "GET" and p == SYSTEM:
            return 200, {
                "@odata.id": SYSTEM, "@odata.type": "#ComputerSystem.v1_13_0.ComputerSystem",
                "Id": "1", "Name": self.host.name, "UUID": self.host.uuid, "PowerState": self.power_state,
                "Actions": {"#ComputerSystem.Reset": {"target": RESET, "ResetType@Redfish.AllowableValues": ALLOWED}},
            }, []
        if method == "POST" and p == RESET:
            try:
                reset = json.loads(body or b"{}").get("ResetType")
            except (ValueError, AttributeError):
                reset = None
            if reset not in ALLOWED:
                return 400, _error(f"The value {reset!r} for the parameter ResetType is not in the list of acceptable values.",
                                   "Base.1.8.ActionParameterValueNotInList"), []
            self._later(reset)
            return 204, None, []
        return 404, _error(f"The resource at the URI {path} was not found.", "Base.1.8.ResourceMissingAtURI"), []

    # ------------------------------------------------------------------ power
    def _later(self, reset: str) -> None:
        async def act() -> None:
            if self.delay:
                await asyncio.sleep(self.delay)
            self.apply(reset)

        if self.delay:
            t = asyncio.ensure_future(act())
            self._tasks.add(t)
            t.add_done_callback(self._tasks.discard)
        else:
            self.apply(reset)

    def apply(self, reset: str) -> None:
        """The power action on the host (a stuck BMC accepts an off and does nothing)."""
        off = reset in ("ForceOff", "GracefulShutdown")
        if off or reset in ("ForceRestart", "PowerCycle"):
            if self.stuck_on:
                return
            if self.host.powered:
                self.pool.power_off(self.host)
        if reset in ("On", "ForceRestart", "PowerCycle") and not self.host.powered:
            self.pool.power_on(self.host)
        self.pool.truth.record(self.pool, f"BMC {reset} {self.host.name}")


def self_signed_certificate(directory: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (as a BMC ships with), written as <name>.crt / <name>.key."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"bmc-{name}")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    crt, k = directory / f"{name}.crt", directory / f"{name}.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    k.chmod(0o600)
    return crt, k
