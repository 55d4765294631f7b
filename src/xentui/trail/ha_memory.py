"""When `xentui check` first saw a pool's master lost with HA armed: kept between runs (issue 27).

A monitoring plugin runs once a minute and forgets everything in between; HA's election window
starts when the loss was first seen (diagnosis/ha.py), so a check that only ever saw "now"
would say ELECTING forever.  This file keeps that first sighting per pool, beside the audit
file (``ha-lost-<pool>.json``), and is removed as soon as the pool is out of ELECTING/WEDGED.
The long-running faces (console, watch, exporter) keep it in the engine instead (engine/carry.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from xentui.core.model import HostFacts, Source

__all__ = ["forget", "recall", "remember"]

HOW = "first seen without its master by an earlier `xentui check`"


def _path(directory: Path, pool: str) -> Path:
    return directory / f"ha-lost-{re.sub(r'[^A-Za-z0-9_.-]', '_', pool)}.json"


def recall(directory: Path, pool: str, facts: list[HostFacts]) -> bool:
    """Put the remembered first sighting on the armed hosts' facts (as the engine would); True if any."""
    try:
        at = float(json.loads(_path(directory, pool).read_text())["lost_since"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    done = False
    for f in facts:
        if f.reachable and f.ha_armed:
            src = f.sources.get("ha_master_lost")
            if src is None or src.at > at:
                f.sources["ha_master_lost"] = Source(how=HOW, at=at)
                done = True
    return done


def remember(directory: Path, pool: str, lost_since: float) -> None:
    path = _path(directory, pool)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"lost_since": lost_since}))
        tmp.replace(path)
    except OSError:
        pass  # a plugin without a writable home still answers; it only forgets


def forget(directory: Path, pool: str) -> None:
    try:
        _path(directory, pool).unlink()
    except OSError:
        pass
