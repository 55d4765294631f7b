"""The onboarding wizard's work: each intent that waits on a host, carried out; its outcome
returned as the wizard's next event (`actions.onboard.wizard`).

The console's pane calls these with its runner (which confirms each dangerous step, honours
dry-run and audits) and draws what they return; no Textual here. Every wait is bounded: the
reads and commands by `timeout`, the watch of the joined host by `within`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from xentui.actions.onboard.checks import gather_failures
from xentui.actions.onboard.connect import NewHostConnection, connect_to_join
from xentui.actions.onboard.gather import StepOutput, gather_host_profile
from xentui.actions.onboard.steps import OnboardSteps, bring_level
from xentui.actions.onboard.wizard import Connected, HostsRead, JoinRan, Levelled, Link, Trusted, Wizard
from xentui.core.config import HostEntry

__all__ = ["link_of", "open_connection", "read_hosts", "run_join", "run_level", "run_trust", "until_a_member"]


def link_of(conn: NewHostConnection | None) -> Link | None:
    """What the wizard sees of a connection: its name, up now, refused for its key, trustable."""
    if conn is None:
        return None
    return Link(name=conn.name, up=conn.up, needs_trust=conn.needs_trust,
                trustable=conn.known_hosts_path is not None and conn.known_hosts_host is not None)


async def open_connection(engine: Any, old: NewHostConnection | None, entry: HostEntry, *, user: str | None,
                          password: str | None) -> tuple[NewHostConnection, Connected]:
    """Close the previous connection, connect to `entry` (an unknown key is refused, not accepted)."""
    if old is not None:
        await old.close()
    conn = await connect_to_join(engine, entry, user=user, password=password)
    return conn, Connected(link_of(conn))  # type: ignore[arg-type]


async def run_trust(runner: Any, conn: NewHostConnection, *, timeout: float) -> Trusted:
    """The trust plan (the shown key written to known_hosts, then connect again) through the runner."""
    steps = OnboardSteps(conn.session, timeout=timeout)
    runner.performers.update(steps.performers())
    run = await runner.run(steps.trust_plan(conn))
    result = run.results[0]
    return Trusted(result.status.value == "ok", result.explanation or result.status.value,
                   link_of(conn))  # type: ignore[arg-type]


async def read_hosts(session: Any, master: Any, *, timeout: float) -> HostsRead:
    """Both hosts' profiles, read at once (the wizard derives xapi's pre-join checks from them)."""
    new, pool = await asyncio.gather(gather_host_profile(session, timeout), gather_host_profile(master, timeout))
    return HostsRead(new, pool)


async def run_level(runner: Any, session: Any, master: Any, w: Wizard, paths: Sequence[str], *, timeout: float,
                    on_progress: Callable[[str, int, int], None],
                    on_step: Callable[[StepOutput], None]) -> Levelled:
    """Upload and apply each missing update from its file on this jump box, then read both hosts again."""
    assert w.new is not None and w.pool is not None  # the wizard levels only what was read
    report = await bring_level(runner, session, [Path(p) for p in paths], new_profile=w.new, pool_profile=w.pool,
                               timeout=timeout, master_session=master, on_progress=on_progress, on_step=on_step)
    return Levelled(report)


async def run_join(runner: Any, session: Any, master: Any, w: Wizard, address: str, user: str, password: str,
                   audit: Any, *, timeout: float, fuse: float) -> JoinRan:
    """The pool-join plan (the password on stdin only, an audit secret) through the runner."""
    assert w.new is not None and w.pool is not None  # the wizard joins only what was read
    steps = OnboardSteps(session, timeout=timeout)
    plan = steps.join_plan(w.new, w.pool, list(w.checks), gather_failures(w.new, w.pool), address, user, password,
                           audit, master_session=master, fuse=fuse, settle_timeout=max(60.0, fuse * 6))
    runner.performers.update(steps.performers())
    run = await runner.run(plan)
    result = run.results[0]
    return JoinRan(steps.join_report, result.status.value, result.explanation, run.dry_run)


async def until_a_member(engine: Any, entry: HostEntry, *, within: float, poll: float) -> str:
    """Probe the joined host through the engine until it shows as a slave (✓ line) or `within` s pass (✗ line)."""
    at = f" at {entry.address}" if entry.address else ""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        f = await engine.probe_host(entry.name)
        if f.reachable and f.role is not None and f.role.value == "slave":
            return (f"✓ {entry.name}{at} is a row of the console: its pool.conf says {f.pool_conf_raw!r} "
                    f"(probed {time.strftime('%H:%M:%S')})")
        if loop.time() > deadline:
            return (f"✗ {entry.name} is in the console, but its probe does not show it as a slave yet: "
                    f"{f.ssh_error or f.pool_conf_raw or 'no answer'}")
        await asyncio.sleep(poll)
