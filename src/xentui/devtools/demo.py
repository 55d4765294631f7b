"""`xentui demo`: the simulated pool, run in the console's own event loop.

`DemoController` owns one `Simulator` at a time (in its own directory under
a temporary root), builds the console's config from the simulator's
`pools.toml` with the demo settings, applies the fault keys, and restarts
the simulator with another scenario.  The audit file of a demo lives in the
simulator's directory, never in the user's data dir.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import sys
import tempfile
from pathlib import Path
from types import FrameType

from xentui.core.config import Config, Settings, load_config
from xensim.releases import DEFAULT_RELEASE
from xensim.releases import release as sim_release
from xensim.scenarios import SCENARIOS
from xensim.server import Simulator
from xensim.state import Timing

__all__ = ["DEMO_SETTINGS", "DemoController", "demo_settings", "run_demo"]

#: connect 3 s, command 5 s, reach 2 s, poll 2 s; keepalive 2 s so a pulled cable
#: is seen as "no answer" in ~6 s instead of the production 45 s.
DEMO_SETTINGS = dict(
    connect_timeout=3.0,
    command_timeout=5.0,
    reach_timeout=2.0,
    poll_interval=2.0,
    keepalive_interval=2.0,
    reconnect_backoff_min=1.0,
    reconnect_backoff_max=4.0,
)


def demo_settings(directory: Path, fuse: float, **overrides: float) -> Settings:
    values: dict[str, object] = {**DEMO_SETTINGS, "toolstack_fuse": float(fuse), **overrides}
    # the simulator writes the pool's update files there (what an admin keeps on a jump box)
    return Settings(audit_file=directory / "audit.jsonl", update_dir=directory / "updates",  # type: ignore[arg-type]
                    **values)


class DemoController:
    """The simulator behind `xentui demo`, and its fault keys."""

    def __init__(
        self,
        hosts: int = 8,
        scenario: str = "healthy",
        fuse: float = 3.0,
        root: Path | None = None,
        timing: Timing | None = None,
        settings: dict[str, float] | None = None,
        release: str = DEFAULT_RELEASE,
    ) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
        self.release = sim_release(release).key  # ValueError for an unknown release
        self.hosts = hosts
        self.scenario = scenario
        self.fuse = fuse
        self.timing = timing
        self.overrides = dict(settings or {})
        self._owns_root = root is None
        self.root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="xentui-demo-"))
        self.sim: Simulator | None = None
        self.runs = 0
        self.scenarios: dict[str, str] = dict(SCENARIOS)

    @property
    def running(self) -> bool:
        return self.sim is not None

    @property
    def directory(self) -> Path | None:
        return self.sim.dir if self.sim is not None else None

    async def start(self, scenario: str | None = None) -> Config:
        """Start (or restart) the simulator; returns the console's config for it."""
        if scenario is not None:
            if scenario not in SCENARIOS:
                raise ValueError(f"unknown scenario {scenario!r}")
            self.scenario = scenario
        await self.stop()
        self.runs += 1
        directory = self.root / f"{self.runs:02d}-{self.scenario}"
        timing = self.timing or Timing(fuse=self.fuse)
        sim = Simulator(directory, hosts=self.hosts, scenario=self.scenario, timing=timing, release=self.release)
        await sim.start()
        self.sim = sim
        config = load_config(sim.dir / "pools.toml")
        return config.model_copy(update={"settings": demo_settings(sim.dir, self.fuse, **self.overrides)})

    async def stop(self) -> None:
        sim, self.sim = self.sim, None
        if sim is not None:
            await sim.stop()

    def cleanup(self) -> None:
        """Remove the temporary root (only when this controller created it)."""
        if self._owns_root:
            shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------------ host state
    def host_names(self) -> list[str]:
        return list(self.sim.pool.hosts) if self.sim is not None else []

    def pulled_cables(self) -> list[str]:
        if self.sim is None:
            return []
        return [n for n, h in self.sim.pool.hosts.items() if not h.cable]

    def is_powered(self, host: str) -> bool:
        return self.sim is not None and self.sim.pool.host(host).powered

    def ha_state(self) -> str:
        """"off", "armed" or "wedged": HA on the simulated pool (the demo's `a` and `w` keys)."""
        ha = self.sim.pool.ha if self.sim is not None else None
        if ha is None:
            return "off"
        return "wedged" if ha.stuck_lock else "armed"

    def is_hung(self, host: str) -> bool:
        return self.sim is not None and bool(self.sim.pool.host(host).xapi_hung)

    # ------------------------------------------------------------------ faults
    async def fault(self, fault: str, host: str) -> str:
        if self.sim is None:
            raise RuntimeError("the simulator is not running")
        return await self.sim.fault(fault, host)


#: how long a stopping demo may take to unwind after SIGTERM/SIGHUP before it exits regardless (s)
END_GRACE_S = 5.0


class _Ended(SystemExit):
    """A signal that ends the demo (SIGTERM, SIGHUP): unwinds through `finally`."""


def run_demo(
    hosts: int = 8,
    scenario: str = "healthy",
    fuse: float = 3.0,
    dry_run: bool = False,
    *,
    release: str = DEFAULT_RELEASE,
    headless: bool = False,
    read_only: bool = False,
) -> int:
    """The console on a simulated pool (real SSH on loopback), with fault keys and a scenario menu.

    The temporary directories go on every way out: a normal quit, Ctrl+C
    (KeyboardInterrupt), and SIGTERM / SIGHUP, which are turned into an
    exception here so that the `finally` runs (the default action would end
    the process on the spot and leave keys and sockets in /tmp).
    """
    from xentui.ui.app import XentuiApp

    if scenario not in SCENARIOS:
        print(f"xentui demo: unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    demo = DemoController(hosts=hosts, scenario=scenario, fuse=fuse, release=release)

    def end_on(signum: int, frame: FrameType | None) -> None:
        demo.cleanup()  # first: whatever the unwinding below meets, the keys and sockets are gone
        # The terminal is gone or we were told to stop: if the unwinding is caught somewhere
        # (a signal can land inside any frame of the console or the simulator), end anyway.
        def end_now() -> None:
            demo.cleanup()  # again: the simulator may have written its logs there since
            os._exit(128 + signum)

        deadline = threading.Timer(END_GRACE_S, end_now)
        deadline.daemon = True  # a clean unwinding ends the process at once, timer or not
        deadline.start()
        raise _Ended(128 + signum)

    previous = {sig: signal.signal(sig, end_on) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        app = XentuiApp(demo=demo, dry_run=dry_run, read_only=read_only)
        result = app.run(headless=headless)
        return int(result or 0)
    except _Ended as e:
        return int(e.code or 1)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        demo.cleanup()
