"""`xentui status [--json]`: one probe of the pool, every host's view and the diagnosis."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from xentui.cli.common import deadline, load_pool, probe, with_overrides

if TYPE_CHECKING:
    from xentui.core.model import HostFacts
    from xentui.diagnosis import Diagnosis


def host_json(f: HostFacts, diagnosis: Diagnosis) -> dict[str, Any]:
    hv = diagnosis.hosts.get(f.name)
    return {
        "name": f.name,
        "address": f.address,
        "reachable": f.reachable,
        "ssh": f.ssh.value,
        "role": f.role.value if f.role else None,
        "master_address": f.master_address,
        "follows": hv.follows if hv else None,
        "uuid": f.uuid,
        "xapi": f.xapi.value,
        "xapi_detail": f.xapi_detail,
        "pool_list": f.pool_list.value,
        "emergency_mode": f.emergency_mode,
        "reaches_master": f.reaches_master,
        "db_generation": f.db_generation,
        "latency_ms": f.latency_ms,
        # how the engine follows it: "stream" (watcher loop), "polled" (the loop cannot run; why),
        # null for a one-shot `status`
        "watch": f.watch,
        "watch_detail": f.watch_detail,
        "flags": [str(x) for x in hv.flags] if hv else [],
        "ha": ha_json(f),
        "error": _host_error(f),
        # out-of-band power (issue 28): the BMC's last reading with its time, or why it could not be read
        "power": None if f.power is None else {
            "state": f.power.state.value, "said": f.power.raw, "at": f.power.at, "bmc": f.power.bmc,
            "error": f.power.error, "warning": f.power.warning},
        "off_attested": None if f.off_attested is None else f.off_attested.model_dump(mode="json"),
    }


def ha_json(f: HostFacts) -> dict[str, Any] | None:
    """The host's own HA facts (local.db, xhad.conf, its daemon's liveset), None when none was read."""
    if f.ha_armed is None:
        return None
    src = f.sources.get("ha_local")
    return {
        "armed": f.ha_armed,
        "configured": "ha_config" in f.sources,
        "timeout": f.ha_timeout,
        "liveset_status": f.ha_liveset_status,
        "liveset_error": f.ha_liveset_error,
        "liveset": {u: r.model_dump() for u, r in f.ha_liveset.items()},
        "warnings": list(f.ha_liveset_warnings),
        "read_at": src.at if src is not None else None,
    }


def _ha_cell(h: dict[str, Any]) -> str:
    ha = h.get("ha")
    if not ha or (not ha["armed"] and not ha["configured"]):
        return "-"
    if not ha["armed"]:
        return "STUCK" if "ha-disabled-in-ha-pool" in h["flags"] else "off"
    if ha["liveset_status"] == "daemon-not-running":
        return "no xhad"
    return "armed" if ha["liveset_status"] != "error" else "armed?"


def _host_error(f: HostFacts) -> str | None:
    """One line naming the host and what failed, or None."""
    if not f.reachable:
        return f.ssh_error or f"{f.name}: {f.ssh.value}"
    if f.pool_list_error:
        return f"{f.name}: xe pool-list: {f.pool_list_error}"
    return None


def status_json(
    pool: str, facts: list[HostFacts], d: Diagnosis, seconds: float, outstanding: list[str] | None = None
) -> dict[str, Any]:
    return {
        "pool": pool,
        "verdict": d.verdict.value,
        "summary": d.summary,
        "master": d.master.model_dump() if d.master else None,
        "majority_master": d.majority_master.model_dump() if d.majority_master else None,
        "candidate": d.candidate,
        "hosts": [host_json(f, d) for f in facts],
        "recommendation": d.recommendation.model_dump(mode="json") if d.recommendation else None,
        "forbidden": [f.model_dump(mode="json") for f in d.forbidden],
        "ha": d.ha.model_dump(mode="json") if d.ha is not None else None,
        "probe_seconds": round(seconds, 3),
        "outstanding": outstanding or [],
    }


def _cell(v: Any, alarm_when: bool = False) -> str:
    """A table cell; the alarming value of a flag is in capitals."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return ("YES" if v else "no") if alarm_when else ("yes" if v else "NO")
    return str(v)


def _power_cell(h: dict[str, Any]) -> str:
    p = h.get("power")
    if p is None:
        return "-"
    if p["error"]:
        return "BMC?"
    return {"on": "On", "off": "Off"}.get(p["state"], p["said"] or "?")


def status_table(doc: dict[str, Any]) -> str:
    cols = ["name", "ssh", "role", "follows", "xapi", "emergency_mode", "reaches_master", "db_generation", "latency_ms"]
    heads = ["HOST", "SSH", "ROLE", "MASTER", "TOOLSTACK", "EMERG", "REACHES", "DB GEN", "MS"]
    rows = [[_cell(h[c], alarm_when=(c == "emergency_mode")) for c in cols] for h in doc["hosts"]]
    if any(h.get("ha") and (h["ha"]["armed"] or h["ha"]["configured"]) for h in doc["hosts"]):  # the HA column, only where some host has HA configured
        heads.insert(7, "HA")
        for r, h in zip(rows, doc["hosts"]):
            r.insert(7, _ha_cell(h))
    if any(h.get("power") is not None for h in doc["hosts"]):  # a POWER column when the pool has a BMC
        heads.insert(2, "POWER")
        for row, h in zip(rows, doc["hosts"]):
            row.insert(2, _power_cell(h))
    for row, h in zip(rows, doc["hosts"]):
        if h.get("watch") == "polled" and h["ssh"] == "up":  # its watcher loop cannot run: polled
            row[1] = "up (polled)"
    widths = [max(len(x) for x in col) for col in zip(heads, *rows)]
    lines = ["  ".join(x.ljust(w) for x, w in zip(r, widths)).rstrip() for r in [heads, *rows]]
    for h in doc["hosts"]:
        if h["error"]:
            lines.append(f"  ! {h['error']}")
        p = h.get("power")
        if p is not None and p["error"]:
            lines.append(f"  ! {p['error']}")
        if p is not None and p["warning"]:
            lines.append(f"  ! {h['name']}: {p['warning']}")
    lines.extend(f"  … {x}" for x in doc.get("outstanding", []))
    lines.append("")
    summary = doc["summary"].removeprefix(f"Pool {doc['pool']}: ")
    lines.append(f"Pool {doc['pool']}: {doc['verdict'].upper()} — {summary}")
    rec = doc["recommendation"]
    if rec:
        lines.append(f"Next step: {rec['reason']}" + (f"\n  on {rec['host']}: {rec['command']}" if rec.get("command") else ""))
    for f in doc["forbidden"]:
        lines.append(f"Do NOT: {f['command'] or f['action']}" + (f" on {f['host']}" if f.get("host") else "") + f" — {f['reason']}")
    lines.append(f"(probe took {doc['probe_seconds']:.1f} s)")
    return "\n".join(lines)


def lease_json(view: Any) -> dict[str, Any]:
    """`status --json`'s "lease": the holders seen (who, from where, which plan, since, expiry, stale, hosts)."""
    if view is None:
        return {"read": False, "holders": []}
    return {"read": True, "hosts_read": len(view.hosts), "holders": view.json()}


def lease_lines(view: Any) -> list[str]:
    from xentui.actions.lease import describe

    if view is None:
        return ["Lease: not read (no time left before the deadline)"]
    return [
        f"{'STALE LEASE' if rec.stale(view.now) else 'LEASE'}: held by {describe(rec, view.now)} "
        f"on {len(hosts)} of {len(view.hosts)} hosts ({', '.join(hosts)})"
        for rec, hosts in view.others()
    ]


def main(args: argparse.Namespace) -> int:
    import asyncio
    import json

    config, pool = load_pool(args)
    config = with_overrides(config, args)
    leases: list[Any] = []
    r = asyncio.run(probe(config, pool, early=not args.json, end_at=deadline(args), lease_out=leases))
    doc = status_json(pool.name, r.facts, r.diagnosis, r.seconds, r.outstanding)
    view = leases[0] if leases else None
    doc["lease"] = lease_json(view)
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(status_table(doc))
        print("\n".join(lease_lines(view)) or "Lease: nobody holds the pool")
    return 0
