"""What one host says about itself and its pool (:func:`gather_host_profile`), and the shape of
one command's output (:class:`StepOutput`)."""

from __future__ import annotations

import asyncio
import re
from typing import Literal

from pydantic import BaseModel, Field

from xentui.core.model import CommandResult
from xentui.engine.sessions import HostSession
from xentui.xe import commands as xc
from xentui.xe.errors import parse_xe_error
from xentui.xe.files import Inventory, parse_head_sections, parse_pool_conf
from xentui.xe.records import XeParseError, parse_map, parse_records, split_after_apply_guidance


INVENTORY = "/etc/xensource-inventory"
POOL_CONF = "/etc/xensource/pool.conf"
HOST_FIELDS = "all"
SR_FIELDS = ["uuid", "name-label", "type", "shared", "is-tools-sr", "other-config"]
UPDATE_FIELDS = ["uuid", "name-label", "version", "hosts", "enforce-homogeneity", "after-apply-guidance"]
PATCH_FIELDS = ["uuid", "name-label", "version", "hosts", "after-apply-guidance"]


# =========================================================================== 2. profiles


class UpdateInfo(BaseModel):
    """One update (``xe update-list``) or patch (``xe patch-list``)."""

    uuid: str
    name_label: str
    version: str = ""
    enforce_homogeneity: bool = True  # patches (old releases) are always compared
    after_apply_guidance: list[str] = Field(default_factory=list)  # restartHVM, restartPV, restartHost, restartXAPI

    def label(self) -> str:
        return f"{self.name_label} {self.version}".strip()


class SRInfo(BaseModel):
    uuid: str
    name_label: str
    type: str = ""
    shared: bool = False
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
    srs: list[SRInfo] = Field(default_factory=list)  # every SR its pool database lists
    # the shared ones, the tools SR among them flagged (the pre-join check does not count it)
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
    records = _read_records(p, "host", "xe host-list params=all", hosts_r)
    if records is not None:
        own = next((r for r in records if r.get("uuid") == p.uuid), None)
        p.hosts_in_pool = len(records) if records else None
        p.other_hosts = [r.get("name-label") or r.get("uuid", "") for r in records if r is not own]
        if own is None:
            p.missing.append("host")
            if records:
                p.errors.append(f"xe host-list: no record with this host's INSTALLATION_UUID {p.uuid}")
        else:
            _fill_from_host_record(p, own)
    # -- pool
    pools = _read_records(p, "pool", "xe pool-list params=all", pool_r)
    if pools:
        pool = pools[0]
        p.pool_uuid = pool.get("uuid")
        p.pool_name = pool.get("name-label")
        p.pool_master_uuid = pool.get("master")
        p.ha_enabled = _bool(pool.get("ha-enabled"))
        p.tls_verification_enabled = _bool(pool.get("tls-verification-enabled"))  # None on old releases
    elif pools is not None:
        p.missing.append("pool")
    # -- shared SRs
    srs = _read_records(p, "srs", "xe sr-list", sr_r)
    if srs is not None:
        p.srs = [
            SRInfo(
                uuid=r.get("uuid", ""),
                name_label=r.get("name-label", ""),
                type=r.get("type", ""),
                shared=_bool(r.get("shared")) is True,
                is_tools_sr=is_tools_sr(r),
            )
            for r in srs
        ]
        p.shared_srs = [s for s in p.srs if s.shared]
    # -- updates (patches on old releases)
    if not upd_r.ok and parse_xe_error(upd_r.stderr).code == "UNKNOWN_COMMAND":
        p.update_mechanism = "patch"
        upd_r = await _xe(session, xc.patch_list(params=PATCH_FIELDS), timeout)
    updates = _read_records(p, "updates", f"xe {p.update_mechanism}-list", upd_r)
    if updates is not None:
        known = []
        for r in updates:
            enforce = _bool(r.get("enforce-homogeneity"))
            info = UpdateInfo(
                uuid=r.get("uuid", ""),
                name_label=r.get("name-label", ""),
                version=r.get("version", ""),
                enforce_homogeneity=True if enforce is None else enforce,
                after_apply_guidance=split_after_apply_guidance(r.get("after-apply-guidance", "")),
            )
            known.append((info, _split_hosts(r.get("hosts", ""))))
        p.known_updates = [u for u, _ in known]
        p.updates = [u for u, hosts in known if p.uuid is not None and p.uuid in hosts]
    return p


def _read_records(p: HostProfile, group: str, what: str, r: CommandResult) -> list[dict[str, str]] | None:
    """The records ``r`` printed, or None: then ``group`` is missing and the one line that says why is kept."""
    if not r.ok:
        p.missing.append(group)
        p.errors.append(_failure(what, r))
        return None
    try:
        return parse_records(r.stdout)
    except XeParseError as e:
        p.missing.append(group)
        p.errors.append(f"{what}: {_first_line(str(e))}")
        return None


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
