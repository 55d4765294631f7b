"""HA wedged → disarm every survivor, read back, then promote and recover (`r` while ha-wedged).

Truth first: the checks of `plan_ha_disable`, then each survivor's liveset as its own HA daemon
reports it (who it sees live, who holds the master lock), then the steps: `xe
host-emergency-ha-disable --force` on each armed survivor, every one confirmed (F8) and read back
from its local.db (`ha.armed=false`).  The promote and recover come next, from the recover pane
(`r` again once the diagnosis is master-lost); the notes say so, and how to re-enable HA.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from xentui.actions import Plan, StepAction
from xentui.actions.ha import plan_ha_disable
from xentui.core.model import HostFacts
from xentui.diagnosis import Diagnosis, Verdict
from xentui.ui.theme import BAD, MUTED, OK
from xentui.ui.panes.runplan import PlanPane
from xentui.ui.panes.spec import PaneSpec

__all__ = ["HA_PANE", "HaScreen", "liveset_text"]


def liveset_text(diagnosis: Diagnosis) -> Text:
    """Each host's liveset as its own HA daemon reports it."""
    t = Text()
    t.append("The liveset, as each host's HA daemon sees it", style="bold underline")
    ha = diagnosis.ha
    if ha is None or not ha.liveset:
        t.append("\n  no liveset read", style=MUTED)
        return t
    for observer, view in sorted(ha.liveset.items()):
        t.append(f"\n  {observer}: ", style="bold")
        for i, (host, state) in enumerate(sorted(view.items())):
            if i:
                t.append(", ")
            style = OK if state.startswith("live") else BAD
            t.append(f"{host} {state}", style=style)
    for line in ha.broken:
        t.append(f"\n  ✗ {line}", style=BAD)
    return t


class HaScreen(PlanPane):
    """Disarm HA on every surviving host, each read back."""

    PANE_TITLE = "HA wedged — disarm every survivor, then promote and recover"
    PROBLEM = (Verdict.HA_WEDGED, "HA no longer wedged", "HA is not wedged now")
    CONFIRM_TITLES = {StepAction.HA_DISABLE: "Disarm HA on {host}?"}
    RUN_HINT = "disarms every survivor (each asks: F8)"
    CHECKS_FIRST = True

    def make_plan(self, facts: dict[str, HostFacts], diagnosis: Diagnosis) -> Plan:
        return plan_ha_disable(facts, diagnosis)

    def compose_top(self) -> ComposeResult:
        yield Static(id="ha-liveset")

    def update_top(self) -> None:
        self.query_one("#ha-liveset", Static).update(liveset_text(self.diagnosis))


HA_PANE = PaneSpec(
    id="ha", key="r", title="Disarm HA", factory=HaScreen,
    available=lambda d: d.verdict is Verdict.HA_WEDGED,
    description="HA wedged: host-emergency-ha-disable --force on every survivor, read back; then promote",
)

#: the panes this module adds to the pool screen (ui/panes/__init__.py lists the module)
PANES = (HA_PANE,)
