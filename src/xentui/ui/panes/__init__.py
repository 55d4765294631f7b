"""The pane registry: every pane the pool screen offers, in footer order.

A pane plugs in without editing the pool screen: write `panes/<feature>.py`
with a `PaneSpec` (and `PANES = (THE_PANE,)`) and add its module to
`PANE_MODULES` below.  The pool screen reads this
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

    PANES = (RECOVER_PANE,)

    # here: "recover" in PANE_MODULES
"""

from __future__ import annotations

import importlib

from xentui.ui.panes.spec import PaneContext, PaneSpec, always

__all__ = ["PANES", "PaneContext", "PaneSpec", "always", "pane", "register"]

#: the pane modules, in footer order, one line each; each module's `PANES` lists what it adds
PANE_MODULES = (
    "host",
    "activity",
    "storage",     # this host's spare disks as local storage, and the pool's view of them
    "onboard",
    "recover",
    "splitbrain",
    "designate",
    "timeline",
    "ha",          # HA wedged: disarm every survivor, read back
    "stranded",    # the lost host's VMs: reset and started elsewhere once it is fenced
)

PANES: list[PaneSpec] = [
    spec for module in PANE_MODULES for spec in importlib.import_module(f"xentui.ui.panes.{module}").PANES
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
