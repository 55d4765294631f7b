"""The incident's events, as the engine sees them: `EventStream` and the per-pool `Journal`.

`EventStream` takes the engine's observations (`PoolObserved`: one diagnosis per
burst of facts, the same the console shows) and the commands as they end, and
turns them into events — one dict each — only when something changed:

* ``verdict``: the verdict, its masters, or the advised step changed; with the
  summary, the advice and the facts behind it (each host's view, with whether
  its role was observed now or is last seen, and when);
* ``host``: what one host believes changed (SSH, role, the master it follows,
  its own TCP check of it, its toolstack);
* ``command``: a command ran on a host, with its exit status and outcome.

`xentui watch` prints them; `Journal` appends them to a size-bounded JSONL file
beside the audit file (one per pool, rotated once), passwords masked like the
audit.  Pure but for the file append.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xentui.trail.audit import redact as mask
from xentui.diagnosis import Diagnosis
from xentui.core.model import HostFacts
from xentui.engine.observed import PoolObserved

Event = dict[str, Any]
JOURNAL_MAX_BYTES = 5 * 1024 * 1024


def iso(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at % 1 * 1000):03d}Z"


def host_view(f: HostFacts, d: Diagnosis) -> dict[str, Any]:
    """What one host believes, as the journal keeps it (last-seen values say so)."""
    hv = d.hosts.get(f.name)
    role_src = f.sources.get("role")
    ssh = f.ssh.value
    if f.silent:
        ssh = "silent"  # no answer over the held session (its seconds change every update: not an event)
    return {
        "ssh": ssh,
        "role": f.role.value if f.role else None,
        "role_last_seen": iso(role_src.at) if role_src is not None and role_src.stale else None,
        "follows": hv.follows if hv else None,
        "reaches_master": f.reaches_master,
        "toolstack": f.xapi.value,
        "pool_list": f.pool_list.value,
        "flags": [fl.value for fl in hv.flags] if hv else [],
        **_ha_view(f),
    }


def _ha_view(f: HostFacts) -> dict[str, Any]:
    """HA as the host itself says it (only where HA is configured: other pools' events are unchanged)."""
    if f.ha_armed is None or (not f.ha_armed and "ha_config" not in f.sources):
        return {}
    return {"ha_armed": f.ha_armed, "ha_daemon": f.ha_liveset_status}


def _verdict_key(d: Diagnosis) -> tuple[Any, ...]:
    rec = d.recommendation
    return (d.verdict, tuple(d.masters), rec.action if rec else None, rec.host if rec else None)


class EventStream:
    """The engine's observations in (`PoolObserved`, one per burst of facts), change events out."""

    def __init__(self, pool: str) -> None:
        self.pool = pool
        self.sinks: list[Callable[[Event], None]] = []
        self._verdict: tuple[Any, ...] | None = None
        self._hosts: dict[str, dict[str, Any]] = {}

    def _emit(self, event: Event) -> None:
        for sink in list(self.sinks):
            sink(event)

    def on_observed(self, seen: PoolObserved) -> None:
        """The events one observation makes: the host views that changed, then a verdict change."""
        d = seen.diagnosis
        for name in sorted(seen.changed):
            f = seen.facts.get(name)
            if f is None:
                continue
            view = host_view(f, d)
            if self._hosts.get(name) != view:
                self._hosts[name] = view
                self._emit({"at": iso(seen.at), "event": "host", "pool": self.pool, "host": name, **view})
        key = _verdict_key(d)
        if key != self._verdict:
            self._verdict = key
            rec = d.recommendation
            self._emit({
                "at": iso(seen.at),
                "event": "verdict",
                "pool": self.pool,
                "verdict": d.verdict.value,
                "summary": d.summary,
                "masters": d.masters,
                "next": None if rec is None else {"action": rec.action.value, "host": rec.host,
                                                  "command": rec.command, "reason": rec.reason},
                "never": [f"{fb.action.value} {fb.host}" if fb.host else fb.action.value for fb in d.forbidden],
                "facts": {name: host_view(h, d) for name, h in seen.facts.items()},
                **({"ha": d.ha.model_dump(mode="json", exclude={"liveset"})} if d.ha is not None else {}),
            })

    def on_command(self, result: Any) -> None:
        """A command's end (`CommandResult`), with what it printed that matters (first lines, masked)."""
        lines = [ln for ln in (result.stderr or result.stdout or "").splitlines() if ln.strip()][:3]
        self._emit({
            "at": iso(result.started),
            "event": "command",
            "pool": self.pool,
            "host": result.host,
            "command": mask(result.command),
            "exit_status": result.exit_status,
            "outcome": result.outcome,
            "seconds": round(result.duration, 3),
            "lines": [mask(ln) for ln in lines],
        })


def text_line(e: Event) -> str:
    """One event as one human line (what `xentui watch` prints without --json)."""
    if e["event"] == "verdict":
        nxt = e.get("next") or {}
        step = f" · next: {nxt['action']} {nxt.get('host') or ''}".rstrip() if nxt else " · next: (asking)"
        return f"{e['at']} {e['pool']} {e['verdict'].upper()}: {e['summary']}{step}"
    if e["event"] == "host":
        bits = [f"ssh {e['ssh']}", f"role {e['role'] or '-'}" + (" (last seen)" if e.get("role_last_seen") else "")]
        if e.get("follows"):
            bits.append(f"follows {e['follows']}")
        if e.get("reaches_master") is not None:
            bits.append("reaches it" if e["reaches_master"] else "CANNOT reach it")
        bits.append(f"toolstack {e['toolstack']}")
        return f"{e['at']} {e['pool']} {e['host']}: " + ", ".join(bits)
    return f"{e['at']} {e['pool']} {e['host']}$ {e['command']} -> {e['outcome']}"


def journal_path(audit_path: Path, pool: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in pool) or "pool"
    return audit_path.parent / f"journal-{safe}.jsonl"


class Journal:
    """Appends events to a per-pool JSONL file; rotated once (``.1``) past `max_bytes`."""

    def __init__(self, path: Path, max_bytes: int = JOURNAL_MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes

    def append(self, event: Event) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists() and self.path.stat().st_size > self.max_bytes:
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(event, sort_keys=True) + "\n")
        except OSError:
            pass  # a record of the incident, never a reason to stop watching it


def read_journal(path: Path) -> list[Event]:
    """Every event of a journal, its rotated part first; unreadable lines are skipped."""
    out: list[Event] = []
    for p in (path.with_name(path.name + ".1"), path):
        try:
            text = p.read_text(encoding="utf-8")
        except OSError:
            continue
        for line in text.splitlines():
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if isinstance(e, dict):
                out.append(e)
    return out
