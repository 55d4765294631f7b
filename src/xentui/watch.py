"""`xentui watch [--json]`: the console's long-running engine without a screen.

One line per event (`xentui.journal.EventStream`): a verdict change with the
facts behind it, a host's view changing.  With ``--json`` each line is one JSON
object, so scripts, chat bots and ``tee`` get the verdict the moment the
console does.  Every event also goes to the pool's journal beside the audit
file.  Runs until interrupted (or until `stop` is set, for tests).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable

from .config import Config, PoolConfig
from .engine.pool import PoolEngine
from .journal import Event, EventStream, Journal, journal_path, text_line


async def run_watch(
    config: Config,
    pool: PoolConfig,
    as_json: bool = False,
    write: Callable[[str], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    def out(line: str) -> None:
        if write is not None:
            write(line)
        else:
            print(line, flush=True)

    engine = PoolEngine(pool, config.settings)
    stream = EventStream(pool.name, engine.diagnose, engine.facts)
    journal = Journal(journal_path(config.settings.audit_path, pool.name))

    def emit(e: Event) -> None:
        out(json.dumps(e, sort_keys=True) if as_json else text_line(e))

    stream.sinks += [emit, journal.append]
    engine.listeners.append(stream.on_facts)
    engine.start()
    try:
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        await engine.stop()
        stream.flush()  # the last updates are printed and journaled


def cmd_watch(config: Config, pool: PoolConfig, as_json: bool) -> int:
    try:
        asyncio.run(run_watch(config, pool, as_json))
    except KeyboardInterrupt:
        pass
    sys.stdout.flush()
    return 0
