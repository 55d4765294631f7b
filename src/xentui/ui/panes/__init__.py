"""The pane registry: every pane the pool screen offers, in footer order.

A pane plugs in without editing the pool screen: write `panes/<feature>.py`
with a `PaneSpec` and add it to `PANES` below.  The pool screen reads this
list to create the key bindings, the footer entries, the help lines and the
command-palette commands; `available(diagnosis)` decides when it applies.
Deleting a feature is deleting its module(s) and its line here.

    # panes/recover.py
    from xentui.ui.panes.spec import PaneContext, PaneSpec
    from xentui.diagnosis import Verdict

    # RecoverScreen(ctx): ctx has the pool, facts, diagnosis, host, engine, confirm(),
    # and make_runner(): every change goes to the PlanRunner it builds, never to a session
    RECOVER_PANE = PaneSpec(
        id="recover", key="r", title="Recover", factory=RecoverScreen,
        available=lambda d: d.verdict in (Verdict.MASTER_LOST, Verdict.SPLIT_BRAIN),
        description="Promote the candidate and recover the slaves.",
    )

    # here:  from .recover import RECOVER_PANE ; PANES.append(...) or add it to the list.
"""

from __future__ import annotations

from xentui.ui.panes.activity import ACTIVITY_PANE
from xentui.ui.panes.host import HOST_PANE
from xentui.ui.panes.spec import PaneContext, PaneSpec, always
from xentui.ui.panes.storage import POOL_STORAGE_PANE, STORAGE_PANE
from xentui.ui.panes.onboard import ONBOARD_PANE
from xentui.ui.panes.recover import RECOVER_PANE
from xentui.ui.panes.splitbrain import SPLIT_BRAIN_PANE
from xentui.ui.panes.designate import DESIGNATE_PANE
from xentui.ui.panes.timeline import TIMELINE_PANE
from xentui.ui.panes.stranded import STRANDED_PANE

__all__ = ["PANES", "PaneContext", "PaneSpec", "always", "pane", "register"]

PANES: list[PaneSpec] = [
    HOST_PANE,
    ACTIVITY_PANE,
    STORAGE_PANE,
    POOL_STORAGE_PANE,
    ONBOARD_PANE,
    RECOVER_PANE,
    SPLIT_BRAIN_PANE,
    DESIGNATE_PANE,
    TIMELINE_PANE,
    STRANDED_PANE,
]


def register(spec: PaneSpec) -> PaneSpec:
    """Add a pane at run time (plugins, tests); refuses a duplicate id or key."""
    for other in PANES:
        if other.id == spec.id:
            raise ValueError(f"pane id {spec.id!r} is already registered")
        if spec.key is not None and other.key == spec.key:
            raise ValueError(f"key {spec.key!r} is already used by pane {other.id!r}")
    PANES.append(spec)
    return spec


def pane(pane_id: str) -> PaneSpec:
    """The registered pane with this id (KeyError if none)."""
    for spec in PANES:
        if spec.id == pane_id:
            return spec
    raise KeyError(pane_id)
