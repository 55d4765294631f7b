"""`xentui watch [--json]`: the console's long-running engine without a screen.

One line per event (`xentui.trail.journal.EventStream`): a verdict change with the
facts behind it, a host's view changing.  With ``--json`` each line is one JSON
object, so scripts, chat bots and ``tee`` get the verdict the moment the
console does.  Every event also goes to the pool's journal beside the audit
file.  Runs until interrupted, until its reader goes away (`| head -1`: the
sessions are closed and it exits 141, quietly), or until `stop` is set (tests).
"""

from __future__ import annotations

import argparse

import asyncio
import json
import sys
from collections.abc import Callable

from xentui.core.config import Config, PoolConfig
from xentui.engine.pool import PoolEngine
from xentui.trail.journal import Event, EventStream, Journal, journal_path, text_line
from xentui.cli.pipes import READER_GONE, detach_stdout, stdout_reader_gone


async def run_watch(
    config: Config,
    pool: PoolConfig,
    as_json: bool = False,
    write: Callable[[str], None] | None = None,
    stop: asyncio.Event | None = None,
) -> bool:
    """Watch until *stop* (or forever); False when it ended because stdout's reader went away."""
    stop = stop if stop is not None else asyncio.Event()
    reader_gone = False

    def left() -> None:  # the reader left: stop probing; the journal still gets every event
        nonlocal reader_gone
        reader_gone = True
        detach_stdout()
        stop.set()

    def out(line: str) -> None:
        if write is not None:
            write(line)
            return
        if reader_gone:
            return
        try:
            print(line, flush=True)
        except BrokenPipeError:
            left()

    async def check_reader() -> None:  # a quiet pool prints nothing for hours: look without writing
        while not reader_gone:
            await asyncio.sleep(config.settings.reader_check_interval)
            if stdout_reader_gone():
                left()

    engine = PoolEngine(pool, config.settings)
    stream = EventStream(pool.name)
    journal = Journal(journal_path(config.settings.audit_path, pool.name))

    def emit(e: Event) -> None:
        out(json.dumps(e, sort_keys=True) if as_json else text_line(e))

    stream.sinks += [emit, journal.append]
    engine.observed.observers.append(stream.on_observed)
    engine.start()
    checker = asyncio.create_task(check_reader()) if write is None else None
    try:
        await stop.wait()
    finally:
        if checker is not None:
            checker.cancel()
        await engine.stop()  # the last observation is printed and journaled
    return not reader_gone


def watch(config: Config, pool: PoolConfig, as_json: bool) -> int:
    try:
        if not asyncio.run(run_watch(config, pool, as_json)):
            return READER_GONE
    except KeyboardInterrupt:
        pass
    sys.stdout.flush()
    return 0


def main(args: argparse.Namespace) -> int:
    """`xentui watch [--json]`: the console's engine without a screen, one line per event."""
    from xentui.cli.common import load_pool, with_overrides

    config, pool = load_pool(args)
    return watch(with_overrides(config, args), pool, args.json)
