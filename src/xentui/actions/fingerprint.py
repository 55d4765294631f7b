"""The facts a plan was made from, as a fingerprint `xentui apply` checks again (pure).

`pool_fingerprint(facts, diagnosis)` keeps what a plan's safety rests on —
the verdict, which hosts act as master, the hosts as good to promote as the proposed
candidate (eligible, with its database generation), and for each
host whether the jump box reaches it, its pool.conf role, whom it follows and
its UUID — and hashes it (sha256 of the canonical JSON).  Figures that move
on their own (database generation, latency, ages) are left out: a plan is
stale when the pool changed in a way that matters, not when a clock ticked.

`what_changed(saved, now)` says, in words, each difference.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from xentui.diagnosis import Diagnosis, HostFlag
from xentui.core.facts_rules import toolstack_answers_locally

from xentui.actions.plan import FactsLike, facts_by_name

__all__ = ["SAVED_FORMAT", "pool_fingerprint", "saved_plan", "what_changed"]

HOST_FIELDS = ("reachable", "role", "follows", "uuid")


def pool_fingerprint(facts: FactsLike, diagnosis: Diagnosis) -> dict[str, Any]:
    """{"digest": sha256 hex, "facts": the JSON the digest is of}."""
    fs = facts_by_name(facts)
    hosts: dict[str, dict[str, Any]] = {}
    for name in sorted(fs):
        f = fs[name]
        hv = diagnosis.hosts.get(name)
        hosts[name] = {
            "reachable": f.reachable,
            "role": f.role.value if f.role is not None and f.reachable else None,
            "follows": hv.follows if hv is not None and f.reachable else None,
            "uuid": f.uuid,
        }
    doc = {
        "verdict": diagnosis.verdict.value,
        "masters": sorted(diagnosis.masters),
        "candidates": _equal_candidates(fs, diagnosis),
        "hosts": hosts,
    }
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return {"digest": digest, "facts": doc}


def _equal_candidates(fs: dict[str, Any], diagnosis: Diagnosis) -> list[str] | None:
    """The hosts as good to promote as the proposed candidate: eligible, with the same database.

    The diagnosis breaks a tie on the database generation by the latency band from the jump box,
    which moves with load: a plan saved for plot2 stays valid when plot3, as fresh, now answers a
    little faster.  A host whose copy is fresher, or the candidate losing its eligibility, does
    change this set.  None while no promotion is proposed.
    """
    if diagnosis.candidate is None or diagnosis.candidate not in fs:
        return None
    best = fs[diagnosis.candidate].db_generation
    out = []
    for name, f in fs.items():
        hv = diagnosis.hosts.get(name)
        flags = set(hv.flags) if hv is not None else set()
        if (f.reachable and name not in diagnosis.masters and toolstack_answers_locally(f)
                and not flags & {HostFlag.ORPHANED, HostFlag.BROKEN, HostFlag.TOOLSTACK_HUNG}
                and f.db_generation == best):
            out.append(name)
    return sorted(out)


def _show(v: Any) -> str:
    if v is None:
        return "unknown"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return ", ".join(map(str, v)) or "none"
    return str(v)


def what_changed(saved: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """One line per difference between two `pool_fingerprint(...)["facts"]` (empty: nothing that matters)."""
    out: list[str] = []
    for key, label in (("verdict", "verdict"), ("masters", "acting as master"),
                       ("candidates", "as good to promote (eligible, freshest database)")):
        if saved.get(key) != now.get(key):
            out.append(f"{label}: was {_show(saved.get(key))}, now {_show(now.get(key))}")
    old_hosts: dict[str, Any] = saved.get("hosts") or {}
    new_hosts: dict[str, Any] = now.get("hosts") or {}
    for name in sorted(set(old_hosts) | set(new_hosts)):
        if name not in new_hosts:
            out.append(f"{name}: in the plan, not in the pool's config now")
            continue
        if name not in old_hosts:
            out.append(f"{name}: in the pool now, not when the plan was made")
            continue
        a, b = old_hosts[name], new_hosts[name]
        for field in HOST_FIELDS:
            if a.get(field) != b.get(field):
                label = {"reachable": "reachable from here"}.get(field, field)
                out.append(f"{name}: {label} was {_show(a.get(field))}, now {_show(b.get(field))}")
    return out


SAVED_FORMAT = "xentui-plan/1"


def saved_plan(report: dict[str, Any], plan_dump: dict[str, Any], facts: FactsLike, diagnosis: Diagnosis,
               made_at: float) -> dict[str, Any]:
    """What `xentui plan --json` prints: the readable report, then what `apply` needs to run it again."""
    return {**report, "format": SAVED_FORMAT, "made_at": made_at, "fingerprint": pool_fingerprint(facts, diagnosis),
            "plan": plan_dump}
