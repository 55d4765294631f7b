"""Onboarding: bring a standalone host into a pool, checked first, explained always.

The walkthrough a UI pane drives, step by step (no Textual here):

1. :func:`connect_new_host` — SSH to the new host. An unknown host key is never
   accepted: the connection is refused and the fingerprint (and the key) are
   returned so the admin can compare it out of band. Only when the admin says
   yes does the UI call :func:`trust_host_key`, which appends that key to a
   known_hosts file, then connects again.
2. :func:`gather_host_profile` — for the new host AND the pool master: its own
   record (the one whose UUID is the INSTALLATION_UUID of its inventory),
   its pool, its shared SRs and the updates applied on it.
3. :func:`prejoin_checks` (pure) — every check xapi's ``pre_join_checks``
   makes, with both values side by side and what to do. XenCenter only says
   "This server is a different version to the coordinator"; here the field
   that differs is named. ``force=true`` on ``xe pool-join`` skips only the
   software-version and CPU checks (xapi's ``assert_hosts_homogeneous``);
   xentui never passes it unless the caller asks, and then the checks it
   skips are still shown, marked ``skipped_by_force``.
4. :func:`bring_level` — upload each missing update file from the jump box over
   SFTP to ``/tmp/<name>`` on the new host, ``xe update-upload`` it,
   ``xe update-apply`` it on the new host (``patch-*`` on old releases), then
   read both hosts again and re-run the checks.
5. :func:`join_pool` — ``xe pool-join`` on the new host with the password on
   stdin only (the command line, the audit record and the report never hold
   it); a refusal is explained in plain words (HOSTS_NOT_HOMOGENEOUS names the
   updates that differ); an acceptance is confirmed by reading the new host's
   pool.conf and the master's host list after the toolstack restart.
6. :func:`config_with_new_host` — the xentui config with the host added to its pool.

Facts used (``/work/shared/xapi-reference.md`` §5, and xapi's ``xapi_pool.ml``
``pre_join_checks``): the joining host must not know other hosts, have running
VMs, shared SRs or HA on; the pool must not have HA on; platform version and
brand must match (HOSTS_NOT_COMPATIBLE, not skipped by force); software
version and CPU vendor must match unless force; external auth, licence
edition, network backend, API version, database schema, the
enforce-homogeneity updates and (newer releases) the TLS verification
setting must match.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import asyncssh
from pydantic import BaseModel, Field, computed_field

from ..audit import AuditLog, redact
from ..config import Config, HostEntry
from ..engine.sessions import CommandResult, HostSession, HostTarget
from ..model import SshState
from ..xe import commands as xc
from ..xe.errors import XeError, parse_xe_error
from ..xe.files import Inventory, parse_head_sections, parse_pool_conf
from ..xe.records import XeParseError, parse_map, parse_records
from .executor import Performed, Performer, PlanRunner, RunReport, StepStatus
from .plan import Check, Plan, Step, StepAction

__all__ = [
    "FORCE_SKIPPABLE",
    "HostKeyRefused",
    "HostProfile",
    "JoinCheck",
    "JoinError",
    "JoinReport",
    "JoinStatus",
    "LevelReport",
    "NewHostConnection",
    "OnboardSteps",
    "SRInfo",
    "StepOutput",
    "UpdateDiff",
    "UpdateInfo",
    "as_plan_check",
    "blocking",
    "bring_level",
    "add_host_to_config_file",
    "config_with_new_host",
    "connect_new_host",
    "explain_join_error",
    "file_needed",
    "gather_failures",
    "gather_host_profile",
    "is_tools_sr",
    "join_refusal",
    "match_update_file",
    "not_checked",
    "update_file_identity",
    "UpdateFile",
    "join_pool",
    "missing_updates",
    "prejoin_checks",
    "trust_host_key",
    "update_differences",
]

INVENTORY = "/etc/xensource-inventory"
POOL_CONF = "/etc/xensource/pool.conf"
HOST_FIELDS = "all"
SR_FIELDS = ["uuid", "name-label", "shared", "is-tools-sr", "other-config"]
UPDATE_FIELDS = ["uuid", "name-label", "version", "hosts", "enforce-homogeneity", "after-apply-guidance"]
PATCH_FIELDS = ["uuid", "name-label", "version", "hosts", "after-apply-guidance"]
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
_FUSE_RE = re.compile(r"in ([0-9]+(?:\.[0-9]*)?) seconds")


# =========================================================================== 1. connecting


class HostKeyRefused(Exception):
    """trust_host_key will not write the key (mismatch, or another key is already trusted)."""


@dataclass
class NewHostConnection:
    """The outcome of :func:`connect_new_host`.

    ``connected`` is true only when SSH is up with a host key already trusted.
    With ``state == HOST_KEY_UNKNOWN``, ``fingerprint`` and ``offered_key``
    (OpenSSH one-line public key) are what the host presented; show the
    fingerprint, and only after the admin accepts it call
    ``trust_host_key(known_hosts_path, known_hosts_host, known_hosts_port, offered_key)``.
    """

    session: HostSession
    state: SshState
    error: str | None
    fingerprint: str | None
    offered_key: str | None = None
    known_hosts_host: str | None = None  # the name/address known_hosts is matched on
    known_hosts_port: int | None = None
    known_hosts_path: str | None = None  # where the target's known_hosts lives (the UI may choose another)

    @property
    def connected(self) -> bool:
        return self.state is SshState.UP

    @property
    def needs_trust(self) -> bool:
        return self.state is SshState.HOST_KEY_UNKNOWN and self.offered_key is not None


async def _resolved_endpoint(target: HostTarget) -> tuple[str, int, str | None]:
    """(host, port, known_hosts file) as asyncssh will use them, after ~/.ssh/config-style resolution."""
    kw: dict[str, Any] = {"host": target.host}
    kw["port"] = target.port if target.port else ()
    if target.ssh_config:
        kw["config"] = [str(Path(target.ssh_config).expanduser())]
    else:
        kw["config"] = ()
    opts = await asyncssh.SSHClientConnectionOptions.construct(**kw)
    host = opts.host_key_alias or opts.host or target.host
    port = int(opts.port or 22)
    kh: str | None = target.known_hosts
    if kh is None:
        known = getattr(opts, "known_hosts", None)
        if isinstance(known, (list, tuple)) and known and isinstance(known[0], (str, os.PathLike)):
            kh = str(known[0])
        elif isinstance(known, (str, os.PathLike)):
            kh = str(known)
    if kh is None:
        kh = str(Path("~/.ssh/known_hosts").expanduser())
    return host, port, kh


async def connect_new_host(
    target: HostTarget,
    connect_timeout: float,
    *,
    on_command: Callable[[CommandResult], None] | None = None,
) -> NewHostConnection:
    """Open the SSH session to the host that will join; never accepts an unknown key.

    Returns the session either way (the UI keeps it and calls ``connect()``
    again after :func:`trust_host_key`).
    """
    session = HostSession(target, connect_timeout=connect_timeout, on_command=on_command)
    await session.connect()
    out = NewHostConnection(session=session, state=session.state, error=session.error, fingerprint=session.fingerprint)
    try:
        out.known_hosts_host, out.known_hosts_port, out.known_hosts_path = await _resolved_endpoint(target)
    except (asyncssh.Error, OSError, ValueError) as e:
        if out.error is None and session.state is not SshState.UP:
            out.error = f"{target.name}: {e}"
    if session.state is SshState.HOST_KEY_UNKNOWN:
        # The engine refused the key and kept only its fingerprint: fetch the key itself (a second
        # handshake, no login) and offer it only if it is the same key.
        try:
            kw: dict[str, Any] = {}
            if target.ssh_config:
                kw["config"] = [str(Path(target.ssh_config).expanduser())]
            if target.port:
                kw["port"] = target.port
            key = await asyncio.wait_for(asyncssh.get_server_host_key(target.host, **kw), connect_timeout + 1)
        except (asyncssh.Error, OSError, asyncio.TimeoutError, TimeoutError) as e:
            out.error = f"{out.error}; could not fetch the offered key again: {e}"
            return out
        if key is None or key.get_fingerprint() != session.fingerprint:
            got = key.get_fingerprint() if key is not None else "none"
            out.error = (
                f"{target.name}: the host offered {session.fingerprint} and then {got} on a second "
                "connection — not offered for trust (something in between is changing keys)"
            )
            return out
        out.offered_key = key.export_public_key("openssh").decode().strip()
        out.error = (
            f"{target.name}: host key unknown ({session.fingerprint}); compare it with the host's own "
            "`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` (console or iDRAC/iLO) before trusting it"
        )
    return out


def _known_hosts_pattern(host: str, port: int | None) -> str:
    return host if port in (None, 22) else f"[{host}]:{port}"


async def trust_host_key(
    known_hosts_path: str | os.PathLike[str],
    host: str,
    port: int | None,
    fingerprint_or_key: str | asyncssh.SSHKey,
    *,
    timeout: float = 5.0,
) -> str:
    """Append the host key to ``known_hosts_path`` — call it ONLY after the admin accepted it.

    ``fingerprint_or_key`` is the OpenSSH public key line (``ssh-ed25519 AAAA…``,
    what :class:`NewHostConnection` ``.offered_key`` holds), an ``SSHKey``, or
    a fingerprint (``SHA256:…`` / ``MD5:…``): then the key is fetched from
    ``host:port`` and written only if its fingerprint is exactly that one.
    ``host``/``port`` are what known_hosts is matched on (``known_hosts_host``
    / ``known_hosts_port``). Returns the line written (or already present).
    Raises :class:`HostKeyRefused` if the fetched key does not match, or when
    the file already trusts a DIFFERENT key for that host (a changed key is
    never overwritten here).
    """
    if isinstance(fingerprint_or_key, asyncssh.SSHKey):
        key = fingerprint_or_key
    elif re.match(r"^(SHA256|MD5):", fingerprint_or_key.strip()):
        wanted = fingerprint_or_key.strip()
        fetched = await asyncio.wait_for(asyncssh.get_server_host_key(host, port or 22), timeout)
        if fetched is None:
            raise HostKeyRefused(f"{host}: presented no host key")
        algo = "md5" if wanted.startswith("MD5:") else "sha256"
        got = fetched.get_fingerprint(algo)
        if got != wanted:
            raise HostKeyRefused(f"{host}: presents {got}, not the accepted {wanted} — nothing written")
        key = fetched
    else:
        try:
            key = asyncssh.import_public_key(fingerprint_or_key.strip())
        except (asyncssh.KeyImportError, ValueError) as e:
            raise HostKeyRefused(f"not a public key or fingerprint: {e}") from None
    pub = key.export_public_key("openssh").decode().split()
    line = f"{_known_hosts_pattern(host, port)} {pub[0]} {pub[1]}"
    path = Path(known_hosts_path).expanduser()
    existing = path.read_text() if path.exists() else ""
    if existing.strip():
        try:
            trusted = asyncssh.import_known_hosts(existing).match(host, host, port)[0]
        except (asyncssh.Error, ValueError):
            trusted = []
        blobs = {k.public_data for k in trusted}
        if key.public_data in blobs:
            return line
        if blobs:
            raise HostKeyRefused(
                f"{path} already trusts another key for {_known_hosts_pattern(host, port)}: "
                "a changed host key is not overwritten; remove the old line after checking the host"
            )
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        prefix = "\n" if existing and not existing.endswith("\n") else ""
        os.write(fd, (prefix + line + "\n").encode())
    finally:
        os.close(fd)
    return line


# =========================================================================== 2. profiles


class UpdateInfo(BaseModel):
    """One update (``xe update-list``) or patch (``xe patch-list``)."""

    uuid: str
    name_label: str
    version: str = ""
    enforce_homogeneity: bool = True  # patches (old releases) are always compared
    after_apply_guidance: list[str] = Field(default_factory=list)  # restartToolstack, restartHost, …

    def label(self) -> str:
        return f"{self.name_label} {self.version}".strip()


class SRInfo(BaseModel):
    uuid: str
    name_label: str
    is_tools_sr: bool = False  # the guest-tools ISO SR: xapi's pre-join check skips it


# xapi_globs.tools_sr_tag (v1.249.40 / v24.39.0): the other-config key dbsync_master
# turns into SR.is_tools_sr at the master's start ("From Miami GA onward we identify the
# tools SR with the following SR.other_config key").
TOOLS_SR_TAG = "xenserver_tools_sr"


def is_tools_sr(record: dict[str, str]) -> bool:
    """SR.is_tools_sr as xapi's pre-join check reads it (``is-tools-sr`` in sr-list).

    Only when the field is not printed at all (a release before Dundee) the
    other-config tag decides, as dbsync_master would have set the field from it.
    """
    field = _bool(record.get("is-tools-sr"))
    if field is not None:
        return field
    try:
        return TOOLS_SR_TAG in parse_map(record.get("other-config", ""))
    except XeParseError:
        return False


class HostProfile(BaseModel):
    """What one host says about itself and its pool (see :func:`gather_host_profile`).

    A value that could not be read is ``None``; ``errors`` says why.
    """

    name: str  # the session's name (config entry)
    uuid: str | None = None  # INSTALLATION_UUID
    name_label: str | None = None
    hostname: str | None = None
    address: str | None = None  # management address (what pool-join's master-address takes)
    role: str | None = None  # from pool.conf: master | slave | broken
    pool_conf: str | None = None
    api_major: int | None = None
    api_minor: int | None = None
    software_version: dict[str, str] = Field(default_factory=dict)
    db_schema: str | None = None
    platform_version: str | None = None
    product_brand: str | None = None
    product_version: str | None = None
    build_number: str | None = None
    network_backend: str | None = None
    cpu_vendor: str | None = None
    external_auth_type: str | None = None
    external_auth_service_name: str | None = None
    edition: str | None = None
    pool_uuid: str | None = None
    pool_name: str | None = None
    pool_master_uuid: str | None = None
    ha_enabled: bool | None = None
    tls_verification_enabled: bool | None = None
    hosts_in_pool: int | None = None
    other_hosts: list[str] = Field(default_factory=list)  # name-labels of the other hosts of its pool
    shared_srs: list[SRInfo] = Field(default_factory=list)
    running_vms: list[str] = Field(default_factory=list)  # resident VMs, control domain excluded
    updates: list[UpdateInfo] = Field(default_factory=list)  # applied on THIS host
    known_updates: list[UpdateInfo] = Field(default_factory=list)  # every update in its pool database
    update_mechanism: Literal["update", "patch"] = "update"
    errors: list[str] = Field(default_factory=list)  # one line each: "<command>: <the line that failed>"
    missing: list[str] = Field(default_factory=list)  # fact groups not read: inventory, host, pool, srs, updates

    @property
    def api_version(self) -> str | None:
        if self.api_major is None or self.api_minor is None:
            return None
        return f"{self.api_major}.{self.api_minor}"

    @property
    def is_pool_master(self) -> bool:
        return self.uuid is not None and self.uuid == self.pool_master_uuid

    @property
    def master_of_others(self) -> bool:
        """Master of a pool that has other hosts (it cannot join another pool)."""
        return self.is_pool_master and (self.hosts_in_pool or 0) > 1

    @property
    def label(self) -> str:
        return self.name_label or self.name


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.strip().lower()
    return True if v == "true" else False if v == "false" else None


def _split_hosts(value: str) -> list[str]:
    # patch/update `hosts` prints "a, b" (reference §6); tolerate "a; b" too.
    return [p.strip() for p in re.split(r"[,;]\s*", value) if p.strip()]


def _failure(what: str, r: CommandResult) -> str:
    if r.timed_out or r.exit_status in xc.TIMED_OUT_EXIT_CODES:
        return f"{what}: no answer in time"
    if r.error:
        return f"{what}: {r.error}"
    err = parse_xe_error(r.stderr)
    text = err.description.splitlines()[0] if err.description else (r.stderr.strip() or f"exit {r.exit_status}")
    return f"{what}: {text}" + (f" ({err.code})" if err.code and err.code not in ("CLI_ERROR",) else "")


async def _xe(session: HostSession, command: str, timeout: float, stdin: str | None = None) -> CommandResult:
    return await session.run(xc.timeout_wrapped(timeout, command), timeout + 3, stdin=stdin)


async def gather_host_profile(session: HostSession, timeout: float) -> HostProfile:
    """Read one host's profile: inventory + pool.conf, host-list, pool-list, sr-list, update-list.

    Works on any host that is master of its pool (the new host, the pool
    master); on a slave every xe call is forwarded to its master. Every call
    is bounded by ``timeout``; whatever fails is listed in ``errors`` and the
    rest is still filled in. Never raises (but for cancellation).
    """
    p = HostProfile(name=session.name)
    files_r, hosts_r, pool_r, sr_r, upd_r = await asyncio.gather(
        session.run(xc.read_files([INVENTORY, POOL_CONF]), timeout),
        _xe(session, xc.host_list(params=[HOST_FIELDS]), timeout),
        _xe(session, xc.pool_list(params=["all"]), timeout),
        _xe(session, xc.sr_list(params=SR_FIELDS), timeout),
        _xe(session, xc.update_list(params=UPDATE_FIELDS), timeout),
    )
    # -- files
    if files_r.error:
        p.errors.append(_failure(f"cat {INVENTORY}", files_r))
    sections = parse_head_sections(files_r.stdout)
    inv = Inventory.from_text(sections.get(INVENTORY, ""))
    p.uuid = inv.installation_uuid
    if p.uuid is None and not files_r.error:
        p.errors.append(f"{INVENTORY}: no INSTALLATION_UUID")
    if p.uuid is None:
        p.missing.append("inventory")
    conf = parse_pool_conf(sections.get(POOL_CONF))
    p.role, p.pool_conf = conf.role, (conf.raw.strip() if conf.raw is not None else None)
    # -- own host record
    if hosts_r.ok:
        try:
            records = parse_records(hosts_r.stdout)
        except XeParseError as e:
            records = []
            p.errors.append(f"xe host-list params=all: {_first_line(str(e))}")
        own = next((r for r in records if r.get("uuid") == p.uuid), None)
        p.hosts_in_pool = len(records) if records else None
        p.other_hosts = [r.get("name-label") or r.get("uuid", "") for r in records if r is not own]
        if own is None and records:
            p.errors.append(f"xe host-list: no record with this host's INSTALLATION_UUID {p.uuid}")
        if own is not None:
            _fill_from_host_record(p, own)
        else:
            p.missing.append("host")
    else:
        p.missing.append("host")
        p.errors.append(_failure("xe host-list", hosts_r))
    # -- pool
    if pool_r.ok:
        try:
            pools = parse_records(pool_r.stdout)
        except XeParseError as e:
            pools = []
            p.errors.append(f"xe pool-list params=all: {_first_line(str(e))}")
        if pools:
            pool = pools[0]
            p.pool_uuid = pool.get("uuid")
            p.pool_name = pool.get("name-label")
            p.pool_master_uuid = pool.get("master")
            p.ha_enabled = _bool(pool.get("ha-enabled"))
            p.tls_verification_enabled = _bool(pool.get("tls-verification-enabled"))  # None on old releases
        else:
            p.missing.append("pool")
    else:
        p.missing.append("pool")
        p.errors.append(_failure("xe pool-list", pool_r))
    # -- shared SRs
    if sr_r.ok:
        try:
            p.shared_srs = [
                SRInfo(uuid=r.get("uuid", ""), name_label=r.get("name-label", ""), is_tools_sr=is_tools_sr(r))
                for r in parse_records(sr_r.stdout)
                if _bool(r.get("shared")) is True
            ]
        except XeParseError as e:
            p.missing.append("srs")
            p.errors.append(f"xe sr-list: {_first_line(str(e))}")
    else:
        p.missing.append("srs")
        p.errors.append(_failure("xe sr-list", sr_r))
    # -- updates (patches on old releases)
    if not upd_r.ok and parse_xe_error(upd_r.stderr).code == "UNKNOWN_COMMAND":
        p.update_mechanism = "patch"
        upd_r = await _xe(session, xc.patch_list(params=PATCH_FIELDS), timeout)
    if upd_r.ok:
        try:
            known = []
            for r in parse_records(upd_r.stdout):
                enforce = _bool(r.get("enforce-homogeneity"))
                info = UpdateInfo(
                    uuid=r.get("uuid", ""),
                    name_label=r.get("name-label", ""),
                    version=r.get("version", ""),
                    enforce_homogeneity=True if enforce is None else enforce,
                    after_apply_guidance=[g.strip() for g in re.split(r"[,;]", r.get("after-apply-guidance", "")) if g.strip()],
                )
                known.append((info, _split_hosts(r.get("hosts", ""))))
            p.known_updates = [u for u, _ in known]
            p.updates = [u for u, hosts in known if p.uuid is not None and p.uuid in hosts]
        except XeParseError as e:
            p.missing.append("updates")
            p.errors.append(f"xe {p.update_mechanism}-list: {_first_line(str(e))}")
    else:
        p.missing.append("updates")
        p.errors.append(_failure(f"xe {p.update_mechanism}-list", upd_r))
    return p


def _fill_from_host_record(p: HostProfile, own: dict[str, str]) -> None:
    p.name_label = own.get("name-label")
    p.hostname = own.get("hostname")
    p.address = own.get("address")
    try:
        p.api_major = int(own["API-version-major"])
        p.api_minor = int(own["API-version-minor"])
    except (KeyError, ValueError):
        p.errors.append("host record: no API version")
    try:
        sv = parse_map(own.get("software-version", ""))
    except XeParseError:
        sv = {}
    p.software_version = sv
    p.db_schema = sv.get("db_schema")
    p.platform_version = sv.get("platform_version")
    p.product_brand = sv.get("product_brand") or sv.get("platform_name")
    p.product_version = sv.get("product_version")
    p.build_number = sv.get("build_number")
    # xapi: a master whose software_version has no network_backend runs the bridge backend.
    p.network_backend = sv.get("network_backend") or ("bridge" if sv else None)
    try:
        p.cpu_vendor = parse_map(own.get("cpu_info", "")).get("vendor")
    except XeParseError:
        p.cpu_vendor = None
    p.external_auth_type = own.get("external-auth-type", "")
    p.external_auth_service_name = own.get("external-auth-service-name", "")
    p.edition = own.get("edition")
    dom0 = own.get("control-domain-uuid", "")
    resident = [v.strip() for v in own.get("resident-vms", "").split(";") if v.strip()]
    p.running_vms = [v for v in resident if v != dom0]


# =========================================================================== 3. checks


class JoinStatus(StrEnum):
    PASS = "pass"
    BLOCK = "block"
    WARN = "warn"
    NOT_CHECKED = "not-checked"  # its facts were not read: the cause is said once, above the checks


class UpdateDiff(BaseModel):
    """One row of the update table: an update on one side only, or in two versions."""

    name_label: str
    pool_version: str | None  # None: the pool master does not have it
    new_version: str | None  # None: the new host does not have it
    enforce_homogeneity: bool
    where: Literal["missing-on-new", "only-on-new", "version-differs"]


class JoinCheck(BaseModel):
    """One pre-join check, with both values and what to do."""

    name: str
    status: JoinStatus
    new_value: str
    pool_value: str
    advice: str
    skipped_by_force: bool = False  # force=true was asked for and skips this failing check
    force_skippable: bool = False  # one of the checks force=true skips (software version, CPU)
    code: str | None = None  # the xapi error this check anticipates
    xapi_check: str = ""  # the function of xapi's pre_join_checks it mirrors (ocaml/xapi/xapi_pool.ml)
    table: list[UpdateDiff] = Field(default_factory=list)  # the updates check only


FORCE_SKIPPABLE = frozenset({"software version", "CPU vendor"})
"""The checks ``xe pool-join force=true`` skips (xapi's assert_hosts_homogeneous). Nothing else."""

FORCE_NOTE = (
    "force=true skips only the software-version and CPU-vendor checks; every other check still "
    "refuses the join. xentui passes force only when you ask for it explicitly."
)


def _v(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "enabled" if value else "disabled"
    if value == "":
        return "none"
    return str(value)


def update_differences(new: HostProfile, pool_master: HostProfile) -> list[UpdateDiff]:
    """The update table: what the pool master has and the new host lacks, the reverse,
    and updates present on both in different versions. Matched by name-label."""
    mine = {u.name_label: u for u in new.updates}
    theirs = {u.name_label: u for u in pool_master.updates}
    rows: list[UpdateDiff] = []
    for name in sorted(set(mine) | set(theirs)):
        a, b = mine.get(name), theirs.get(name)
        if a is not None and b is not None:
            if a.version != b.version:
                rows.append(UpdateDiff(name_label=name, pool_version=b.version, new_version=a.version,
                                       enforce_homogeneity=a.enforce_homogeneity or b.enforce_homogeneity,
                                       where="version-differs"))
        elif b is not None:
            rows.append(UpdateDiff(name_label=name, pool_version=b.version, new_version=None,
                                   enforce_homogeneity=b.enforce_homogeneity, where="missing-on-new"))
        elif a is not None:
            rows.append(UpdateDiff(name_label=name, pool_version=None, new_version=a.version,
                                   enforce_homogeneity=a.enforce_homogeneity, where="only-on-new"))
    return rows


def missing_updates(new: HostProfile, pool_master: HostProfile) -> list[UpdateInfo]:
    """The updates the pool master has that the new host lacks (or has in another version):
    the files :func:`bring_level` needs."""
    names = {d.name_label for d in update_differences(new, pool_master) if d.where != "only-on-new"}
    return [u for u in pool_master.updates if u.name_label in names]


def _names(rows: Sequence[UpdateDiff], where: str, pool_side: bool) -> str:
    out = []
    for d in rows:
        if d.where != where:
            continue
        if where == "version-differs":
            out.append(f"{d.name_label} (pool {d.pool_version}, new host {d.new_version})")
        else:
            out.append(f"{d.name_label} {d.pool_version if pool_side else d.new_version}".strip())
    return ", ".join(out)


XAPI_POOL_ML = "ocaml/xapi/xapi_pool.ml pre_join_checks (xapi v1.249.40, v24.39.0)"


def gather_failures(new: HostProfile, pool_master: HostProfile) -> list[str]:
    """One line per read that failed: ``<host>: <command>: <the line that failed>``."""
    return [f"{h.label}: {e}" for h in (new, pool_master) for e in h.errors]


NOT_CHECKED = "not checked (facts missing)"


def _xapi_release(h: HostProfile) -> str | None:
    """xapi's version as the host prints it in software-version (``1.249`` / ``24.39.0``)."""
    return h.software_version.get("xapi") or None


def prejoin_checks(new: HostProfile, pool_master: HostProfile, *, force: bool = False) -> list[JoinCheck]:
    """Every pre-join check, pure, in the order of xapi's ``pre_join_checks``.

    Each check names the xapi function it mirrors (``JoinCheck.xapi_check``,
    in ``ocaml/xapi/xapi_pool.ml`` at v1.249.40 and v24.39.0) and compares
    exactly what that function compares. Where the releases differ (the TLS
    check exists only from xapi 24.x), the pool master's release decides: it
    runs the checks. A check whose facts were not read says so
    (``not-checked``) once; the cause is in :func:`gather_failures`. A host
    already in this pool gets that one check and nothing else.
    ``force``: the software-version and CPU checks that fail are shown as
    ``warn`` with ``skipped_by_force`` (xapi: ``if not force then
    assert_hosts_homogeneous ()``).
    """
    n, p = new.label, pool_master.label
    gone = set(new.missing) | set(pool_master.missing)

    # assert_not_joining_myself / a slave already following this master: recognised first.
    same = (new.uuid is not None and new.uuid == pool_master.uuid) or (
        new.pool_uuid is not None and new.pool_uuid == pool_master.pool_uuid
    ) or (new.role == "slave" and pool_master.address is not None and new.pool_conf == f"slave:{pool_master.address}")
    if same:
        return [JoinCheck(
            name="not already in this pool", status=JoinStatus.BLOCK,
            new_value=f"pool.conf {_v(new.pool_conf)}, pool {_v(new.pool_name)} ({_v(new.pool_uuid)})",
            pool_value=f"pool {_v(pool_master.pool_name)} ({_v(pool_master.pool_uuid)})",
            advice=f"{n} is already {'the pool master' if new.uuid == pool_master.uuid else 'a member of this pool'}: "
                   "nothing to join.",
            code="OPERATION_NOT_ALLOWED", xapi_check="assert_not_joining_myself",
        )]

    checks: list[JoinCheck] = []

    def add(name: str, xapi_check: str, ok: bool, new_value: object, pool_value: object, advice: str, *,
            needs: tuple[str, ...], warn_only: bool = False, code: str | None = None,
            table: list[UpdateDiff] | None = None, unknown: bool = False) -> None:
        skippable = name in FORCE_SKIPPABLE
        skipped = False
        if unknown or gone.intersection(needs):
            status, advice = JoinStatus.NOT_CHECKED, NOT_CHECKED
        elif ok:
            status = JoinStatus.PASS
        elif warn_only:
            status = JoinStatus.WARN
        elif skippable and force:
            status, skipped = JoinStatus.WARN, True
            advice = "force=true was asked for: xapi will skip this check. " + advice
        else:
            status = JoinStatus.BLOCK
        if status is JoinStatus.PASS:
            advice = ""
        checks.append(JoinCheck(
            name=name, status=status, new_value=_v(new_value) if status is not JoinStatus.NOT_CHECKED else "—",
            pool_value=_v(pool_value) if status is not JoinStatus.NOT_CHECKED else "—", advice=advice,
            skipped_by_force=skipped, force_skippable=skippable, code=code, table=table or [], xapi_check=xapi_check,
        ))

    add("HA disabled", "ha_is_not_enable_on_me, ha_is_not_enable_on_the_distant_pool",
        not pool_master.ha_enabled and not new.ha_enabled,
        f"HA {_v(new.ha_enabled)} on {_v(new.pool_name)}", f"HA {_v(pool_master.ha_enabled)} on {_v(pool_master.pool_name)}",
        "HA must be off on both pools during a join: `xe pool-ha-disable` on the pool master "
        + ("(the pool) " if pool_master.ha_enabled else "")
        + ("and on the new host's own pool " if new.ha_enabled else "")
        + "— re-enable it after the join.",
        needs=("pool",), code="HA_IS_ENABLED")
    others = [h for h in new.other_hosts if h]
    add("not master of other hosts", "assert_i_know_of_no_other_hosts", (new.hosts_in_pool or 1) <= 1,
        f"{new.hosts_in_pool} host(s) in {_v(new.pool_name)}" + (f": {', '.join(others)}" if others else ""),
        "—",
        f"{n} is the master of a pool with other hosts ({', '.join(others)}): eject them from its pool first "
        "(each then joins on its own), or join the pool the other way round.",
        needs=("host",), code="JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS")
    vms = ", ".join(new.running_vms)
    add("no running VMs", "assert_no_running_vms_on_me", not new.running_vms,
        f"{len(new.running_vms)} running" + (f": {vms}" if vms else ""), "—",
        f"{n} has running VMs ({vms}): xapi refuses the join while any VM but the control domain runs there. "
        "Shut them down (or move them away); after the join they can be started in the pool.",
        needs=("host",), code="JOINING_HOST_CANNOT_HAVE_RUNNING_VMS")
    # assert_hosts_compatible: (platform_version, product_brand or else platform_name).
    add("platform version", "assert_hosts_compatible", new.platform_version == pool_master.platform_version,
        new.platform_version, pool_master.platform_version,
        f"software-version platform_version differs ({_v(new.platform_version)} vs {_v(pool_master.platform_version)}): "
        f"a different major release. Reinstall or upgrade {n} to the pool's release "
        f"({_v(pool_master.product_brand)} {_v(pool_master.product_version)}). force does not skip this.",
        needs=("host",), code="HOSTS_NOT_COMPATIBLE")
    add("product brand", "assert_hosts_compatible", new.product_brand == pool_master.product_brand,
        new.product_brand, pool_master.product_brand,
        f"{n} runs {_v(new.product_brand)}, the pool {_v(pool_master.product_brand)}: hosts of different products "
        "cannot share a pool. Reinstall the new host with the pool's product. force does not skip this.",
        needs=("host",), code="HOSTS_NOT_COMPATIBLE")
    # assert_hosts_homogeneous: (platform_version, compatibility name, git_id, xs:linux present) —
    # not product_version, and not the build number (CA-249786).
    def sw(h: HostProfile) -> tuple[str, str, str, bool]:
        v = h.software_version
        return (h.platform_version or "", h.product_brand or "", v.get("git_id", ""), "xs:linux" in v)

    def sw_text(h: HostProfile) -> str:
        v = h.software_version
        return (f"{_with_build(h)}; platform {_v(h.platform_version)}, git_id {v.get('git_id', 'none')}, "
                f"xs:linux {'installed' if 'xs:linux' in v else 'not present'}")
    add("software version", "assert_hosts_homogeneous", sw(new) == sw(pool_master),
        sw_text(new), sw_text(pool_master),
        f"software-version differs (platform_version, product brand, git_id, xs:linux — xapi does not compare "
        f"product_version nor the build number, CA-249786) between {n} and {p}: "
        "bring the new host to the pool's version (its updates, or an upgrade); if the new host is newer, "
        "update the pool master first. force=true skips this check, but the pool would then run mixed versions.",
        needs=("host",), code="HOSTS_NOT_HOMOGENEOUS")
    add("CPU vendor", "assert_hosts_homogeneous", new.cpu_vendor == pool_master.cpu_vendor,
        new.cpu_vendor, pool_master.cpu_vendor,
        f"cpu_info vendor differs ({_v(new.cpu_vendor)} vs {_v(pool_master.cpu_vendor)}): VMs could never live-migrate "
        "between these hosts. Pool hosts of one CPU vendor. force=true skips this check; xentui uses it only when "
        "you ask for it.",
        needs=("host",), code="HOSTS_NOT_HOMOGENEOUS", unknown=new.cpu_vendor is None or pool_master.cpu_vendor is None)
    counted = [s for s in new.shared_srs if not s.is_tools_sr]
    tools = [s for s in new.shared_srs if s.is_tools_sr]
    srs = ", ".join(f"{s.name_label} ({s.uuid})" for s in counted)
    add("no shared SRs", "assert_no_shared_srs_on_me (the tools SR, SR.is_tools_sr, does not count)", not counted,
        (srs or "none") + (f"; not counted: tools SR {', '.join(s.name_label for s in tools)}" if tools else ""), "—",
        f"{n} has shared storage ({srs}): detach it on {n} (xe pbd-unplug, then xe sr-forget — the data stays "
        "on the storage), join, then attach it to the whole pool.",
        needs=("srs",), code="JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS")
    add("external auth (AD)", "assert_external_auth_matches",
        (new.external_auth_type or "", new.external_auth_service_name or "")
        == (pool_master.external_auth_type or "", pool_master.external_auth_service_name or ""),
        _auth(new), _auth(pool_master),
        "the external authentication setting must be the same: "
        + (f"join {n} to {pool_master.external_auth_service_name} (xe pool-enable-external-auth on the new host) "
           if pool_master.external_auth_type else f"disable external auth on {n} (xe pool-disable-external-auth) ")
        + "before the join.",
        needs=("host",), code="POOL_JOINING_EXTERNAL_AUTH_MISMATCH")
    add("licence edition", "assert_restrictions_match", new.edition == pool_master.edition, new.edition,
        pool_master.edition,
        f"{n} is licensed {_v(new.edition)}, the pool {_v(pool_master.edition)}: apply the pool's edition to the new "
        "host (xe host-apply-edition) before the join.",
        needs=("host",), code="LICENSE_HOST_POOL_MISMATCH", unknown=new.edition is None or pool_master.edition is None)
    add("network backend", "assert_homogeneous_vswitch_configuration", new.network_backend == pool_master.network_backend,
        new.network_backend, pool_master.network_backend,
        f"{n} uses the {_v(new.network_backend)} backend, the pool {_v(pool_master.network_backend)}: switch the new "
        f"host with `xe-switch-network-backend {pool_master.network_backend or '<backend>'}` and reboot it.",
        needs=("host",), code="OPERATION_NOT_ALLOWED")
    add("API version", "assert_api_version_matches", new.api_version == pool_master.api_version, new.api_version,
        pool_master.api_version,
        f"{n} speaks XenAPI {_v(new.api_version)}, the pool master {p} {_v(pool_master.api_version)}: the new host "
        "must run the same release as the pool. Upgrade the older side — and a member may not be newer than its "
        "master, so if the new host is newer, upgrade the pool master first. force does not skip this.",
        needs=("host",), code="POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION",
        unknown=new.api_version is None or pool_master.api_version is None)
    add("database schema", "assert_db_schema_matches", new.db_schema == pool_master.db_schema, new.db_schema,
        pool_master.db_schema,
        f"software-version db_schema differs ({_v(new.db_schema)} on {n}, {_v(pool_master.db_schema)} on {p}): "
        "the two toolstacks cannot share one database. Install the pool's release on the new host "
        "(update the master first if the new host is newer). force does not skip this.",
        needs=("host",), code="POOL_JOINING_HOST_MUST_HAVE_SAME_DB_SCHEMA")

    # assert_homogeneous_updates: the sets of enforce_homogeneity updates' UUIDs must be equal
    # (force does not skip it); the table names them.
    rows = update_differences(new, pool_master)
    mine = {u.uuid for u in new.updates if u.enforce_homogeneity}
    theirs = {u.uuid for u in pool_master.updates if u.enforce_homogeneity}
    lacking = _names(rows, "missing-on-new", pool_side=True)
    extra = _names(rows, "only-on-new", pool_side=False)
    versions = _names(rows, "version-differs", pool_side=True)
    parts = []
    if lacking:
        parts.append(f"the pool has, {n} lacks: {lacking} — upload and apply them on {n} (bring level)")
    if extra:
        parts.append(f"{n} has, the pool lacks: {extra} — apply them to the pool (master first) or reinstall {n}")
    if versions:
        parts.append(f"different versions: {versions} — apply the pool's version on {n}")
    advice = "; ".join(parts) + "."
    if rows and mine == theirs:
        advice = "Only updates that do not enforce homogeneity differ, xapi will accept the join: " + advice
    elif rows or mine != theirs:
        advice = "xapi refuses the join (HOSTS_NOT_HOMOGENEOUS, even with force) while these differ: " + advice
    add("updates", "assert_homogeneous_updates", mine == theirs and not rows,
        _update_summary(new), _update_summary(pool_master), advice,
        warn_only=mine == theirs, needs=("inventory", "updates"), code="HOSTS_NOT_HOMOGENEOUS", table=rows)

    # assert_tls_verification_matches: only in the master's release from xapi 24.x (v24.39.0),
    # absent at v1.249.40 — the pool master's release decides (its pool record has the field or not).
    if pool_master.tls_verification_enabled is not None or "pool" in pool_master.missing:
        add("TLS verification", "assert_tls_verification_matches",
            new.tls_verification_enabled == pool_master.tls_verification_enabled,
            new.tls_verification_enabled, pool_master.tls_verification_enabled,
            ("tls-verification-enabled differs: enable it on the pool with `xe pool-enable-tls-verification` "
             "(on the pool master) before the join."
             if new.tls_verification_enabled else
             f"tls-verification-enabled differs: enable it on {n}'s own pool with `xe pool-enable-tls-verification` "
             "(run on the new host) before the join."),
            needs=("pool",), code="POOL_JOINING_HOST_TLS_VERIFICATION_MISMATCH",
            unknown=new.tls_verification_enabled is None)
    return checks


def _with_build(h: HostProfile) -> str | None:
    if h.product_version is None:
        return None
    return h.product_version + (f" (build {h.build_number})" if h.build_number else "")


def _update_summary(h: HostProfile) -> str:
    return f"{len(h.updates)} applied" + (f": {', '.join(u.label() for u in h.updates)}" if h.updates else "")


def _auth(h: HostProfile) -> str | None:
    if h.external_auth_type is None:
        return None
    if not h.external_auth_type:
        return "none"
    return f"{h.external_auth_type} {h.external_auth_service_name or ''}".strip()


def blocking(checks: Sequence[JoinCheck]) -> list[JoinCheck]:
    """The checks that refuse the join."""
    return [c for c in checks if c.status is JoinStatus.BLOCK]


def not_checked(checks: Sequence[JoinCheck]) -> list[JoinCheck]:
    """The checks whose facts were not read (the join is not offered while any is)."""
    return [c for c in checks if c.status is JoinStatus.NOT_CHECKED]


def join_refusal(checks: Sequence[JoinCheck], failures: Sequence[str] = ()) -> str | None:
    """Why the console does not offer the join now (None: it may proceed)."""
    if blocks := blocking(checks):
        return "a check blocks: " + "; ".join(f"{c.name} ({c.code})" if c.code else c.name for c in blocks)
    if failures or not_checked(checks):
        return "facts missing: " + ("; ".join(failures) or ", ".join(c.name for c in not_checked(checks)))
    if not checks:
        return "the checks have not run"
    return None


def as_plan_check(c: JoinCheck) -> Check:
    """A :class:`JoinCheck` in the console's plan ``Check`` shape (block → not ok, warn → warning)."""
    detail = f"new host {c.new_value}, pool {c.pool_value}" + (f" — {c.advice}" if c.advice else "")
    return Check(name=c.name, ok=c.status is not JoinStatus.BLOCK, detail=detail, warning=c.status is JoinStatus.WARN)


# =========================================================================== 4. bring level


class StepOutput(BaseModel):
    """One thing done on a host and what it printed."""

    host: str
    what: str
    command: str
    ok: bool
    exit_status: int | None = None
    stdout: str = ""
    stderr: str = ""
    error: str | None = None
    duration_s: float = 0.0


def _step(what: str, r: CommandResult) -> StepOutput:
    ok = r.ok
    error = r.error
    if r.exit_status in xc.TIMED_OUT_EXIT_CODES:
        ok, error = False, error or "no answer in time"
    return StepOutput(host=r.host, what=what, command=r.command, ok=ok, exit_status=r.exit_status,
                      stdout=r.stdout, stderr=r.stderr, error=error, duration_s=max(0.0, r.duration))


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


class LevelReport(BaseModel):
    """What :func:`bring_level` did, and the checks after it."""

    steps: list[StepOutput] = Field(default_factory=list)
    applied: list[str] = Field(default_factory=list)  # file names applied, read back from update-list
    already_applied: list[str] = Field(default_factory=list)  # UPDATE_ALREADY_APPLIED, read back the same way
    outcomes: list[str] = Field(default_factory=list)  # one line per file: what the host said and what was read back
    run: RunReport | None = None  # the runner's account (statuses, dry run, declined)
    failed: list[str] = Field(default_factory=list)  # "<file>: why"
    new_profile: HostProfile | None = None
    pool_profile: HostProfile | None = None
    checks: list[JoinCheck] = Field(default_factory=list)
    guidance: list[str] = Field(default_factory=list)  # what the applied updates ask for afterwards

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return not self.failed and not blocking(self.checks) and not not_checked(self.checks)


ProgressCallback = Callable[[str, int, int], Any]  # (file name, bytes sent, total bytes)
StepCallback = Callable[[StepOutput], Any]


async def _maybe(value: Any) -> None:
    if asyncio.iscoroutine(value) or isinstance(value, Awaitable):
        await value


async def _upload(session: HostSession, local: Path, remote: str, timeout: float,
                  on_progress: ProgressCallback | None) -> StepOutput:
    started = time.monotonic()
    total = local.stat().st_size
    command = f"sftp put {local} {remote}"
    if not await session.connect() or session.conn is None:
        return StepOutput(host=session.name, what=f"upload {local.name}", command=command, ok=False,
                          error=session.error or "not connected")
    name = local.name
    pending: list[Any] = []

    def progress(_src: bytes, _dst: bytes, done: int, size: int) -> None:
        if on_progress is not None:
            res = on_progress(name, done, size)
            if asyncio.iscoroutine(res):
                pending.append(asyncio.ensure_future(res))

    try:
        async def go() -> None:
            async with session.conn.start_sftp_client() as sftp:  # type: ignore[union-attr]
                await sftp.put(str(local), remote, progress_handler=progress)

        await asyncio.wait_for(go(), timeout)
        error = None
    except (asyncio.TimeoutError, TimeoutError):
        error = f"upload not finished in {timeout:g} s"
    except (asyncssh.Error, OSError) as e:
        error = f"upload failed: {e}"
    for t in pending:
        await t
    return StepOutput(host=session.name, what=f"upload {name} ({total} bytes)", command=command, ok=error is None,
                      stdout=f"{total} bytes sent" if error is None else "", error=error,
                      duration_s=time.monotonic() - started)


async def _remove_remote(session: HostSession, remote: str) -> None:
    """Drop the uploaded file from dom0's small root fs (xapi keeps its own copy after *-upload)."""
    if session.conn is None:
        return
    try:
        async with session.conn.start_sftp_client() as sftp:
            await asyncio.wait_for(sftp.remove(remote), 10)
    except (asyncssh.Error, OSError, asyncio.TimeoutError, TimeoutError):
        pass


class UpdateFile(BaseModel):
    """The update a local file holds, read from its update.xml (as xapi reads it on upload)."""

    uuid: str
    name_label: str
    version: str


_UPDATE_ELEMENT = re.compile(rb"<update\b[^>]*>")
_XML_ATTR = re.compile(r'([A-Za-z_-]+)="([^"]*)"')


def update_file_identity(path: str | os.PathLike[str], *, chunk: int = 1 << 20, limit: int = 1 << 31) -> UpdateFile | str:
    """The update in ``path``: its update.xml ``<update uuid=… name-label=… version=…>``.

    xapi takes an update's identity from update.xml in the ISO (xapi_pool_update.ml
    ``parse_update_info``, v1.249.40 / v24.39.0); an ISO stores that file as is, so
    its element is found in the file's bytes. Returns the reason as a string when
    the file holds no such element (then xapi would refuse it: INVALID_UPDATE).
    """
    local = Path(path).expanduser()
    try:
        with local.open("rb") as fh:
            tail, read = b"", 0
            while read < limit:
                block = fh.read(chunk)
                if not block:
                    break
                read += len(block)
                m = _UPDATE_ELEMENT.search(tail + block)
                if m is not None:
                    attrs = dict(_XML_ATTR.findall(m.group(0).decode(errors="replace")))
                    missing = [k for k in ("uuid", "name-label", "version") if k not in attrs]
                    if missing:
                        return f"its update.xml has no {', '.join(missing)}"
                    return UpdateFile(uuid=attrs["uuid"].lower(), name_label=attrs["name-label"], version=attrs["version"])
                tail = block[-4096:]
    except OSError as e:
        return f"cannot read it: {e}"
    return "no update.xml in it: not an update package (xapi would refuse it: INVALID_UPDATE)"


def file_needed(u: UpdateInfo) -> str:
    """Which file brings update ``u``: the one whose update.xml names it, in that version."""
    return f"{u.name_label}.iso (update.xml: name-label {u.name_label}, version {u.version}, uuid {u.uuid})"


def match_update_file(found: UpdateFile, pool_updates: Sequence[UpdateInfo]) -> UpdateInfo | str:
    """The pool's update record this file is (same UUID, name and version), or why not."""
    rec = next((u for u in pool_updates if u.uuid.lower() == found.uuid), None) or next(
        (u for u in pool_updates if u.name_label == found.name_label), None)
    if rec is None:
        return f"holds {found.name_label} {found.version}, an update the pool master does not have"
    if (rec.name_label, rec.version, rec.uuid.lower()) != (found.name_label, found.version, found.uuid):
        return (f"holds {found.name_label} version {found.version} (uuid {found.uuid}); the pool has "
                f"{rec.name_label} version {rec.version} (uuid {rec.uuid}): the wrong file")
    return rec


async def _update_hosts(session: HostSession, uuid: str, timeout: float, patch: bool) -> tuple[list[str] | None, CommandResult]:
    """The hosts ``update-list`` says the update is applied on (read back, never assumed)."""
    cmd = (xc.patch_list if patch else xc.update_list)(params=["uuid", "hosts"])
    r = await _xe(session, cmd, timeout)
    if not r.ok:
        return None, r
    try:
        for rec in parse_records(r.stdout):
            if rec.get("uuid", "").lower() == uuid:
                return _split_hosts(rec.get("hosts", "")), r
    except XeParseError:
        return None, r
    return [], r


# =========================================================================== 4b. the steps, run by PlanRunner


def _as_result(s: StepOutput, started: float) -> CommandResult:
    return CommandResult(host=s.host, command=s.command, exit_status=s.exit_status if s.error is None else None,
                         stdout=s.stdout, stderr=s.stderr, started=started, duration=s.duration_s,
                         timed_out=s.exit_status in xc.TIMED_OUT_EXIT_CODES, error=s.error)


class OnboardSteps:
    """Onboarding's changes as plans for :class:`~xentui.actions.executor.PlanRunner`.

    The runner confirms, honours dry-run and writes the audit; the performers
    here do each step on the new host's own session (the engine does not watch
    that host yet) and read its effect back: upload → the UUID the host prints
    is the file's; apply → ``update-list`` lists the host; join → pool.conf,
    the toolstack and the master's host list (:func:`join_pool`); trust → the
    SSH session comes up with the key.
    """

    def __init__(self, new_session: HostSession, *, timeout: float, upload_timeout: float = 1800.0,
                 on_progress: ProgressCallback | None = None, on_step: StepCallback | None = None,
                 remove_after: bool = True) -> None:
        self.session = new_session
        self.timeout = timeout
        self.upload_timeout = upload_timeout
        self.on_progress = on_progress
        self.on_step = on_step
        self.remove_after = remove_after
        self.files: dict[str, Path] = {}  # update uuid -> local file
        self.steps: list[StepOutput] = []  # every command with its output, in order
        self.outcomes: dict[str, str] = {}  # file name -> what was read back
        self.already: set[str] = set()  # file names UPDATE_ALREADY_APPLIED
        self.patch = False
        self.join_report: JoinReport | None = None
        self._join: tuple[str, str, str, HostSession | None, HostProfile | None, HostProfile | None, float, float] | None = None
        self.trust: NewHostConnection | None = None

    def performers(self) -> dict[StepAction, Performer]:
        return {StepAction.UPDATE_UPLOAD: self._upload, StepAction.UPDATE_APPLY: self._apply,
                StepAction.POOL_JOIN: self._pool_join, StepAction.TRUST_HOST_KEY: self._trust}

    async def _note(self, s: StepOutput) -> None:
        self.steps.append(s)
        if self.on_step is not None:
            await _maybe(self.on_step(s))

    # ------------------------------------------------------------------ plans
    def level_plan(self, files: Sequence[str | os.PathLike[str]], new: HostProfile,
                   pool: HostProfile) -> tuple[Plan, list[str]]:
        """Upload + apply per file; files that are not the pool's update are refused here (the reasons)."""
        failed: list[str] = []
        steps: list[Step] = []
        self.patch = new.update_mechanism == "patch"
        kind = "patch" if self.patch else "update"
        for f in files:
            local = Path(f).expanduser()
            name = local.name
            if not _FILE_NAME.fullmatch(name) or ".." in name:
                failed.append(f"{name}: not a plain file name (letters, digits, . _ + -)")
                continue
            if not local.is_file():
                failed.append(f"{name}: no such file on the jump box: {local}")
                continue
            if new.uuid is None:
                failed.append(f"{name}: the new host's UUID is unknown (read its profile first)")
                continue
            found = update_file_identity(local)
            if isinstance(found, str):
                failed.append(f"{name}: {found}")
                continue
            rec = match_update_file(found, pool.updates)
            if isinstance(rec, str):
                failed.append(f"{name}: {rec}; nothing sent")
                continue
            if any(u.uuid.lower() == found.uuid for u in new.updates):
                self.outcomes[name] = f"{name}: {rec.label()} is already applied on {new.label}; not sent"
                continue
            self.files[found.uuid] = local
            remote = f"/tmp/{name}"
            steps.append(Step(
                host=self.session.name, action=StepAction.UPDATE_UPLOAD, target_uuid=found.uuid, dangerous=False,
                command=xc.patch_upload(remote) if self.patch else xc.update_upload(remote),
                why=f"sftp put {local} {remote}, then {kind}-upload: adds {rec.label()} to {new.label}'s update list "
                    "(nothing is applied yet)",
                verify=f"the UUID {kind}-upload prints is the file's ({found.uuid}); UPDATE_ALREADY_EXISTS reuses it",
                timeout=self.upload_timeout))
            steps.append(Step(
                host=self.session.name, action=StepAction.UPDATE_APPLY, target_uuid=found.uuid,
                command=(xc.patch_apply if self.patch else xc.update_apply)(found.uuid, new.uuid),
                why=f"applies {rec.label()} on {new.label} (after-apply guidance: "
                    f"{', '.join(rec.after_apply_guidance) or 'none'})",
                verify=f"{kind}-list then lists {new.label} in the update's hosts", timeout=self.upload_timeout))
        plan = Plan(kind="onboard-level", title=f"Bring {new.label} level with the pool", verdict="onboarding",
                    steps=steps)
        return plan, failed

    def join_plan(self, new: HostProfile, pool: HostProfile, checks: Sequence[JoinCheck], failures: Sequence[str],
                  master_address: str, master_username: str, password: str, audit: AuditLog, *,
                  master_session: HostSession | None, fuse: float, settle_timeout: float) -> Plan:
        """``xe pool-join`` (never force) — blocked while a check blocks or a fact is missing."""
        audit.add_secret(password)  # before anything can be recorded
        self._join = (master_address, master_username, password, master_session, new, pool, fuse, settle_timeout)
        refusal = join_refusal(checks, failures)
        return Plan(
            kind="onboard-join", title=f"Join {new.label} to the pool of {master_address}", verdict="onboarding",
            preconditions=[Check(name="pre-join checks", ok=refusal is None, detail=refusal or "every check passes")],
            steps=[Step(host=self.session.name, action=StepAction.POOL_JOIN, master_address=master_address,
                        command=xc.pool_join(master_address, master_username, force=False),
                        why=f"{new.label} joins the pool of {master_address}; its toolstack restarts. The password "
                            "goes on stdin only; force is never passed.",
                        verify=f"after the restart: pool.conf slave:{master_address}, the toolstack answers as a "
                               "member, the master's host list has it", timeout=self.timeout)])

    def trust_plan(self, conn: NewHostConnection) -> Plan:
        self.trust = conn
        where = conn.known_hosts_path or "known_hosts"
        return Plan(kind="onboard-trust", title=f"Trust {conn.session.name}'s host key", verdict="onboarding",
                    steps=[Step(host=conn.session.name, action=StepAction.TRUST_HOST_KEY,
                                command=f"trust host key {conn.fingerprint} for "
                                        f"{_known_hosts_pattern(conn.known_hosts_host or '', conn.known_hosts_port)} "
                                        f"in {where}",
                                why="compare the fingerprint with the host's own console first",
                                verify="the SSH session comes up with that key")])

    # ------------------------------------------------------------------ performers
    async def _upload(self, step: Step) -> Performed:
        started = time.time()
        uuid = step.target_uuid or ""
        local = self.files[uuid]
        name, remote = local.name, f"/tmp/{local.name}"
        up = await _upload(self.session, local, remote, self.upload_timeout, self.on_progress)
        await self._note(up)
        if not up.ok:
            return Performed(_as_result(up, started), explanation=f"{name}: {up.error}")
        r = await self.session.run(xc.timeout_wrapped(self.upload_timeout, step.command), self.upload_timeout + 5)
        s = _step(f"{'patch' if self.patch else 'update'}-upload {name}", r)
        await self._note(s)
        if self.remove_after:
            await _remove_remote(self.session, remote)
        printed = _uuid_in(r.stdout) if s.ok else None
        said = f"uploaded as {printed}"
        if not s.ok and _already(r.stderr, "EXISTS", "already exists"):
            printed = _uuid_in(r.stderr)
            said = f"already uploaded (UPDATE_ALREADY_EXISTS): reusing update {printed}"
            r = dataclasses.replace(r, exit_status=0)  # xapi kept the earlier upload: that is the outcome wanted
        if printed is None:
            return Performed(r, explanation=f"{name}: {_failure(step.command.split()[1], r) if not s.ok else 'no UUID printed'}")
        self.outcomes[name] = f"{name}: {said}"
        return Performed(r, verified=printed == uuid,
                         verification=f"{name}: {said}" + ("" if printed == uuid else f", not the file's {uuid}"))

    async def _apply(self, step: Step) -> Performed:
        uuid = step.target_uuid or ""
        name = self.files[uuid].name
        kind = "patch" if self.patch else "update"
        r = await self.session.run(xc.timeout_wrapped(self.upload_timeout, step.command), self.upload_timeout + 5)
        s = _step(f"{kind}-apply {name}", r)
        await self._note(s)
        said = self.outcomes.get(name, name)
        already = not s.ok and _already(r.stderr, "APPLIED", "already been applied")
        if not s.ok and not already:
            return Performed(r, explanation=f"{said}; {_failure(step.command.split()[1], r)}")
        host_uuid = next((a.split("=", 1)[1] for a in step.command.split() if a.startswith("host-uuid=")), "")
        hosts, rb = await _update_hosts(self.session, uuid, self.timeout, self.patch)
        await self._note(_step(f"{kind}-list (read back {name})", rb))
        if already:
            self.already.add(name)
            r = dataclasses.replace(r, exit_status=0)
        if hosts is None or host_uuid not in hosts:
            seen = "could not be read" if hosts is None else f"lists it on {len(hosts)} host(s), not {self.session.name}"
            text = (f"{said}; {kind}-apply {'said already applied' if already else 'exited 0'} "
                    f"but {kind}-list {seen}: not applied")
            self.outcomes[name] = text
            return Performed(r, verified=False, verification=text)
        text = f"{said}; {'already applied' if already else 'applied'} — {kind}-list lists it on {self.session.name}"
        self.outcomes[name] = text
        return Performed(r, verified=True, verification=text)

    async def _pool_join(self, step: Step) -> Performed:
        assert self._join is not None, "join_plan first"
        address, user, password, master_session, new, pool, fuse, settle = self._join
        started = time.time()
        report = await join_pool(self.session, address, user, password, None, fuse, self.timeout,
                                 master_session=master_session, new_profile=new, pool_profile=pool,
                                 settle_timeout=settle)
        self.join_report = report
        for s in report.steps:
            await self._note(s)
        if not report.steps:
            return Performed(CommandResult(self.session.name, step.command, None, "", "", started, 0.0,
                                           error=report.error.plain if report.error else "not run"),
                             explanation=report.error.plain if report.error else "")
        r = _as_result(report.steps[0], started)
        why = f"{report.error.code}: {report.error.plain}" if report.error is not None else ""
        return Performed(r, verified=report.joined if report.accepted else None,
                         verification="; ".join(report.messages), explanation=why)

    async def _trust(self, step: Step) -> Performed:
        conn = self.trust
        started = time.time()
        assert conn is not None, "trust_plan first"
        try:
            line = await trust_host_key(conn.known_hosts_path or "~/.ssh/known_hosts", conn.known_hosts_host or "",
                                        conn.known_hosts_port, conn.offered_key or conn.fingerprint or "")
        except (HostKeyRefused, asyncssh.Error, OSError, asyncio.TimeoutError, TimeoutError) as e:
            return Performed(CommandResult(conn.session.name, step.command, None, "", "", started, 0.0, error=str(e)),
                             explanation=f"the key was not trusted: {e}")
        ok = await conn.session.connect()
        conn.state, conn.error = conn.session.state, conn.session.error
        conn.fingerprint = conn.session.fingerprint or conn.fingerprint
        r = CommandResult(conn.session.name, step.command, 0, line, "", started, time.time() - started)
        return Performed(r, verified=ok, verification=(f"{conn.session.name}: SSH up with {conn.fingerprint}" if ok else
                                                      f"{conn.session.name}: still not connected: {conn.error}"))


async def bring_level(
    runner: PlanRunner,
    new_session: HostSession,
    files: Sequence[str | os.PathLike[str]],
    *,
    new_profile: HostProfile,
    pool_profile: HostProfile,
    timeout: float,
    upload_timeout: float = 1800.0,
    master_session: HostSession | None = None,
    on_progress: ProgressCallback | None = None,
    on_step: StepCallback | None = None,
    remove_after: bool = True,
) -> LevelReport:
    """Apply update files from the jump box to the new host through ``runner``; every outcome read back.

    For each local file: its update.xml (uuid, name-label, version) must be an
    update the pool master has, in the same version (:func:`match_update_file`)
    — else nothing is sent. An update already applied on the new host is not
    sent again. The plan (:meth:`OnboardSteps.level_plan`) is run by the
    runner, which confirms the applies, honours dry-run and audits: upload
    (SFTP to ``/tmp/<file>``, ``xe update-upload``: the UUID it prints must be
    the file's; ``UPDATE_ALREADY_EXISTS`` reuses it, said so), apply (counted
    only when ``update-list`` then lists the new host; ``UPDATE_ALREADY_APPLIED``
    → "already applied"). Afterwards both hosts are read again and the checks re-run.
    """
    steps = OnboardSteps(new_session, timeout=timeout, upload_timeout=upload_timeout, on_progress=on_progress,
                         on_step=on_step, remove_after=remove_after)
    runner.performers.update(steps.performers())
    plan, failed = steps.level_plan(files, new_profile, pool_profile)
    report = LevelReport(failed=failed)
    run = await runner.run(plan) if plan.steps else None
    report.run = run
    report.steps = steps.steps
    applied_uuids: set[str] = set()
    if run is not None:
        for res in run.results:
            if res.action is not StepAction.UPDATE_APPLY:
                continue
            name = steps.files[plan.steps[res.index].target_uuid or ""].name
            if res.status is StepStatus.OK:
                (report.already_applied if name in steps.already else report.applied).append(name)
                applied_uuids.add(plan.steps[res.index].target_uuid or "")
            elif res.status is StepStatus.DRY_RUN:
                report.outcomes.append(f"{name}: dry run — not uploaded, not applied")
            else:
                up = run.results[res.index - 1]
                cause = up if up.status not in (StepStatus.OK, StepStatus.NOT_RUN) else res
                report.failed.append(f"{name}: {cause.explanation or cause.status}")
    report.outcomes += [o for n, o in steps.outcomes.items()
                        if n in report.applied or n in report.already_applied or "already applied on" in o]
    report.new_profile = await gather_host_profile(new_session, timeout)
    report.pool_profile = await gather_host_profile(master_session, timeout) if master_session else pool_profile
    report.checks = prejoin_checks(report.new_profile, report.pool_profile)
    for u in report.new_profile.updates:
        hints = [g for g in u.after_apply_guidance if g not in ("", "none")]
        if u.uuid in applied_uuids and hints:
            report.guidance.append(
                f"{u.name_label} asks for {', '.join(hints)} on {new_session.name} "
                "(restartHost: reboot it before the join; restartXAPI: xe-toolstack-restart)."
            )
    return report


def _already(stderr: str, suffix: str, words: str) -> bool:
    """UPDATE_/PATCH_ALREADY_EXISTS or _APPLIED, by code or by the datamodel's words."""
    err = parse_xe_error(stderr)
    if err.code in (f"UPDATE_ALREADY_{suffix}", f"PATCH_ALREADY_{suffix}"):
        return True
    return words in stderr.lower()


def _uuid_in(text: str) -> str | None:
    m = xc.UUID_RE.search(text.lower())
    return m.group(0) if m else None


# =========================================================================== 5. join


class JoinError(BaseModel):
    """A refused ``xe pool-join``, in plain words."""

    code: str | None
    description: str
    params: list[tuple[str, str]] = Field(default_factory=list)
    plain: str  # what happened
    advice: str  # what to do
    updates: list[UpdateDiff] = Field(default_factory=list)  # HOSTS_NOT_HOMOGENEOUS about updates


class JoinReport(BaseModel):
    """What :func:`join_pool` did and saw. Never holds the password."""

    new_host: str
    new_host_uuid: str | None = None
    master_address: str
    master_username: str
    force: bool = False
    command: str = ""  # as run (the password is not in it)
    accepted: bool = False  # pool-join exited 0
    error: JoinError | None = None
    pool_conf: str | None = None  # the new host's pool.conf after the restart
    follows_master: bool = False  # pool.conf is slave:<master_address> and its toolstack answers as a member
    master_lists_new_host: bool = False
    emergency: bool | None = None  # the new host came up in emergency mode
    steps: list[StepOutput] = Field(default_factory=list)
    messages: list[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def joined(self) -> bool:
        return self.accepted and self.follows_master and self.master_lists_new_host

    def text(self) -> str:
        head = (
            f"{self.new_host} joined the pool of {self.master_address}" if self.joined else
            f"{self.new_host}: pool-join accepted, not yet confirmed" if self.accepted else
            f"{self.new_host} did not join the pool of {self.master_address}"
        )
        lines = [head]
        if self.error is not None:
            lines.append(f"  {self.error.plain}")
            lines.append(f"  What to do: {self.error.advice}")
        lines.extend(f"  {m}" for m in self.messages)
        return "\n".join(lines)


def _norm(text: str) -> str:
    words = {"coordinator": "master", "supporter": "slave", "server": "host", "servers": "hosts"}
    text = " ".join(text.split()).lower().rstrip(".")
    return re.sub(r"[a-z']+", lambda m: words.get(m.group(0), m.group(0)), text)


# First sentences of the datamodel's descriptions (xapi datamodel_errors.ml), normalised.
_JOIN_DESCRIPTIONS: list[tuple[str, str]] = [
    ("the host joining the pool must have the same api version as the pool master", "POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION"),
    ("the host joining the pool must have the same database schema as the pool master", "POOL_JOINING_HOST_MUST_HAVE_SAME_DB_SCHEMA"),
    ("the host joining the pool cannot have any running or suspended vms", "JOINING_HOST_CANNOT_HAVE_RUNNING_OR_SUSPENDED_VMS"),
    ("the host joining the pool cannot have any running vms", "JOINING_HOST_CANNOT_HAVE_RUNNING_VMS"),
    ("the host joining the pool cannot have any vms with active tasks", "JOINING_HOST_CANNOT_HAVE_VMS_WITH_CURRENT_OPERATIONS"),
    ("the host joining the pool cannot already be a master of another pool", "JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS"),
    ("the host joining the pool cannot contain any shared storage", "JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS"),
    ("there was an error connecting to the host while joining it in the pool", "JOINING_HOST_CONNECTION_FAILED"),
    ("cannot join pool whose external authentication configuration is different", "POOL_JOINING_EXTERNAL_AUTH_MISMATCH"),
    ("the hosts in this pool are not compatible", "HOSTS_NOT_COMPATIBLE"),
    ("the hosts in this pool are not homogeneous", "HOSTS_NOT_HOMOGENEOUS"),
    ("the credentials given by the user are incorrect", "SESSION_AUTHENTICATION_FAILED"),
    ("you attempted an operation that was not allowed", "OPERATION_NOT_ALLOWED"),
    ("the operation could not be performed because ha is enabled on the pool", "HA_IS_ENABLED"),
]


def _join_code(err: XeError) -> str | None:
    if err.code not in (None, "CLI_ERROR"):
        return {"POOL_JOINING_HOST_CONNECTION_FAILED": "JOINING_HOST_CONNECTION_FAILED"}.get(err.code, err.code)
    first = _norm(err.description.splitlines()[0] if err.description else "")
    for sig, code in _JOIN_DESCRIPTIONS:
        if first.startswith(sig):
            return code
    if "tls verification" in first:
        return "POOL_JOINING_HOST_TLS_VERIFICATION_MISMATCH"
    return err.code


# Join refusals that mean "not the same release": the error code names the
# compared field, its params are host_<attr> / master_<attr>.
_RELEASE_MISMATCH = {
    "POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION": ("XenAPI version", "api_version"),
    "POOL_JOINING_HOST_MUST_HAVE_SAME_DB_SCHEMA": ("database schema", "db_schema"),
}


def explain_join_error(
    stderr: str,
    *,
    new: HostProfile | None = None,
    pool_master: HostProfile | None = None,
    master_address: str = "",
    new_name: str = "the new host",
) -> JoinError:
    """Plain words and what to do for a failed ``xe pool-join`` (profiles, when given, name the details)."""
    err = parse_xe_error(stderr)
    code = _join_code(err)
    n = new.label if new is not None else new_name
    reason = err.param("reason") or ""
    updates: list[UpdateDiff] = []
    if new is not None and pool_master is not None:
        updates = update_differences(new, pool_master)

    def vals(attr: str) -> str:
        if new is None or pool_master is None:
            return ""
        return f" ({n}: {_v(getattr(new, attr))}, pool master: {_v(getattr(pool_master, attr))})"

    plain, advice = err.plain or err.description or "pool-join failed", "Read the error above; nothing was changed."
    if code == "HOSTS_NOT_HOMOGENEOUS":
        low = reason.lower()
        if "update" in low or "patch" in low:
            lacking = _names(updates, "missing-on-new", True)
            extra = _names(updates, "only-on-new", False)
            versions = _names(updates, "version-differs", True)
            named = "; ".join(x for x in (
                f"the pool has, {n} lacks: {lacking}" if lacking else "",
                f"{n} has, the pool lacks: {extra}" if extra else "",
                f"different versions: {versions}" if versions else "",
            ) if x)
            plain = (f"The pool refused {n}: the updates applied on it differ from the pool master's"
                     + (f" — {named}." if named else f" ({reason})."))
            advice = (f"Upload and apply {lacking} on {n} (bring level), then join again." if lacking else
                      "Apply the same updates on both sides (pool master first), then join again.")
            if not named:
                advice += " Read both hosts' profiles to see which updates differ."
        elif "software" in low:
            plain = f"The pool refused {n}: its software version differs from the pool master's{vals('product_version')}."
            advice = "Bring the new host to the pool's version (update the master first if the new host is newer)."
        elif "cpu" in low:
            plain = f"The pool refused {n}: its CPU vendor differs from the pool's{vals('cpu_vendor')}."
            advice = "Pool hosts of one CPU vendor. force=true would skip this check — only if you really mean it."
        else:
            plain = f"The pool refused {n}: the hosts are not homogeneous ({reason or 'no reason given'})."
            advice = "Compare the two hosts with the pre-join checks."
    elif code in _RELEASE_MISMATCH:
        what, attr = _RELEASE_MISMATCH[code]
        plain = (f"The pool refused {n}: its {what} {err.param('host_' + attr) or _v(new and getattr(new, attr))} "
                 f"differs from the master's {err.param('master_' + attr) or _v(pool_master and getattr(pool_master, attr))}.")
        advice = "Install the pool's release on the new host; if the new host is newer, upgrade the pool master first."
    elif code == "JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS":
        others = ", ".join(new.other_hosts) if new is not None and new.other_hosts else "other hosts"
        plain = f"{n} is already the master of a pool with {others}; a host can join only alone."
        advice = f"Eject {others} from {n}'s pool first, then join {n}."
    elif code == "JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS":
        srs = ", ".join(s.name_label for s in new.shared_srs) if new is not None and new.shared_srs else "shared SRs"
        plain = f"{n} has shared storage ({srs}); a joining host may not."
        advice = "Unplug and forget the shared SRs on the new host (the data stays on the storage), join, re-attach pool-wide."
    elif code in ("JOINING_HOST_CANNOT_HAVE_RUNNING_VMS", "JOINING_HOST_CANNOT_HAVE_RUNNING_OR_SUSPENDED_VMS",
                  "JOINING_HOST_CANNOT_HAVE_VMS_WITH_CURRENT_OPERATIONS"):
        plain = f"{n} has running (or busy) VMs; a joining host may not."
        advice = "Shut them down or wait for their tasks to finish, then join again."
    elif code == "HA_IS_ENABLED":
        plain = "HA is enabled (on the pool or on the new host's own pool); a join is refused while it is."
        advice = "xe pool-ha-disable, join, then re-enable HA."
    elif code == "POOL_JOINING_EXTERNAL_AUTH_MISMATCH":
        plain = f"{n}'s external authentication (AD) setting differs from the pool master's{vals('external_auth_type')}."
        advice = "Configure the same external authentication on both (or none on both), then join again."
    elif code == "POOL_JOINING_HOST_TLS_VERIFICATION_MISMATCH":
        plain = f"TLS verification is enabled on one side only{vals('tls_verification_enabled')}."
        advice = "xe pool-enable-tls-verification on the side where it is off, then join again."
    elif code in ("LICENSE_HOST_POOL_MISMATCH", "LICENCE_RESTRICTION", "LICENSE_RESTRICTION"):
        plain = f"{n}'s licence edition does not match the pool's{vals('edition')}."
        advice = "Apply the pool's edition to the new host (xe host-apply-edition), then join again."
    elif code == "HOSTS_NOT_COMPATIBLE":
        plain = (f"{n} runs a different product or major release than the pool"
                 f"{vals('platform_version')}; force does not skip this.")
        advice = "Reinstall or upgrade the new host to the pool's release."
    elif code == "OPERATION_NOT_ALLOWED":
        why = err.param("reason") or " ".join(v for _, v in err.params) or err.description
        plain = f"xapi refused the join: {why}."
        advice = ("Switch the new host to the pool's network backend (xe-switch-network-backend) and reboot it."
                  if "network backend" in why.lower() else "Fix what the message names, then join again.")
    elif code == "SESSION_AUTHENTICATION_FAILED":
        plain = f"The pool master at {master_address or 'that address'} refused the user name or password."
        advice = "Enter the pool master's root password again (it is never stored)."
    elif code == "JOINING_HOST_CONNECTION_FAILED":
        plain = f"{n} could not connect to the pool master at {master_address or 'that address'} (TCP 443)."
        advice = "Check the address is the master's management address and that the new host reaches it on port 443."
    elif code == "HOST_IS_SLAVE":
        real = err.param("Master IP address") or (err.params[0][1] if err.params else "")
        plain = f"{master_address or 'That address'} is a pool member, not its master" + (f"; the master is {real}." if real else ".")
        advice = f"Join with master-address={real}." if real else "Use the pool master's management address."
    elif code in ("LOST_CONNECTION", "UNABLE_TO_CONTACT_SERVER"):
        plain = f"The xe client on {n} lost its toolstack ({err.description})."
        advice = "Check the new host's toolstack (xe host-list on it), then read its pool.conf before trying again."
    return JoinError(code=code, description=err.description, params=list(err.params), plain=plain, advice=advice,
                     updates=updates if code == "HOSTS_NOT_HOMOGENEOUS" else [])


async def _read_pool_conf(session: HostSession, timeout: float) -> str | None:
    r = await session.run(xc.read_files([POOL_CONF], max_bytes=4096), timeout)
    if not r.ok:
        return None
    body = parse_head_sections(r.stdout).get(POOL_CONF)
    return body.strip() if body is not None else None


async def _minimal(session: HostSession, command: str, timeout: float) -> list[str] | None:
    r = await _xe(session, command, timeout)
    if not r.ok:
        return None
    return [v for v in r.stdout.strip().split(",") if v]


async def join_pool(
    new_session: HostSession,
    master_address: str,
    master_username: str,
    password: str,
    audit: AuditLog | None,
    fuse: float,
    timeout: float,
    *,
    force: bool = False,
    master_session: HostSession | None = None,
    new_profile: HostProfile | None = None,
    pool_profile: HostProfile | None = None,
    settle_timeout: float = 60.0,
    poll_interval: float = 0.5,
) -> JoinReport:
    """Run ``xe pool-join`` on the new host, then confirm it from both sides.

    The password is registered with ``audit.add_secret`` first and reaches the
    host only on the command's stdin: the command string (recorded by the
    session, the audit log and the report) never contains it, and the report
    holds no copy. ``force`` is never implied: pass ``force=True`` only after
    the admin asked for it (it skips the software-version and CPU checks only).

    On refusal ``error`` explains it (HOSTS_NOT_HOMOGENEOUS names the updates
    that differ, using ``new_profile``/``pool_profile`` or reading them
    through the sessions). On success: wait ``fuse`` seconds (the printed
    "in N seconds" wins) for the toolstack restart, then poll, up to
    ``settle_timeout``, until the new host's pool.conf says
    ``slave:<master_address>`` and its toolstack answers as a member of the
    master's pool; finally the master's ``xe host-list`` (through
    ``master_session``, else through the new host, which forwards it) must list
    the new host's UUID.
    """
    if audit is not None:
        audit.add_secret(password)  # before anything can be recorded
    report = JoinReport(new_host=new_session.name, master_address=master_address,
                        master_username=master_username, force=force)
    try:
        command = xc.timeout_wrapped(timeout, xc.pool_join(master_address, master_username, force=force))
        stdin = xc.password_stdin(password)
    except ValueError as e:
        report.error = JoinError(code="CLI_ERROR", description=str(e), plain=f"Cannot build the pool-join: {e}",
                                 advice="Check the master address and user name.")
        return report
    report.command = command
    if new_profile is not None:
        report.new_host_uuid = new_profile.uuid
    else:
        inv = await new_session.run(xc.read_files([INVENTORY]), timeout)
        report.new_host_uuid = Inventory.from_text(parse_head_sections(inv.stdout).get(INVENTORY, "")).installation_uuid

    raw = await new_session.run(command, timeout + 5, stdin=stdin)
    # Whatever the remote prints back stays out of the report if it ever echoed the password.
    r = dataclasses.replace(raw, stdout=redact(raw.stdout, [password]), stderr=redact(raw.stderr, [password]),
                            error=redact(raw.error, [password]) if raw.error else None)
    step = _step("pool-join", r)
    report.steps.append(step)
    if not step.ok:
        if r.timed_out or r.exit_status in xc.TIMED_OUT_EXIT_CODES or r.error:
            lost = not (r.timed_out or r.exit_status in xc.TIMED_OUT_EXIT_CODES)
            report.error = JoinError(
                code="CONNECTION_LOST" if lost else "TIMEOUT", description=step.error or "no answer",
                plain=(f"the SSH connection to {new_session.name} was lost during pool-join" if lost else
                       f"pool-join gave no answer in {timeout:g} s") + ": it may or may not have taken effect.",
                advice="Read the new host's pool.conf and the master's host list before trying again.")
            report.pool_conf = await _read_pool_conf(new_session, timeout)
            return report
        np, pp = new_profile, pool_profile
        err = parse_xe_error(r.stderr)
        if _join_code(err) == "HOSTS_NOT_HOMOGENEOUS":
            if np is None:
                np = await gather_host_profile(new_session, timeout)
            if pp is None and master_session is not None:
                pp = await gather_host_profile(master_session, timeout)
        report.error = explain_join_error(r.stderr if r.stderr.strip() else (r.error or ""), new=np, pool_master=pp,
                                          master_address=master_address, new_name=new_session.name)
        return report

    report.accepted = True
    m = _FUSE_RE.search(r.stdout)
    wait = float(m.group(1)) if m else fuse
    report.messages.append(f"pool-join accepted: {_first_line(r.stdout)}")
    master_uuid = pool_profile.uuid if pool_profile is not None else None
    if master_uuid is None and master_session is not None:
        got = await _minimal(master_session, xc.pool_list(params=["master"], minimal=True), timeout)
        master_uuid = got[0] if got else None
    await asyncio.sleep(wait)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + settle_timeout
    expected_conf = f"slave:{master_address}"
    while True:
        report.pool_conf = await _read_pool_conf(new_session, timeout)
        if report.pool_conf == expected_conf:
            em = await _xe(new_session, xc.host_is_in_emergency_mode(), timeout)
            report.emergency = em.stdout.strip() == "true" if em.ok else None
            if report.emergency is False:
                seen = await _minimal(new_session, xc.pool_list(params=["master"], minimal=True), timeout)
                if seen and (seen[0] == master_uuid if master_uuid else seen[0] != report.new_host_uuid):
                    report.follows_master = True
                    break
        if loop.time() > deadline:
            break
        await asyncio.sleep(poll_interval)
    if not report.follows_master:
        if report.pool_conf != expected_conf:
            report.messages.append(f"{report.new_host}'s pool.conf says {report.pool_conf!r}, not {expected_conf!r}.")
        elif report.emergency:
            report.messages.append(f"{report.new_host} restarted in emergency mode: it cannot reach its new master; "
                                   "check the network between them (TCP 443).")
        else:
            report.messages.append(f"{report.new_host}'s toolstack did not answer as a pool member within "
                                   f"{settle_timeout:g} s after the restart.")
    else:
        report.messages.append(f"{report.new_host}'s pool.conf says {expected_conf}; its toolstack answers as a member.")

    via = master_session or new_session
    listed = await _minimal(via, xc.host_list(params=["uuid"], minimal=True), timeout)
    report.master_lists_new_host = bool(listed and report.new_host_uuid in listed)
    where = "the master's" if master_session is not None else "the pool's (asked through the new host)"
    report.messages.append(
        f"{where} host list {'includes' if report.master_lists_new_host else 'does NOT include'} "
        f"{report.new_host} ({report.new_host_uuid})."
    )
    return report


# =========================================================================== 6. config


def config_with_new_host(config: Config, pool_name: str, host_entry: str | HostEntry) -> Config:
    """``config`` with ``host_entry`` appended to pool ``pool_name`` (other options kept).

    Unchanged if the entry is already there. Raises ``UnknownPoolError`` if
    there is no such pool (a new pool is not created from one host), and
    ``ConfigError`` if the result is invalid.
    """
    pool = config.pool(pool_name)
    entry = host_entry if isinstance(host_entry, HostEntry) else HostEntry.parse(host_entry)
    if any(h.key == entry.key for h in pool.hosts):
        return config
    return config.upsert_pool(pool.name, [*pool.hosts, entry])


def add_host_to_config_file(path: str | os.PathLike[str], pool_name: str, host_entry: str | HostEntry) -> bool:
    """Add ``host_entry`` to pool ``pool_name``'s ``hosts`` in the config file, keeping the
    file's comments and layout (tomlkit edits the document in place); the result is
    validated with the config loader before it replaces the file (atomically, mode kept).

    Returns False when the entry was already there (nothing written). Raises
    ``UnknownPoolError`` / ``ConfigError`` when the pool is not in the file or the
    result would not load.
    """
    import tempfile

    import tomlkit

    from ..config import ConfigError, UnknownPoolError, load_config

    target = Path(path).expanduser()
    entry = host_entry if isinstance(host_entry, HostEntry) else HostEntry.parse(host_entry)
    doc = tomlkit.parse(target.read_text(encoding="utf-8"))
    pools = doc.get("pool")
    table = next((t for t in (pools or []) if t.get("name") == pool_name), None)
    if table is None:
        raise UnknownPoolError(f"{target}: no [[pool]] named {pool_name!r}")
    hosts = table.get("hosts")
    if hosts is None:
        raise ConfigError(f"{target}: pool {pool_name!r} has no hosts list")
    if any(HostEntry.parse(str(h)).key == entry.key for h in hosts):
        return False
    hosts.append(str(entry))
    text = tomlkit.dumps(doc)
    mode = target.stat().st_mode & 0o777
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        load_config(tmp)  # what the console will read: refuse to write a file it would refuse
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True
