"""Helpers for tests of the console (and of panes) that run next to a live simulator.

`Pilot.press` waits for the whole process to go idle after every key; a test
process that also runs 8 simulated sshds and their probes is never idle, so
each press can take up to 2 s.  `send_key` delivers the key the way the
terminal driver does, and `key_takes_effect` measures how long the console
took to react — which is what a responsiveness test wants anyway.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen

from xentui.devtools.samples import sample_app

__all__ = ["key_takes_effect", "sample_pane", "send_key", "until"]

S = TypeVar("S", bound=Screen[object])


def send_key(app: App[object], key: str) -> None:
    """Deliver one key press as the terminal driver would (`"down"`, `"f5"`, `"x"`)."""
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    if app._driver is None:
        raise RuntimeError("the app is not running")
    app._driver.send_message(event)


async def until(check: Callable[[], bool], timeout: float, what: str, step: float = 0.05) -> float:
    """Wait until `check()`; AssertionError after `timeout` s. Returns the time waited."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"no {what} within {timeout:g} s")
        await asyncio.sleep(step)
    return time.monotonic() - started


async def key_takes_effect(app: App[object], key: str, effect: Callable[[], bool], within: float = 5.0) -> float:
    """Press `key`; fail unless `effect()` holds within `within` s. Returns the latency."""
    send_key(app, key)
    return await until(effect, within, f"effect of key {key!r}", step=0.005)


@asynccontextmanager
async def sample_pane(
    state: str, key: str, screen: type[S], size: tuple[int, int] = (80, 24)
) -> AsyncIterator[tuple[App[object], Pilot[object], S]]:
    """The console on recorded facts (`sample_app(state)`), with the pane `key` opens shown.

    Yields (app, pilot, pane); nothing runs against a host.
    """
    app = sample_app(state)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press(key)
        await until(lambda: isinstance(app.screen, screen), 5, f"the {screen.__name__}")
        pane = app.screen
        assert isinstance(pane, screen)
        await pilot.pause(0.2)
        yield app, pilot, pane
