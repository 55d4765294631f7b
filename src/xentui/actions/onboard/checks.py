"""xapi's pre-join checks, pure: each one names the function of ``pre_join_checks`` it mirrors
(ocaml/xapi/xapi_pool.ml at v1.249.40 and v24.39.0)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from xentui.actions.plan import Check
from xentui.actions.onboard.gather import HostProfile, UpdateInfo

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


# The asserts of pre_join_checks this console does not mirror (it does not read those facts):
# xapi still makes them at pool-join and its refusal is explained (explain_join_error).
NOT_MIRRORED_1_249 = (
    "assert_pool_size_unrestricted", "assert_management_interface_exists", "clustering_is_not_enabled_on_me",
    "assert_no_vms_with_current_ops", "assert_no_bonds_on_me", "assert_no_tunnels_on_me",
    "assert_no_network_sriovs_on_me", "assert_no_non_management_vlans_on_me", "assert_management_vlan_are_same",
    "assert_homogeneous_primary_address_type", "assert_compatible_network_purpose",
)
NOT_MIRRORED_24 = NOT_MIRRORED_1_249 + (
    "assert_no_host_pending_mandatory_guidance", "assert_ca_certificates_compatible", "assert_not_in_updating_on_me",
    "assert_no_hosts_in_updating", "assert_sm_features_compatible",
)


def not_mirrored(pool_master: HostProfile) -> tuple[str, ...]:
    """xapi's pre-join asserts not checked here, for the pool master's release (it runs them)."""
    major = (pool_master.software_version.get("xapi") or "1.249").split(".")[0]
    return NOT_MIRRORED_24 if major.isdigit() and int(major) >= 24 else NOT_MIRRORED_1_249


def gather_failures(new: HostProfile, pool_master: HostProfile) -> list[str]:
    """One line per cause: ``<host>: <command>: <the line that failed>``; commands that
    failed the same way on one host share the line (``xe host-list, xe pool-list: no answer in time``)."""
    out: list[str] = []
    for h in (new, pool_master):
        causes: dict[str, list[str]] = {}
        for e in h.errors:
            what, sep, why = e.partition(": ")
            causes.setdefault(why if sep else e, []).append(what if sep else "")
        out += [f"{h.label}: {', '.join(w for w in whats if w)}: {why}" if any(whats) else f"{h.label}: {why}"
                for why, whats in causes.items()]
    return out


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
