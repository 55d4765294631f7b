"""How the simulated `xe` prints records and errors (reference §6).

Written from xapi's source (cli_printer.ml, cli_operations.ml print_field,
records.ml at the release's tag), independently of the engine's parsers: the
two are tested against the same golden texts and the corpus in
tests/fixtures/real/.
"""

from __future__ import annotations

from dataclasses import dataclass

from .releases import release
from .state import ERROR_TEXT, HostRec, PBDRec, PoolDB, SRRec, UpdateRec
from .vms import VMRec, all_vms


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
#
# Each builder gives the value of every field any supported release has; the
# release's field table (records.ml at its tag, sim/releases.py) picks which
# ones are printed, in which order, with which annotation and marker.

NID = "<not in database>"  # records.ml nid: a reference not in the database
EPOCH = "19700101T00:00:00Z"  # Date.to_rfc3339 of xapi's null date


def _build(db: PoolDB, cls: str, values: dict[str, str], listing: bool) -> Record:
    """Print ``values`` by the release's field table for ``cls``.

    Hidden fields are never printed; expensive ones print ``<expensive field>``
    in a ``*-list`` (cli_operations.ml make_param_funs ``list``)."""
    rel = release(db.release)
    rec: Record = []
    for spec in rel.fields[cls]:
        if spec.hidden:
            continue
        value = "<expensive field>" if (listing and spec.expensive) else values[spec.name]
        rec.append(Field(spec.name, spec.marker, value))
    return rec


def _uuid_or_nid(uuid: str, known: dict[str, object]) -> str:
    return uuid if uuid in known else NID


def pool_record(db: PoolDB, listing: bool = True) -> Record:
    rel = release(db.release)
    v = {
        "uuid": db.pool_uuid,
        "name-label": db.pool_name,
        "name-description": "",
        "master": _uuid_or_nid(db.master_uuid, db.hosts),
        "default-SR": _uuid_or_nid(db.default_sr, db.srs),
        "crash-dump-SR": _uuid_or_nid(db.default_sr, db.srs),
        "suspend-image-SR": _uuid_or_nid(db.default_sr, db.srs),
        "supported-sr-types": "lvm; ext; udev; iso; file; nfs; lvmoiscsi; lvmohba; smb; cifs",
        "other-config": "memory-ratio-hvm: 0.25; memory-ratio-pv: 0.25",
        "allowed-operations": "ha_enable; cluster_create",
        "current-operations": "",
        "ha-enabled": fmt_bool(db.ha_enabled),
        "ha-configuration": "",
        "ha-statefiles": "",
        "ha-host-failures-to-tolerate": "0",
        "ha-plan-exists-for": "0",
        "ha-allow-overcommit": "false",
        "ha-overcommitted": "false",
        "blobs": "",
        "wlb-url": "",
        "wlb-username": "",
        "wlb-enabled": "false",
        "wlb-verify-cert": "false",
        "igmp-snooping-enabled": "false",
        "gui-config": "",
        "health-check-config": "",
        "vswitch-controller": "",
        "restrictions": "restrict_vswitch_controller: false; restrict_lab: false; restrict_pooling: false",
        "tags": "",
        "license-state": f"edition: {rel.edition}; expiry: never",
        "ha-cluster-stack": "xhad",
        "guest-agent-config": "",
        "cpu_info": "",
        "policy-no-vendor-device": "false",
        "live-patching-disabled": "false",
        "uefi-certificates": "",
        "https-only": "false",
        "custom-uefi-certificates": "",
        "tls-verification-enabled": fmt_bool(db.tls_verification_enabled),
        "client-certificate-auth-enabled": "false",
        "client-certificate-auth-name": "",
        "repositories": "",
        "repository-proxy-url": "",
        "repository-proxy-username": "",
        "migration-compression": "false",
        "coordinator-bias": "true",
        "telemetry-frequency": "weekly",
        "telemetry-next-collection": EPOCH,
        "last-update-sync": EPOCH,
        "update-sync-frequency": "weekly",
        "update-sync-day": "0",
        "update-sync-enabled": "false",
        "recommendations": "",
        "ext-auth-cache-enabled": "false",
        "ext-auth-cache-size": "50",
        "ext-auth-cache-expiry": "300",
        "ha-reboot-vm-on-internal-shutdown": "true",
        "license-server": "",
        "ssh-enabled": "true",
        "ssh-enabled-timeout": "0",
        "ssh-expiry": EPOCH,
        "console-idle-timeout": "0",
        "ssh-auto-mode": "false",
    }
    return _build(db, "pool", v, listing)


def host_record(db: PoolDB, h: HostRec, listing: bool = True) -> Record:
    updates = [u.uuid for u in db.updates.values() if h.uuid in u.hosts]
    v = {
        "uuid": h.uuid,
        "name-label": h.name_label,
        "name-description": h.name_description,
        "allowed-operations": "VM.migrate; provision; VM.resume; evacuate; VM.start",
        "current-operations": "",
        "enabled": fmt_bool(h.enabled),
        "display": "enabled",
        "API-version-major": str(h.api_major),
        "API-version-minor": str(h.api_minor),
        "API-version-vendor": "XenSource",
        "API-version-vendor-implementation": "",
        "logging": "",
        "suspend-image-sr-uuid": NID,
        "crash-dump-sr-uuid": NID,
        "software-version": fmt_map(h.software_version),
        "capabilities": "xen-3.0-x86_64; hvm-3.0-x86_32; hvm-3.0-x86_32p; hvm-3.0-x86_64",
        "other-config": "agent_start_time: 1700000000.; boot_time: 1699999000.",
        "cpu_info": f"cpu_count: 16; socket_count: 1; vendor: {h.cpu_vendor}; speed: 2399.998; "
        "modelname: Simulated CPU @ 2.40GHz; family: 6; model: 85; stepping: 7",
        "chipset-info": "iommu: true",
        "hostname": h.hostname,
        "address": h.address,
        "https-only": "false",
        "supported-bootloaders": "pygrub; eliloader",
        "blobs": "",
        "memory-overhead": "1073741824",
        "memory-total": "137402167296",
        "memory-free": "96305500160",
        "memory-free-computed": "96305500160",
        "host-metrics-live": fmt_bool(h.live),
        "patches": "",
        "updates": ", ".join(updates),  # records.ml: String.concat ", "
        "ha-statefiles": "",
        "ha-network-peers": "",
        "external-auth-type": h.external_auth_type,
        "external-auth-service-name": "",
        "external-auth-configuration": "",
        "edition": h.edition,
        "license-server": "address: localhost; port: 27000",
        "power-on-mode": "",
        "power-on-config": "",
        "local-cache-sr": NID,
        "tags": "",
        "ssl-legacy": "false",
        "guest_VCPUs_params": "",
        "virtual-hardware-platform-versions": "0; 1; 2",
        "control-domain-uuid": h.control_domain_uuid,
        "resident-vms": "; ".join([h.control_domain_uuid, *h.resident_vms,
                                   *(v.uuid for v in db.vms.values() if v.resident_on == h.uuid)]),
        "updates-requiring-reboot": "",
        "features": "",
        "iscsi_iqn": f"iqn.2023-01.com.example:{h.hostname}",
        "multipathing": "false",
        "uefi-certificates": "",
        "numa-affinity-policy": "default_policy",
        "pending-guidances": "",
        "tls-verification-enabled": fmt_bool(db.tls_verification_enabled),
        "last-software-update": EPOCH,
        "latest-synced-updates-applied": "unknown",
        "pending-guidances-recommended": "",
        "pending-guidances-full": "",
        "last-update-hash": "",
        "ssh-enabled": "true",
        "ssh-enabled-timeout": "0",
        "ssh-expiry": EPOCH,
        "console-idle-timeout": "0",
        "ssh-auto-mode": "false",
        "secure-boot": "false",
    }
    return _build(db, "host", v, listing)


def sr_record(db: PoolDB, sr: SRRec, listing: bool = True) -> Record:
    # records.ml sr "host": "<shared>" when the SR has more than one PBD, else the
    # name of its one PBD's host (get_name_from_ref: <not in database> if gone).
    pbds = [p for p in db.pbds.values() if p.sr_uuid == sr.uuid]
    if len(pbds) > 1:
        host = "<shared>"
    else:
        owner = pbds[0].host_uuid if pbds else sr.host
        host = db.hosts[owner].name_label if owner in db.hosts else NID
    v = {
        "uuid": sr.uuid,
        "name-label": sr.name_label,
        "name-description": sr.name_description,
        "host": host,
        "allowed-operations": "unplug; plug; PBD.create; update; PBD.destroy; VDI.create; scan; destroy; forget",
        "current-operations": "",
        "VDIs": "",
        "PBDs": "; ".join(p.uuid for p in db.pbds.values() if p.sr_uuid == sr.uuid),
        "virtual-allocation": "0",
        "physical-utilisation": str(sr.physical_utilisation),
        "physical-size": str(sr.physical_size),
        "type": sr.type,
        "content-type": sr.content_type,
        "shared": fmt_bool(sr.shared),
        "introduced-by": NID,
        "is-tools-sr": fmt_bool(sr.is_tools_sr),
        "other-config": fmt_map(sr.other_config),
        "sm-config": fmt_map(sr.sm_config),
        "blobs": "",
        "local-cache-enabled": "false",
        "tags": "",
        "clustered": "false",
    }
    return _build(db, "sr", v, listing)


def pbd_record(db: PoolDB, pbd: PBDRec, listing: bool = True) -> Record:
    v = {
        "uuid": pbd.uuid,
        "host": _uuid_or_nid(pbd.host_uuid, db.hosts),
        "host-uuid": _uuid_or_nid(pbd.host_uuid, db.hosts),
        "host-name-label": db.hosts[pbd.host_uuid].name_label if pbd.host_uuid in db.hosts else NID,
        "sr-uuid": _uuid_or_nid(pbd.sr_uuid, db.srs),
        "sr-name-label": db.srs[pbd.sr_uuid].name_label if pbd.sr_uuid in db.srs else NID,
        "device-config": fmt_map(pbd.device_config),
        "currently-attached": fmt_bool(pbd.currently_attached),
        "other-config": "storage_driver_domain: OpaqueRef:00000000-0000-0000-0000-000000000000",
    }
    return _build(db, "pbd", v, listing)


def update_record(db: PoolDB, up: UpdateRec, listing: bool = True) -> Record:
    v = {
        "uuid": up.uuid,
        "name-label": up.name_label,
        "name-description": up.name_description,
        "version": up.version,
        "installation-size": str(up.installation_size),
        "hosts": ", ".join(up.hosts),  # records.ml: String.concat ", "
        "after-apply-guidance": ", ".join(up.after_apply_guidance),
        "enforce-homogeneity": fmt_bool(up.enforce_homogeneity),
    }
    return _build(db, "update", v, listing)


def update_package(up: UpdateRec) -> bytes:
    """The update file an admin downloads for ``up``: update.xml as xapi reads it on upload
    (xapi_pool_update.ml parse_update_info, v1.249.40: <update uuid name-label version …>).
    A real package is an ISO holding this file and the RPMs; the simulator needs update.xml only."""
    return (
        '<?xml version="1.0" ?>\n'
        f'<update after-apply-guidance="{",".join(up.after_apply_guidance)}" key="" name-label="{up.name_label}" '
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
    "vm": ["uuid", "name-label", "power-state"],  # cli_operations.ml vm-list defaults
    "patch": ["uuid", "name-label", "name-description", "version", "hosts", "after-apply-guidance"],
}

# Parameter names xapi declares for each error, used by the CLI to print them.
ERROR_PARAMS = {
    "INTERNAL_ERROR": ["message"],
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
    "VM_BAD_POWER_STATE": ["vm", "expected", "actual"],
    "DOMAIN_EXISTS": ["vm", "domid"],
    "CANNOT_RESET_CONTROL_DOMAIN": ["vm"],
    "HOST_NOT_LIVE": [],
    "NO_HOSTS_AVAILABLE": [],
}

# Errors whose first parameter is a VM reference: cli_util.ml ref_convert prints `uuid (name-label)`.
VM_REF_ERRORS = {"VM_BAD_POWER_STATE", "DOMAIN_EXISTS", "CANNOT_RESET_CONTROL_DOMAIN"}

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
        if code in VM_REF_ERRORS and i == 0 and db is not None:
            value = vm_display(db, value)
        lines.append(f"{names[i]}: {value}")
    # cli_util.ml get_server_error pp_params: a declared parameter not passed prints <unknown>
    lines += [f"{n}: <unknown>" for n in names[len(params):]]
    return "\n".join(lines) + "\n"


def vm_display(db: PoolDB, uuid: str) -> str:
    for vm in all_vms(db):
        if vm.uuid == uuid:
            return f"{uuid} ({vm.name_label})"
    return uuid


# The VM fields the simulator models, in records.ml vm_record order (v24.40.0:ocaml/xapi-cli-server/
# records.ml; the same names and order at v1.249.42 and v25.39.0). A subset: `params=all` prints these.
VM_FIELDS = (
    ("uuid", "( RO)"), ("name-label", "( RW)"), ("name-description", "( RW)"), ("is-a-template", "( RW)"),
    ("is-control-domain", "( RO)"), ("power-state", "( RO)"), ("resident-on", "( RO)"),
    ("ha-restart-priority", "( RW)"),
)


def vm_record(db: PoolDB, vm: VMRec) -> Record:
    v = {
        "uuid": vm.uuid,
        "name-label": vm.name_label,
        "name-description": vm.name_description,
        "is-a-template": "false",
        "is-control-domain": fmt_bool(vm.is_control_domain),
        "power-state": vm.power_state,
        "resident-on": _uuid_or_nid(vm.resident_on, db.hosts),
        "ha-restart-priority": vm.ha_restart_priority,
    }
    return [Field(name, marker, v[name]) for name, marker in VM_FIELDS]
