"""How the simulated `xe` prints records and errors (reference §6).

Written from the reference, independently of the engine's parsers: the two
are tested against the same golden texts.
"""

from __future__ import annotations

from dataclasses import dataclass

from .state import ERROR_TEXT, HostRec, PBDRec, PoolDB, SRRec, UpdateRec

RO, RW, SRO, SRW, MRO, MRW = "( RO)", "( RW)", "(SRO)", "(SRW)", "(MRO)", "(MRW)"


@dataclass
class Field:
    name: str
    marker: str
    value: str


Record = list[Field]


def fmt_map(m: dict[str, str]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in m.items())


def fmt_bool(b: bool) -> str:
    return "true" if b else "false"


def format_records(records: list[Record]) -> str:
    """Width = 4 + longest key (with its marker glued on, as cli_printer.ml
    pads it); first key padded right, others right-aligned."""
    out: list[str] = []
    for rec in records:
        if not rec:
            continue
        keys = [f"{f.name} {f.marker}" for f in rec]
        width = 4 + max(len(k) for k in keys)
        for i, (k, f) in enumerate(zip(keys, rec)):
            key = k.ljust(width) if i == 0 else k.rjust(width)
            out.append(f"{key}: {f.value}\n")
        out.append("\n\n")
    return "".join(out)


def escape_minimal(value: str) -> str:
    # cli_printer.ml escape_commas: `\` -> `\\` and `,` -> `\,`.
    return value.replace("\\", "\\\\").replace(",", "\\,")


def format_minimal(records: list[Record]) -> str:
    return ",".join(escape_minimal(r[0].value) for r in records if r) + "\n"


def select(records: list[Record], params: list[str] | None, default: list[str]) -> list[Record]:
    """Keep the fields asked for, in the record's own order; unknown names ignored."""
    if params and params != ["all"]:
        wanted = set(params)
    elif params == ["all"]:
        return records
    else:
        wanted = set(default)
    return [[f for f in rec if f.name in wanted] for rec in records]


def value_of(rec: Record, name: str) -> str | None:
    for f in rec:
        if f.name == name:
            return f.value
    return None


def host_display(db: PoolDB, uuid: str) -> str:
    rec = db.hosts.get(uuid)
    return f"{uuid} ({rec.name_label})" if rec else uuid


# ---------------------------------------------------------------- record builders


def pool_record(db: PoolDB) -> Record:
    return [
        Field("uuid", RO, db.pool_uuid),
        Field("name-label", RW, db.pool_name),
        Field("name-description", RW, ""),
        Field("master", RO, db.master_uuid if db.master_uuid in db.hosts else "<not in database>"),
        Field("default-SR", RW, db.default_sr or "<not in database>"),
        Field("crash-dump-SR", RW, db.default_sr or "<not in database>"),
        Field("suspend-image-SR", RW, db.default_sr or "<not in database>"),
        Field("supported-sr-types", SRO, "lvm; ext; udev; iso; file; nfs; lvmoiscsi; lvmohba; smb; cifs"),
        Field("other-config", MRW, "memory-ratio-hvm: 0.25; memory-ratio-pv: 0.25"),
        Field("allowed-operations", SRO, "ha_enable; cluster_create"),
        Field("current-operations", SRO, ""),
        Field("ha-enabled", RO, fmt_bool(db.ha_enabled)),
        Field("ha-configuration", MRO, ""),
        Field("ha-statefiles", RO, ""),
        Field("ha-host-failures-to-tolerate", RW, "0"),
        Field("ha-plan-exists-for", RO, "0"),
        Field("ha-allow-overcommit", RW, "false"),
        Field("ha-overcommitted", RO, "false"),
        Field("blobs", RO, ""),
        Field("wlb-url", RO, ""),
        Field("wlb-enabled", RW, "false"),
        Field("restrictions", MRO, "restrict_vswitch_controller: false; restrict_lab: false; restrict_pooling: false"),
        Field("tags", SRW, ""),
        Field("license-state", MRO, "edition: xcp-ng; expiry: never"),
        Field("tls-verification-enabled", RO, fmt_bool(db.tls_verification_enabled)),
    ]


def host_record(db: PoolDB, h: HostRec) -> Record:
    updates = [u.uuid for u in db.updates.values() if h.uuid in u.hosts]
    return [
        Field("uuid", RO, h.uuid),
        Field("name-label", RW, h.name_label),
        Field("name-description", RW, h.name_description),
        Field("allowed-operations", SRO, "VM.migrate_send; vm_migrate; evacuate; provision; vm_resume; vm_start"),
        Field("current-operations", SRO, ""),
        Field("enabled", RO, fmt_bool(h.enabled)),
        Field("display", RO, "enabled"),
        Field("API-version-major", RO, str(h.api_major)),
        Field("API-version-minor", RO, str(h.api_minor)),
        Field("API-version-vendor", RO, "XenSource"),
        Field("API-version-vendor-implementation", MRO, ""),
        Field("logging", MRW, ""),
        Field("suspend-image-sr-uuid", RW, "<not in database>"),
        Field("crash-dump-sr-uuid", RW, "<not in database>"),
        Field("software-version", MRO, fmt_map(h.software_version)),
        Field("capabilities", SRO, "xen-3.0-x86_64; hvm-3.0-x86_32; hvm-3.0-x86_64"),
        Field("other-config", MRW, "agent_start_time: 1700000000.; boot_time: 1699999000."),
        Field("cpu_info", MRO, f"cpu_count: 16; socket_count: 1; vendor: {h.cpu_vendor}; speed: 2399.998; modelname: Simulated CPU @ 2.40GHz; family: 6; model: 85; stepping: 7"),
        Field("chipset-info", MRO, "iommu: true"),
        Field("hostname", RO, h.hostname),
        Field("address", RO, h.address),
        Field("supported-bootloaders", SRO, "pygrub; eliloader"),
        Field("blobs", RO, ""),
        Field("memory-overhead", RO, "1073741824"),
        Field("memory-total", RO, "137402167296"),
        Field("memory-free", RO, "96305500160"),
        Field("memory-free-computed", RO, "96305500160"),
        Field("host-metrics-live", RO, fmt_bool(h.live)),
        Field("patches", SRO, ""),
        Field("updates", SRO, ", ".join(updates)),
        Field("ha-statefiles", RO, ""),
        Field("ha-network-peers", RO, ""),
        Field("external-auth-type", RO, h.external_auth_type),
        Field("external-auth-service-name", RO, ""),
        Field("external-auth-configuration", MRO, ""),
        Field("edition", RO, h.edition),
        Field("license-server", MRO, "address: localhost; port: 27000"),
        Field("power-on-mode", RO, ""),
        Field("power-on-config", MRO, ""),
        Field("local-cache-sr", RO, "<not in database>"),
        Field("tags", SRW, ""),
        Field("ssl-legacy", RW, "false"),
        Field("guest_VCPUs_params", MRW, ""),
        Field("virtual-hardware-platform-versions", SRO, "0; 1; 2"),
        Field("control-domain-uuid", RO, h.control_domain_uuid),
        Field("resident-vms", SRO, "; ".join([h.control_domain_uuid, *h.resident_vms])),
        Field("updates-requiring-reboot", SRO, ""),
        Field("features", SRO, ""),
        Field("iscsi_iqn", RW, f"iqn.2023-01.com.example:{h.hostname}"),
        Field("multipathing", RW, "false"),
    ]


def sr_record(db: PoolDB, sr: SRRec) -> Record:
    return [
        Field("uuid", RO, sr.uuid),
        Field("name-label", RW, sr.name_label),
        Field("name-description", RW, sr.name_description),
        Field("host", RO, db.hosts[sr.host].name_label if sr.host in db.hosts else "<shared>" if sr.shared else "<not in database>"),
        Field("allowed-operations", SRO, "unplug; plug; PBD.create; update; PBD.destroy; VDI.create; scan; destroy; forget"),
        Field("current-operations", SRO, ""),
        Field("VDIs", SRO, ""),
        Field("PBDs", SRO, "; ".join(p.uuid for p in db.pbds.values() if p.sr_uuid == sr.uuid)),
        Field("virtual-allocation", RO, "0"),
        Field("physical-utilisation", RO, "4194304"),
        Field("physical-size", RO, "499826819072"),
        Field("type", RO, sr.type),
        Field("content-type", RO, sr.content_type),
        Field("shared", RW, fmt_bool(sr.shared)),
        Field("introduced-by", RO, "<not in database>"),
        Field("is-tools-sr", RO, fmt_bool(sr.is_tools_sr)),
        Field("other-config", MRW, fmt_map(sr.other_config)),
        Field("sm-config", MRO, "allocation: thick; use_vhd: true"),
        Field("blobs", RO, ""),
        Field("local-cache-enabled", RO, "false"),
        Field("tags", SRW, ""),
        Field("clustered", RO, "false"),
    ]


def pbd_record(db: PoolDB, pbd: PBDRec) -> Record:
    return [
        Field("uuid", RO, pbd.uuid),
        Field("host", RO, pbd.host_uuid),
        Field("host-uuid", RO, pbd.host_uuid),
        Field("host-name-label", RO, db.hosts[pbd.host_uuid].name_label if pbd.host_uuid in db.hosts else "<not in database>"),
        Field("sr-uuid", RO, pbd.sr_uuid),
        Field("sr-name-label", RO, db.srs[pbd.sr_uuid].name_label if pbd.sr_uuid in db.srs else "<not in database>"),
        Field("device-config", MRO, fmt_map(pbd.device_config)),
        Field("currently-attached", RO, fmt_bool(pbd.currently_attached)),
        Field("other-config", MRW, "storage_driver_domain: OpaqueRef:00000000-0000-0000-0000-000000000000"),
    ]


def update_record(db: PoolDB, up: UpdateRec) -> Record:
    return [
        Field("uuid", RO, up.uuid),
        Field("name-label", RO, up.name_label),
        Field("name-description", RO, up.name_description),
        Field("key", RO, ""),
        Field("version", RO, up.version),
        Field("installation-size", RO, str(up.installation_size)),
        Field("hosts", SRO, ", ".join(up.hosts)),
        Field("after-apply-guidance", SRO, up.after_apply_guidance),
        Field("enforce-homogeneity", RO, fmt_bool(up.enforce_homogeneity)),
    ]


def update_package(up: UpdateRec) -> bytes:
    """The update file an admin downloads for ``up``: update.xml as xapi reads it on upload
    (xapi_pool_update.ml parse_update_info, v1.249.40: <update uuid name-label version …>).
    A real package is an ISO holding this file and the RPMs; the simulator needs update.xml only."""
    return (
        '<?xml version="1.0" ?>\n'
        f'<update after-apply-guidance="{up.after_apply_guidance}" key="" name-label="{up.name_label}" '
        f'uuid="{up.uuid}" version="{up.version}" installation-size="{up.installation_size}" '
        f'enforce-homogeneity="{fmt_bool(up.enforce_homogeneity)}">\n'
        f'  <name-description>{up.name_description}</name-description>\n</update>\n'
    ).encode()


DEFAULT_COLUMNS = {
    "pool": ["uuid", "name-label", "name-description", "master", "default-SR"],
    "host": ["uuid", "name-label", "name-description"],
    "sr": ["uuid", "name-label", "name-description", "host", "type", "content-type"],
    "pbd": ["uuid", "host-uuid", "sr-uuid", "device-config", "currently-attached"],
    "update": ["uuid", "name-label", "name-description", "version", "installation-size", "hosts", "after-apply-guidance"],
    "patch": ["uuid", "name-label", "name-description", "version", "hosts", "after-apply-guidance"],
}

# Parameter names xapi declares for each error, used by the CLI to print them.
ERROR_PARAMS = {
    "HOST_OFFLINE": ["host"],
    "HOST_IS_SLAVE": ["Master IP address"],
    "HOST_UNKNOWN_TO_MASTER": ["host"],
    "HOST_MASTER_CANNOT_TALK_BACK": ["ip"],
    "HOST_IS_LIVE": ["host"],
    "CANNOT_CONTACT_HOST": ["host"],
    "HOSTS_NOT_HOMOGENEOUS": ["reason"],
    "UUID_INVALID": ["type", "uuid"],
    "SESSION_AUTHENTICATION_FAILED": [],
    "POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION": ["host_api_version", "master_api_version"],
    "POOL_JOINING_HOST_MUST_HAVE_SAME_DB_SCHEMA": ["host_db_schema", "master_db_schema"],
    "UPDATE_ALREADY_EXISTS": ["uuid"],
    "UPDATE_ALREADY_APPLIED": ["update"],
    "INVALID_UPDATE": ["info"],
}

HOST_REF_ERRORS = {"HOST_OFFLINE", "HOST_IS_LIVE", "CANNOT_CONTACT_HOST"}


def format_error(code: str, params: list[str], db: PoolDB | None) -> str:
    """stderr text for an API error, as the CLI prints it."""
    if code not in ERROR_TEXT:
        # Errors without a registered description (e.g. SR_BACKEND_FAILURE_77).
        return f"Error code: {code}\nError parameters: {', '.join(params)}\n"
    lines = [ERROR_TEXT[code]]
    names = ERROR_PARAMS.get(code, [])
    for i, value in enumerate(params):
        if i >= len(names):
            break
        if code in HOST_REF_ERRORS and db is not None:
            value = host_display(db, value)
        lines.append(f"{names[i]}: {value}")
    return "\n".join(lines) + "\n"
