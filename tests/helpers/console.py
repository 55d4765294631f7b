"""Driving the console on a live simulator: fast settings, waiting for a verdict, opening a pane, picking, F8."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from textual.widgets import OptionList, Static

from xentui.trail.audit import AuditLog
from xentui.core.config import Config, Settings, load_config
from xentui.diagnosis import Verdict
from xensim.server import Simulator
from xentui.ui.app import XentuiApp
from xentui.ui.confirm import ConfirmScreen
from xentui.ui.panes.runplan import PlanPane
from xentui.ui.screens.pool import PoolScreen
from helpers.keys import send_key, until

from .settings import CONSOLE_FAST

SimFactory = Callable[..., Awaitable[Simulator]]
XE = "/opt/xensource/bin/xe"
HOSTS = [f"plot{i}" for i in range(1, 9)]
#: xe verbs that change a host: none may reach the simulator in a dry run
SIDE_EFFECT_VERBS = (
    "pool-emergency-transition-to-master",
    "pool-recover-slaves",
    "pool-emergency-reset-master",
    "pool-designate-new-master",
    "host-forget",
    "pool-eject",
    "pool-join",
    "sr-create",
    "update-upload",
    "update-apply",
)

FAST = CONSOLE_FAST




def fast_config(sim: Simulator) -> Config:
    config = load_config(sim.dir / "pools.toml")
    return config.model_copy(update={"settings": Settings(audit_file=sim.dir / "audit.jsonl", **FAST)})


def verdict(app: XentuiApp) -> Verdict | None:
    slot = app.current_slot
    return slot.diagnosis.verdict if slot is not None and slot.diagnosis is not None else None


def pool_screen(app: XentuiApp) -> PoolScreen:
    return next(s for s in app.screen_stack if isinstance(s, PoolScreen))


def pane_available(app: XentuiApp, pane_id: str) -> bool:
    return bool(pool_screen(app).check_action("open_pane", (pane_id,)))


def addr(sim: Simulator, host: str) -> str:
    return sim.pool.host(host).address


def xe_sent(sim: Simulator, verb: str, host: str | None = None) -> int:
    """How many times the simulated hosts received `xe <verb>` (on `host`, or anywhere)."""
    return sum(
        1
        for h, argv in sim.received
        if (host is None or h == host) and len(argv) > 1 and argv[0].endswith("xe") and argv[1] == verb
    )


def shown(screen: Any, selector: str) -> str:
    """The plain text of a Static (what the admin reads)."""
    widget = screen.query_one(selector, Static)
    content = widget.render()
    return str(getattr(content, "plain", content))


def audit_log(sim: Simulator) -> list[tuple[str, str, str]]:
    path = sim.dir / "audit.jsonl"
    if not path.exists():
        return []
    return [(r.host, r.command.split(f"{XE} ")[-1], r.outcome) for r in AuditLog(path).read()]


async def open_pane(app: XentuiApp, key: str, cls: type[PlanPane], timeout: float = 10.0) -> Any:
    await until(lambda: isinstance(app.screen, PoolScreen), timeout, "the pool screen")
    send_key(app, key)
    await until(
        lambda: isinstance(app.screen, cls) and app.screen.is_mounted and app.screen.plan is not None,  # type: ignore[attr-defined]
        timeout,
        f"the {cls.__name__}",
    )
    return app.screen


async def pick(app: XentuiApp, list_id: str, name: str, done: Callable[[], bool], timeout: float = 15.0) -> None:
    """Move the highlight of a picker to `name` with ↑/↓, press Enter, until `done()`.

    Each key is waited for (the highlight moved) before the next one: a test process
    that also runs the simulator can be slow to deliver keys.
    """
    ol = app.screen.query_one(f"#{list_id}", OptionList)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not done():
        assert loop.time() < deadline, f"could not pick {name} in #{list_id}"
        ids = [ol.get_option_at_index(i).id for i in range(ol.option_count)]
        if name not in ids:
            await asyncio.sleep(0.1)
            continue
        here = ol.highlighted
        if here is not None and here < len(ids) and ids[here] == name:
            send_key(app, "enter")
            try:
                await until(done, 2, f"{name} picked")
            except AssertionError:
                pass
            continue
        send_key(app, "down" if here is None or ids.index(name) > here else "up")
        try:
            await until(lambda: ol.highlighted != here, 2, "the highlight to move")
        except AssertionError:
            pass


async def confirm_f8(app: XentuiApp, host: str, command: str, timeout: float = 15.0) -> None:
    """Wait for the ConfirmScreen naming `host` and exactly `command`; press F8."""
    await until(lambda: isinstance(app.screen, ConfirmScreen), timeout, f"the confirmation of {command} on {host}")
    screen = app.screen
    assert isinstance(screen, ConfirmScreen)
    assert (screen.request.host, screen.request.command) == (host, command)
    await asyncio.sleep(0.05)  # the modal is composed
    send_key(app, "f8")
    await until(lambda: app.screen is not screen, 5, "the confirmation to close")


async def run_done(pane: PlanPane, runs: int, timeout: float = 40.0) -> None:
    await until(lambda: pane.runs >= runs and not pane.running, timeout, f"run #{runs} to finish")
