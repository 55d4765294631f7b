"""What every probing command shares: the config loaded with the command line's overrides, one bounded probe, the lease."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xentui.core.config import Config, PoolConfig
    from xentui.engine.deadline import BoundedProbe


TEARDOWN = 0.3  # of a --deadline, kept for closing the sessions and printing (s)


def load_pool(args: argparse.Namespace) -> tuple[Config, PoolConfig]:
    from xentui.core.config import ConfigError, find_config, load_config

    path = find_config(args.config)
    config = load_config(path)
    if not config.pools:
        raise ConfigError(f"{path}: no [[pool]] defined (try `xentui discover HOST`)")
    return config, config.pool(args.pool)


def with_overrides(config: Config, args: argparse.Namespace) -> Config:
    updates = {
        k: getattr(args, k)
        for k in ("connect_timeout", "command_timeout", "reach_timeout")
        if getattr(args, k, None) is not None
    }
    if not updates:
        return config
    return config.model_copy(update={"settings": config.settings.model_copy(update=updates)})


async def probe(
    config: Config, pool: PoolConfig, early: bool, end_at: float | None = None, ask: bool = True,
    lease_out: list[Any] | None = None, then: Any = None,
) -> BoundedProbe:
    """One probe; with `end_at` (monotonic), it ends then at the latest, or at the verdict's speed (engine/deadline.py).

    With `ask` and a terminal, a pool whose hosts refused every key and for which
    no password is held is asked for one once, without echo, and probed again.
    """
    from xentui.diagnosis import Diagnosis, Verdict
    from xentui.engine.deadline import probe_within
    from xentui.engine.pool import PoolEngine
    from xentui.engine.secrets import ask_on_terminal, fetch_password, hold_password

    engine = PoolEngine(pool, config.settings, password=await fetch_password(pool, config.settings))
    started = time.monotonic()
    shown: set[str] = set()

    def on_diagnosis(d: Diagnosis) -> None:
        if d.verdict in (Verdict.MASTER_LOST, Verdict.SPLIT_BRAIN) and d.verdict.value not in shown:
            shown.add(d.verdict.value)
            print(f"[{time.monotonic() - started:4.1f} s] {d.verdict.value.upper()}: {d.summary}", flush=True)

    try:
        deadline = None if end_at is None else max(0.5, end_at - time.monotonic())  # imports took their share
        r = await probe_within(engine, deadline, on_diagnosis if early else None)
        prompt = ask_on_terminal(pool.name) if ask else None
        if prompt is not None and engine.needs_password:
            password = await prompt()
            if password:
                hold_password(pool.name, password)
                engine.use_password(password)
                deadline = None if end_at is None else max(0.5, end_at - time.monotonic())
                r = await probe_within(engine, deadline, on_diagnosis if early else None)
        if engine.power.hosts:  # the BMC reads started beside SSH: waited for within the deadline, then shown
            import asyncio

            left = None if end_at is None else max(0.05, end_at - time.monotonic())
            try:
                await asyncio.wait_for(engine.read_power(), left)
            except (asyncio.TimeoutError, TimeoutError):
                pass
            r.facts = [f.model_copy(update={"power": engine.facts[f.name].power,
                                            "off_attested": engine.facts[f.name].off_attested})
                       if f.name in engine.facts else f for f in r.facts]
        if lease_out is not None:  # who holds the pool's lease, read on every host that answered
            lease_out.append(await read_lease(engine, end_at))
        if then is not None:  # more reads through the same sessions (`plan`: the stranded VMs), before they close
            await then(engine, r)
        return r
    finally:
        await engine.stop()


async def read_lease(engine: Any, end_at: float | None) -> Any:
    """The pool's lease as every reachable host says (None when the deadline left no time to ask)."""
    import asyncio

    from xentui.actions.lease import read_pool_lease

    left = None if end_at is None else end_at - time.monotonic()
    if left is not None and left <= 0.05:
        return None
    try:
        return await asyncio.wait_for(read_pool_lease(engine), left)
    except (asyncio.TimeoutError, TimeoutError):
        return None


def deadline(args: argparse.Namespace) -> float | None:
    """When the probe must end (monotonic): `--deadline` bounds the whole command, start-up and output too."""
    deadline = None if getattr(args, "complete", False) else getattr(args, "deadline", None)
    return None if deadline is None else getattr(args, "started", time.monotonic()) + deadline - TEARDOWN
