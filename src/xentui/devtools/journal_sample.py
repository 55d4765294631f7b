"""A big journal for the timeline's and the report's benchmark and tests: a recorded run, repeated.

`write_repeated_journal` copies a recorded journal (and its audit) over and over, each copy
shifted later by the run's length plus a gap, until the journal holds the number of events
asked for: the same mix of host views, verdicts with their facts, and commands as a real
incident, as many incidents as it takes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def _parse(text: str) -> datetime:
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def write_repeated_journal(events: list[dict[str, Any]], audit: list[dict[str, Any]], n_events: int,
                           journal: Path, audit_out: Path, gap: timedelta = timedelta(minutes=30)) -> int:
    """Write `n_events` journal events (and the audit records of every copy); returns the audit's count."""
    times = [_parse(e["at"]) for e in events] + [_parse(a["ts"]) for a in audit]
    span = max(times) - min(times) + gap
    written = n_audit = copy = 0
    with journal.open("w", encoding="utf-8") as jf, audit_out.open("w", encoding="utf-8") as af:
        while written < n_events:
            shift = span * copy
            for a in audit:
                af.write(json.dumps({**a, "ts": _iso(_parse(a["ts"]) + shift)}) + "\n")
                n_audit += 1
            for e in events:
                if written >= n_events:
                    break
                jf.write(json.dumps({**e, "at": _iso(_parse(e["at"]) + shift)}, sort_keys=True) + "\n")
                written += 1
            copy += 1
    return n_audit
