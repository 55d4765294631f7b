"""Screenshots of the demo, headless: `python -m xentui.devtools.screenshots [--out DIR] [--only NAME ...]`.

Drives `xentui demo` (the simulator in the app's own loop, real SSH on
loopback) with `App.run_test`, walks it through the field story and writes
one SVG per state and size into `screenshots/`:

    pool-healthy-80x24.svg       pool-healthy-160x48.svg
    pool-master-lost-80x24.svg   pool-master-lost-160x48.svg   (master's cable pulled)
    pool-split-brain-80x24.svg   pool-split-brain-160x48.svg   (scenario split-brain)
    host-pane-80x24.svg          host-pane-160x48.svg          (Enter on plot2)
    help-80x24.svg               help-160x48.svg               (F1)
    storage-pane-80x24.svg       storage-pane-160x48.svg       (d on plot4: its disks, sdb1 proposed)
    storage-pool-80x24.svg       storage-pool-160x48.svg       (a in it: which hosts have a spare device)
    onboard-checks-80x24.svg     onboard-checks-160x48.svg     (scenario onboarding, o, plot9: checks)
    recover-pane-80x24.svg       recover-pane-160x48.svg       (scenario master-cable-pulled, r: promote + recover)
    split-brain-pane-80x24.svg   split-brain-pane-160x48.svg   (scenario split-brain, h: heal from plot2)
    designate-pane-80x24.svg     designate-pane-160x48.svg     (scenario host-offline, m on plot5: plot7 named)

Live values (latency, ages) differ from run to run; the snapshot tests use
the constructed facts of `xentui.devtools.samples` instead.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

from xentui.diagnosis import Verdict
from xentui.ui.app import XentuiApp
from xentui.ui.screens.help import HelpScreen
from xentui.ui.screens.host import HostScreen
from xentui.ui.screens.pool import PoolScreen
from xentui.devtools.demo import DemoController

SIZES = ((80, 24), (160, 48))
NAMES = ("pool-healthy", "pool-master-lost", "pool-split-brain", "host-pane", "help")
NAMES += ("storage-pane", "storage-pool", "onboard-checks")  # issue 6: local storage, onboarding
NAMES += ("recover-pane", "split-brain-pane", "designate-pane")  # issue 5: recovery panes
NAMES += ("timeline",)  # issue 25: the journal, paged


async def _until(pilot: object, check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:g} s")
        await pilot.pause(0.2)  # type: ignore[attr-defined]


def _verdict(app: XentuiApp) -> Verdict | None:
    slot = app.current_slot
    return slot.diagnosis.verdict if slot is not None and slot.diagnosis is not None else None


def _settled(app: XentuiApp, verdict: Verdict) -> bool:
    slot = app.current_slot
    if slot is None or slot.diagnosis is None or slot.diagnosis.verdict is not verdict:
        return False
    return all(f.sources.get("xapi") is not None or not f.reachable for f in slot.source.facts.values())


async def take(out: Path, only: set[str] | None = None, log: Callable[[str], None] = print) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    demo = DemoController(scenario="healthy")
    app = XentuiApp(demo=demo)

    async def shoot(pilot: object, name: str) -> None:
        if only and name not in only:
            return
        for w, h in SIZES:
            await pilot.resize_terminal(w, h)  # type: ignore[attr-defined]
            await pilot.pause(0.6)  # type: ignore[attr-defined]
            path = out / f"{name}-{w}x{h}.svg"
            path.write_text(app.export_screenshot(title=f"xentui demo — {name}"), encoding="utf-8")
            written.append(path)
            log(f"wrote {path}")

    async def shoot_pane(pilot: object, key: str, pane: type, name: str) -> None:
        """Open a plan pane with its key, wait for its plan, shoot it, go back."""
        await pilot.press(key)  # type: ignore[attr-defined]
        await _until(pilot, lambda: isinstance(app.screen, pane) and app.screen.plan is not None, 20, f"the {name}")
        await pilot.pause(1.0)  # type: ignore[attr-defined]
        await shoot(pilot, name)
        await pilot.press("escape")  # type: ignore[attr-defined]

    try:
        async with app.run_test(size=SIZES[0]) as pilot:
            await _until(pilot, lambda: _settled(app, Verdict.HEALTHY), 60, "a healthy pool")
            await pilot.pause(2.5)  # a full poll: every cell known
            await shoot(pilot, "pool-healthy")

            await pilot.press("f1")
            await _until(pilot, lambda: isinstance(app.screen, HelpScreen), 10, "the help screen")
            await shoot(pilot, "help")
            await pilot.press("escape")

            await _until(pilot, lambda: isinstance(app.screen, PoolScreen), 10, "the pool screen")
            await pilot.press("down", "enter")
            await _until(pilot, lambda: isinstance(app.screen, HostScreen), 10, "the host pane")
            await pilot.pause(1.0)
            await shoot(pilot, "host-pane")
            await pilot.press("escape")
            await pilot.press("up")

            if not only or "pool-master-lost" in only:
                await pilot.press("c")  # pull the master's cable
                await _until(pilot, lambda: _verdict(app) is Verdict.MASTER_LOST, 60, "master lost")
                await _until(
                    pilot,
                    lambda: (d := app.current_slot.diagnosis) is not None and d.recommendation is not None  # type: ignore[union-attr]
                    and d.recommendation.action.value == "promote",
                    60,
                    "the promote recommendation",
                )
                await pilot.pause(1.0)
                await shoot(pilot, "pool-master-lost")

            if not only or "timeline" in only:
                from xentui.ui.screens.timeline import TimelineScreen

                if _verdict(app) is not Verdict.MASTER_LOST:  # (alone: a verdict change to journal first)
                    await pilot.press("c")
                    await _until(pilot, lambda: _verdict(app) is Verdict.MASTER_LOST, 60, "master lost")
                await pilot.pause(1.0)
                await pilot.press("j")
                await _until(pilot, lambda: isinstance(app.screen, TimelineScreen) and app.screen.done, 20, "the timeline")
                await pilot.press("l")  # its last page: the incident as it began
                await shoot(pilot, "timeline")
                await pilot.press("escape")
                await _until(pilot, lambda: isinstance(app.screen, PoolScreen), 10, "the pool screen")

            if not only or "pool-split-brain" in only:
                app.start_demo("split-brain")
                await _until(pilot, lambda: _settled(app, Verdict.SPLIT_BRAIN), 60, "split brain")
                await pilot.pause(2.5)
                await shoot(pilot, "pool-split-brain")

            if not only or {"storage-pane", "storage-pool"} & only:
                from xentui.ui.panes.storage import PoolStorageScreen, StorageScreen

                app.start_demo("healthy")
                await _until(pilot, lambda: _settled(app, Verdict.HEALTHY), 60, "a healthy pool again")
                await pilot.pause(2.5)
                app.screen.query_one("HostTable").select_host("plot4")  # type: ignore[attr-defined]
                await pilot.press("d")
                await _until(pilot, lambda: isinstance(app.screen, StorageScreen) and app.screen.reads > 0, 20, "plot4's disks")
                await shoot(pilot, "storage-pane")
                await pilot.press("a")
                await _until(pilot, lambda: isinstance(app.screen, PoolStorageScreen) and app.screen.reads > 0, 30, "every host's disks")
                await shoot(pilot, "storage-pool")
                await pilot.press("escape", "escape")
                await _until(pilot, lambda: isinstance(app.screen, PoolScreen), 10, "the pool screen")

            if not only or "onboard-checks" in only:
                from xentui.ui.panes.onboard import OnboardScreen

                app.start_demo("onboarding")  # (the demo's config lists plot9 too: the pool reads split brain)
                await _until(pilot, lambda: _verdict(app) is not None and app.current_slot.diagnosis.majority_master is not None, 60, "the onboarding pool")  # type: ignore[union-attr]
                await pilot.pause(2.5)
                await pilot.press("o")
                await _until(pilot, lambda: isinstance(app.screen, OnboardScreen) and app.screen.ready, 20, "the onboarding pane")
                pane = app.screen
                pane.query_one("#ob-address").value = "plot9"  # type: ignore[attr-defined]
                pane.query_one("#ob-connect").press()  # type: ignore[attr-defined]  # as the admin clicks Connect
                await _until(pilot, lambda: pane.profiles_read > 0, 30, "plot9's pre-join checks")  # type: ignore[attr-defined]
                await shoot(pilot, "onboard-checks")
                await pilot.press("escape")
                await _until(pilot, lambda: isinstance(app.screen, PoolScreen), 10, "the pool screen")

            # issue 5: the recovery panes, each in the state it applies to
            if not only or "recover-pane" in only:
                from xentui.ui.panes.recover import RecoverScreen

                app.start_demo("master-cable-pulled")
                await _until(
                    pilot,
                    lambda: (slot := app.current_slot) is not None
                    and (d := slot.diagnosis) is not None
                    and d.recommendation is not None
                    and d.recommendation.action.value == "promote",
                    60,
                    "master lost, promote recommended",
                )
                await pilot.pause(2.5)
                await shoot_pane(pilot, "r", RecoverScreen, "recover-pane")

            if not only or "split-brain-pane" in only:
                from xentui.ui.panes.splitbrain import SplitBrainScreen

                app.start_demo("split-brain")
                await _until(pilot, lambda: _settled(app, Verdict.SPLIT_BRAIN), 60, "split brain")
                await pilot.pause(2.5)
                await shoot_pane(pilot, "h", SplitBrainScreen, "split-brain-pane")

            if not only or "designate-pane" in only:
                from xentui.ui.panes.designate import DesignateScreen

                app.start_demo("host-offline")
                await _until(pilot, lambda: _settled(app, Verdict.DEGRADED), 60, "plot7 down")
                await pilot.pause(2.5)
                app.screen.query_one("HostTable").select_host("plot5")  # type: ignore[attr-defined]
                await shoot_pane(pilot, "m", DesignateScreen, "designate-pane")
    finally:
        demo.cleanup()
    return written


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m xentui.devtools.screenshots", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("screenshots"), help="directory for the SVGs (default: ./screenshots)")
    p.add_argument("--only", nargs="*", choices=NAMES, help="only these screenshots")
    args = p.parse_args(argv)
    try:
        asyncio.run(take(args.out, set(args.only) if args.only else None))
    except TimeoutError as e:
        print(f"screenshots: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
