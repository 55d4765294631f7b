"""Stranded VMs (`v`): the VMs a lost host left running in the master's database, started elsewhere.

After a promotion the new master's database still shows the lost host's VMs
running there (xcp-ng/xcp issue 500). The pane shows, truth first:

* whether the lost host is fenced (its BMC said Off, with the reading's age)
  or attested off, or why neither — then the reset is refused, the steps are
  listed but `r` does not run them;
* each VM: name, UUID, HA restart priority, and what the plan does with it
  (reset + start, or "HA's: not touched" on an HA pool);
* the steps: per VM ``xe vm-reset-powerstate uuid=… --force`` then
  ``xe vm-start uuid=…``, each read back (the runner confirms each).

The VMs are read once when the pane opens (`xe vm-list` on the master the pool
follows, through the engine's session); `R` reads them again.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from xentui.actions import Plan, RunReport
from xentui.actions.plan import StepAction
from xentui.actions.power import StrandedPlan, StrandedVM, lost_hosts, plan_stranded_vms, read_stranded, serving_master
from xentui.core.model import HostFacts
from xentui.diagnosis import Diagnosis, Verdict
from xentui.ui.panes.plan_render import key_hint
from xentui.ui.theme import BAD, MUTED, OK, WARN
from xentui.ui.panes.runplan import PlanPane
from xentui.ui.panes.spec import PaneContext, PaneSpec
from xentui.ui.render import age_text

__all__ = ["STRANDED_PANE", "StrandedScreen", "vms_text"]


def vms_text(plan: StrandedPlan, facts: dict[str, HostFacts], now: float) -> Text:
    """The lost host's power truth, then one line per VM (pure)."""
    t = Text()
    lost = plan.lost_host or "?"
    t.append(f"VMs stranded on {lost}", style="bold underline")
    t.append(f" (per {plan.master or '?'}'s database)\n", style=MUTED)
    f = facts.get(lost)
    p = f.power if f is not None else None
    t.append(" power  ", style=MUTED)
    if p is not None and p.error is None:
        t.append(f"BMC says {p.raw or p.state} {age_text(p.age(now))} ago", style=OK if p.off else BAD)
    elif p is not None:
        t.append("BMC not read", style=WARN)
    elif f is not None and f.off_attested is not None:
        t.append(f"attested off {age_text(now - f.off_attested.at)} ago (a word, not a reading)", style=WARN)
    else:
        t.append("no BMC, not attested", style=BAD)
    if plan.read_error:
        t.append(f"\n {plan.read_error}", style=BAD)
        return t
    if not plan.vms:
        t.append("\n none running there", style=MUTED)
        return t
    for v in plan.vms:
        t.append("\n ")
        t.append(f"{v.name[:12]:<12} ", style="bold")
        t.append(f"{v.uuid} ")
        t.append(f"{(v.ha_restart_priority or '-')[:11]:<11} ", style=MUTED)
        if v in plan.ha_left:
            t.append("HA's", style=WARN)
    return t


class StrandedScreen(PlanPane[StrandedPlan]):
    """The lost host's VMs: reset (only when it is fenced or attested) and started on the survivors."""

    PANE_TITLE = "Stranded VMs: start them elsewhere, never twice"
    CONFIRM_TITLES = {
        StepAction.VM_RESET_POWERSTATE: "Mark this VM halted in {host}'s database?",
        StepAction.VM_START: "Start this VM?",
    }
    CHECKS_HEADING = "Before any reset"
    CHECKED_PLAN = StrandedPlan
    BINDINGS = [Binding("R", "reread", "Re-read VMs")]

    def __init__(self, ctx: PaneContext, lost: str | None = None) -> None:
        super().__init__(ctx)
        facts, d = dict(ctx.facts), ctx.diagnosis
        lost_now = lost_hosts(facts, d)
        self.lost = lost or (ctx.host if ctx.host in lost_now else (lost_now[0] if lost_now else None))
        self.master = serving_master(facts, d)
        self.vms: list[StrandedVM] | None = None
        self.read_error: str | None = None

    async def _gather(self, master: str, lost: str) -> tuple[list[StrandedVM], str | None]:
        engine = self.ctx.engine
        if engine is None:
            return [], "no live engine (the console shows recorded facts)"
        return await read_stranded(engine, master, lost)

    def on_mount(self) -> None:
        super().on_mount()
        self.run_worker(self.reread(), exclusive=True, group="stranded")

    async def reread(self) -> None:
        if self.lost is None or self.master is None:
            return
        self.vms, self.read_error = await self._gather(self.master, self.lost)
        self.start_over()

    def action_reread(self) -> None:
        self.run_worker(self.reread(), exclusive=True, group="stranded")

    def make_plan(self, facts: dict[str, HostFacts], diagnosis: Diagnosis) -> Plan:
        lost = self.lost or "?"
        now = self.xapp.clock() if hasattr(self.xapp, "clock") else None
        if self.lost is None:
            return plan_stranded_vms(facts, diagnosis, self.master, lost, [], read_error="no host is lost", now=now)
        error = self.read_error
        if self.vms is None and error is None:
            error = f"reading the VMs on {self.master}…" if self.master else "no reachable master the pool follows"
        return plan_stranded_vms(facts, diagnosis, self.master, lost, self.vms or [], read_error=error, now=now)

    def compose_top(self) -> ComposeResult:
        yield Static(id="sv-vms")

    def update_top(self) -> None:
        plan = self.checked_plan()
        if plan is None:
            return
        now = self.xapp.clock() if hasattr(self.xapp, "clock") else 0.0
        self.query_one("#sv-vms", Static).update(vms_text(plan, dict(self.facts), now))

    def after_run(self, report: RunReport | None) -> None:
        if report is not None and report.stopped:
            self.notify(report.stopped, title="stranded VMs", severity="warning", timeout=10)

    def idle_hint(self) -> Text:
        return key_hint(("r", "resets and starts each VM (each asks: F8)"), ("R", "re-reads"))


def _available(d: Diagnosis) -> bool:
    return d.verdict is Verdict.DEGRADED and d.master is not None


STRANDED_PANE = PaneSpec(
    id="stranded", key="v", title="VMs", factory=StrandedScreen, available=_available,
    description="the VMs a lost host left running in the database: reset (only once it is fenced or attested off) and start them on the survivors",
)

#: the panes this module adds to the pool screen (ui/panes/__init__.py lists the module)
PANES = (STRANDED_PANE,)
