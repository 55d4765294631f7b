"""Driving the onboarding pane on the live console (scenario `onboarding`: plot9 to join)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from xentui.core.config import Config, Settings, load_config
from xentui.diagnosis import Verdict
from xensim.server import Simulator
from xentui.ui.app import XentuiApp
from xentui.ui.confirm import ConfirmScreen
from xentui.ui.panes.onboard import OnboardScreen

from .keys import key_takes_effect, send_key, until

SimFactory = Callable[..., Awaitable[Simulator]]
PASSWORD = "xenroot"
SHORT = dict(connect_timeout=2.0, command_timeout=3.0, reach_timeout=1.0, poll_interval=0.5, toolstack_fuse=0.3)


def onboarding_config(sim: Simulator) -> Config:
    """The simulator's config without plot9 (the host to onboard), with the short settings."""
    config = load_config(sim.dir / "pools.toml")
    eight = [h for h in config.pools[0].hosts if h.name != "plot9"]
    config = config.upsert_pool("sim", eight)
    return config.model_copy(update={"settings": Settings(audit_file=sim.dir / "audit.jsonl", **SHORT)})


def pool_ready(app: XentuiApp) -> bool:
    slot = app.current_slot
    return (slot is not None and slot.diagnosis is not None and slot.diagnosis.verdict is Verdict.HEALTHY
            and len(slot.source.facts) == 8)


async def type_into(app: XentuiApp, pane: OnboardScreen, widget_id: str, text: str) -> None:
    """Focus an Input and type into it key by key, as the admin would."""
    inp = pane.query_one(f"#{widget_id}")
    inp.focus()
    await until(lambda: pane.focused is inp, 2, f"focus on {widget_id}")
    for ch in text:
        before = inp.value
        await key_takes_effect(app, ch, lambda before=before: inp.value != before)


async def confirm_with(app: XentuiApp, key: str = "f8") -> ConfirmScreen:
    await until(lambda: isinstance(app.screen, ConfirmScreen), 10, "a confirmation")
    confirm = app.screen
    assert isinstance(confirm, ConfirmScreen)
    send_key(app, key)
    await until(lambda: app.screen is not confirm, 5, "the confirmation to close")
    return confirm


async def open_and_connect(app: XentuiApp) -> OnboardScreen:
    await until(lambda: pool_ready(app), 20, "a healthy pool of 8")
    await key_takes_effect(app, "o", lambda: isinstance(app.screen, OnboardScreen))
    pane = app.screen
    assert isinstance(pane, OnboardScreen)
    await until(lambda: pane.ready, 5, "the onboarding pane shown")
    await type_into(app, pane, "ob-address", "plot9")
    await type_into(app, pane, "ob-ssh-password", PASSWORD)  # the sim's sshd takes keys first; typed anyway
    return pane
