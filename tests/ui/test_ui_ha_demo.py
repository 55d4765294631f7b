"""The demo's HA keys (issue 27): `a` enables HA on the simulated pool, `c` pulls the master's cable and the
console shows HA ELECTING, then HA RECOVERED with nothing done; `w` wedges it and the console shows HA WEDGED
with the Disarm pane offered.  HA's clock is shortened (helpers.settings.HA_FAST)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from textual.pilot import Pilot

from helpers.keys import key_takes_effect
from helpers.settings import CONSOLE_FAST, HA_FAST, SIM_TIMING
from xentui.devtools.demo import DemoController
from xentui.diagnosis import Verdict
from xentui.ui.app import XentuiApp
from xensim.state import Timing

TIMING = Timing(**{**SIM_TIMING, **HA_FAST, "ha_timeout": 2.0})
SETTINGS = dict(CONSOLE_FAST, ha_election_margin=3.0)


async def _until(pilot: Pilot[Any], check: Callable[[], bool], timeout: float, what: str) -> None:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, f"no {what} within {timeout:g} s"
        await pilot.pause(0.1)


def _verdict(app: XentuiApp) -> Verdict | None:
    slot = app.current_slot
    return slot.diagnosis.verdict if slot is not None and slot.diagnosis is not None else None


async def test_demo_ha_keys_elect_then_recover(tmp_path: Path) -> None:
    demo = DemoController(scenario="healthy", hosts=4, root=tmp_path, timing=TIMING, settings=SETTINGS)
    app = XentuiApp(demo=demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await _until(pilot, lambda: _verdict(app) is Verdict.HEALTHY, 20, "a healthy simulated pool")
        await key_takes_effect(app, "a", lambda: demo.ha_state() == "armed", 5)
        await key_takes_effect(app, "c", lambda: demo.pulled_cables() == ["plot1"], 5)
        seen: list[Verdict | None] = []

        def recovered() -> bool:
            seen.append(_verdict(app))
            return _verdict(app) is Verdict.HA_RECOVERED

        await _until(pilot, recovered, 40, "HA recovered")
        assert Verdict.HA_ELECTING in seen
        assert Verdict.MASTER_LOST not in seen  # never offered as a plain master-lost (promote) once armed


async def test_demo_ha_wedge_key(tmp_path: Path) -> None:
    demo = DemoController(scenario="healthy", hosts=4, root=tmp_path, timing=TIMING, settings=SETTINGS)
    app = XentuiApp(demo=demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await _until(pilot, lambda: _verdict(app) is Verdict.HEALTHY, 20, "a healthy simulated pool")
        await key_takes_effect(app, "a", lambda: demo.ha_state() == "armed", 5)
        await key_takes_effect(app, "w", lambda: demo.ha_state() == "wedged", 5)
        await key_takes_effect(app, "c", lambda: demo.pulled_cables() == ["plot1"], 5)
        await _until(pilot, lambda: _verdict(app) is Verdict.HA_WEDGED, 40, "HA wedged")
        screen = app.screen
        assert screen.active_bindings["r"].binding.description == "Disarm HA"
