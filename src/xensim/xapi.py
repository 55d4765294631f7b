"""The simulated XenAPI endpoint: XML-RPC over HTTP, as xapi serves it.

Reached through SSH the way a real host's is: TCP 127.0.0.1:443 (TLS with the
host's self-signed certificate) or :80, and the unix socket
/var/lib/xcp/xapi.  Calls over TCP behave like xapi's external interface
(`login_with_password` on a slave answers HOST_IS_SLAVE at once); calls over
the unix socket are pre-authenticated and forwarded to the master, so they
hang when it is gone.
"""

from __future__ import annotations

import asyncio
import datetime
import ssl
import xmlrpc.client
from collections import Counter
from typing import Any

from .state import PoolDB, SimHost, SimPool, XapiFailure, XapiUnavailable

REF = "OpaqueRef:"


def ref(uuid: str) -> str:
    return REF + uuid


def unref(r: str) -> str:
    return r.removeprefix(REF)


def make_certificate(common_name: str) -> tuple[bytes, bytes]:
    """A self-signed certificate, like the one xapi generates at install."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


def server_tls_context(host: SimHost) -> ssl.SSLContext:
    pem = host.path("/etc/xensource/xapi-ssl.pem")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(pem))
    return ctx


def host_api_record(db: PoolDB, uuid: str) -> dict[str, Any]:
    h = db.hosts[uuid]
    return {
        "uuid": h.uuid,
        "name_label": h.name_label,
        "name_description": h.name_description,
        "address": h.address,
        "hostname": h.hostname,
        "enabled": h.enabled,
        "software_version": dict(h.software_version),
        "API_version_major": str(h.api_major),
        "API_version_minor": str(h.api_minor),
        "cpu_info": {"vendor": h.cpu_vendor, "cpu_count": "16"},
        "external_auth_type": h.external_auth_type,
        "edition": h.edition,
        "metrics": ref("metrics-" + h.uuid),
        "updates": [ref(u.uuid) for u in db.updates.values() if h.uuid in u.hosts],
        "resident_VMs": [ref(h.control_domain_uuid), *map(ref, h.resident_vms)],
    }


class XapiHandler:
    """One HTTP connection to a simulated xapi."""

    def __init__(
        self, pool: SimPool, host: SimHost, root_password: str, via_unix: bool, calls: Counter[tuple[str, str]] | None = None
    ) -> None:
        self.pool = pool
        self.host = host
        self.root_password = root_password
        self.via_unix = via_unix
        self.calls = calls

    async def serve(self, reader: Any, writer: Any) -> None:
        try:
            while True:
                request = await reader.readline()
                if not request:
                    return
                headers: dict[str, str] = {}
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = line.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                if request.split(b" ", 1)[0] == b"GET":
                    writer.write(await self.get(request, headers))
                    await writer.drain()
                    return  # Connection: close
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                response = await self.dispatch(body)
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: keep-alive\r\n"
                    + f"Content-Length: {len(response)}\r\n\r\n".encode()
                    + response
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            return
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def get(self, request: bytes, headers: dict[str, str]) -> bytes:
        """A GET on xapi's plain-HTTP port: `get_root` (ocaml/xapi/fileserver.ml `send_file "/"`).

        Over TCP without TLS the request is external: forbidden when the website is https-only,
        redirected to https when it names a Host, else the file under the web directory
        (/opt/xensource/www, `index.html` for a directory) or xapi's 404 page. A hung toolstack
        accepts the connection and never answers, as it does every call here."""
        if self.host.xapi_hung:
            await self.pool.wait_for(lambda: not self.host.xapi_hung)
        parts = request.decode("latin-1").split()
        uri = parts[1] if len(parts) > 1 else "/"
        if "host" in headers:
            dest = f"https://{headers['host']}{uri}"
            return (f"HTTP/1.1 301 Moved Permanently\r\nLocation: {dest}\r\nContent-Length: 0\r\n"
                    "Connection: close\r\n\r\n").encode()
        page = self.host.path("/opt/xensource/www" + uri.split("?", 1)[0])
        if page.is_dir():
            page = page / "index.html"
        try:
            body = page.read_bytes() if uri.startswith("/") and ".." not in uri else None
        except OSError:
            body = None
        if body is not None:
            return (f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n"
                    "Connection: close\r\n\r\n").encode() + body
        missing = (f"<html><body><h1>HTTP 404 Not Found</h1><p>The requested URL {uri} was not found on this "
                   "server.</p> <hr><address>Xapi Server</address></body></html>").encode()
        return (f"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: {len(missing)}\r\n"
                "Connection: close\r\n\r\n").encode() + missing

    async def dispatch(self, body: bytes) -> bytes:
        try:
            params, method = xmlrpc.client.loads(body)
        except Exception:
            return xmlrpc.client.dumps(xmlrpc.client.Fault(1, "bad request"), methodresponse=True).encode()
        if self.calls is not None:
            self.calls[self.host.name, method or ""] += 1
        try:
            value = await self.call(method or "", list(params))
            result: dict[str, Any] = {"Status": "Success", "Value": value}
        except XapiFailure as f:
            result = {"Status": "Failure", "ErrorDescription": [f.code, *f.params]}
        except XapiUnavailable:
            result = {"Status": "Failure", "ErrorDescription": ["HOST_STILL_BOOTING"]}
        return xmlrpc.client.dumps((result,), methodresponse=True, allow_none=True).encode()

    async def call(self, method: str, params: list[Any]) -> Any:
        pool, h = self.pool, self.host
        if h.xapi_hung:  # a hung toolstack accepts the connection and never answers
            await pool.wait_for(lambda: not h.xapi_hung)
        if method == "session.login_with_password":
            user, password = (params + ["", ""])[:2]
            if self.via_unix:
                return await pool.call(h, "session.login_unix")
            return pool.login_tcp(h, user, password, self.root_password)
        if method == "session.slave_local_login_with_password":
            return await pool.call(h, "session.slave_local_login_with_password")
        if method == "session.logout":
            pool.logout(h, str(params[0]) if params else "")
            return ""
        session = str(params[0]) if params else ""
        if self.via_unix and session not in h.local_sessions:
            # a local client's call goes to the master (xe on a slave): checked there
            await pool.call(h, "session.check", session)
        else:
            await pool.check_session(h, session)
        args = params[1:]  # drop the session reference
        if method == "pool.emergency_transition_to_master":
            await pool.call(h, "pool.emergency_transition_to_master", True)
            return ""
        if method == "pool.emergency_reset_master":
            await pool.call(h, "pool.emergency_reset_master", args[0])
            return ""
        if method == "pool.recover_slaves":
            return [ref(u) for u in await pool.call(h, "pool.recover_slaves")]
        if method == "pool.designate_new_master":
            await pool.call(h, "pool.designate_new_master", unref(args[0]))
            return ""
        db: PoolDB = await pool.call(h, "db.read")
        if method == "session.get_this_host":
            return ref(h.uuid)
        if method == "pool.get_all":
            return [ref(db.pool_uuid)]
        if method == "pool.get_master":
            return ref(db.master_uuid)
        if method == "pool.get_record":
            return {
                "uuid": db.pool_uuid,
                "name_label": db.pool_name,
                "master": ref(db.master_uuid),
                "ha_enabled": db.ha_enabled,
                "tls_verification_enabled": db.tls_verification_enabled,
            }
        if method == "host.get_all":
            return [ref(u) for u in db.hosts]
        if method == "host.get_all_records":
            return {ref(u): host_api_record(db, u) for u in db.hosts}
        if method.startswith("host."):
            uuid = unref(args[0]) if args else ""
            if uuid not in db.hosts:
                raise XapiFailure("HANDLE_INVALID", "host", args[0] if args else "")
            rec = host_api_record(db, uuid)
            if method == "host.get_record":
                return rec
            field = method.removeprefix("host.get_")
            if field in rec:
                return rec[field]
        if method == "host_metrics.get_live":
            uuid = unref(args[0]).removeprefix("metrics-")
            return db.hosts[uuid].live if uuid in db.hosts else False
        raise XapiFailure("MESSAGE_METHOD_UNKNOWN", method)
