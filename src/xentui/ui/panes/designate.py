"""Planned maintenance: move the master role before shutting this host down (`m`).

`xe pool-designate-new-master host-uuid=<uuid>` on the current master: an
orderly handover while the master is alive.  The pane shows:

* the target (↑↓ Enter; by default the host selected in the table, or, when
  that is the master itself — the host about to be shut down — the best
  live host);
* its UUID as its OWN inventory says it (`INSTALLATION_UUID` in its
  `/etc/xensource-inventory`, `HostFacts.uuid`), never a name looked up in
  the pool database;
* the pre-check that every host is live: the handover asks every host and
  one that cannot be contacted aborts it (HOST_OFFLINE), so the hosts that
  are not live are named before anything is tried, and `r` is refused;
* if HOST_OFFLINE still comes (a host went away after the check), the plain
  words of `explain_designate_error`, with the host named.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList, Static

from xentui.actions import Plan, RunReport, Step, StepStatus
from xentui.actions.designate import DesignatePlan, plan_designate_master
from xentui.core.facts_rules import host_is_live
from xentui.diagnosis import Diagnosis, Verdict
from xentui.core.model import HostFacts
from xentui.ui.panes.plan_render import hosts_in
from xentui.ui.theme import BAD, MUTED, OK, WARN
from xentui.ui.panes.runplan import PlanPane, sync_options
from xentui.ui.panes.spec import PaneContext, PaneSpec

__all__ = ["DESIGNATE_PANE", "DesignateScreen", "default_target"]


def default_target(selected: str | None, facts: dict[str, HostFacts], diagnosis: Diagnosis) -> str | None:
    """The selected host, unless it is the master (then the fastest live other host)."""
    master = diagnosis.master.name if diagnosis.master is not None else None
    if selected is not None and selected in facts and selected != master:
        return selected
    live = [f for f in facts.values() if f.name != master and host_is_live(f)[0]]
    live.sort(key=lambda f: (f.latency_ms if f.latency_ms is not None else float("inf"), f.name))
    if live:
        return live[0].name
    others = hosts_in(n for n in facts if n != master)
    return others[0] if others else None


def _short_cause(f: HostFacts) -> str:
    """Why a host is not live, in a few words (the checks say it in full)."""
    live, why = host_is_live(f)
    if live:
        return ""
    if not f.reachable:
        return "unreachable"
    return why.removeprefix(f"{f.name}'s ").removeprefix(f"{f.name} ")


def _target_prompt(f: HostFacts, chosen: bool, master: str | None) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append("▶ " if chosen else "  ", style="bold")
    t.append(f"{f.name:<8}", style="bold")
    live = host_is_live(f)[0]
    if f.name == master:
        t.append(" master   ", style=WARN)
    elif live:
        t.append(" live     ", style=OK)
    else:
        t.append(" NOT LIVE ", style=BAD)
    t.append(f" {f.uuid or 'UUID unknown'}", style="" if f.uuid else BAD)
    cause = _short_cause(f)
    if cause:
        t.append(f"  {cause[:24]}", style=BAD)
    return t


def target_text(plan: DesignatePlan, facts: dict[str, HostFacts]) -> Text:
    """The target and where its UUID comes from."""
    t = Text()
    t.append("Move the master role ", style="bold underline")
    t.append(f"from {plan.current_master or '?'} to ", style="bold")
    t.append(plan.target or "?", style="bold reverse")
    f = facts.get(plan.target)
    t.append("\n UUID ")
    if plan.target_uuid:
        t.append(plan.target_uuid, style="bold")
        src = f.sources.get("uuid") if f is not None else None
        how = src.how if src is not None else "INSTALLATION_UUID in /etc/xensource-inventory"
        t.append(f"\n   learned from {plan.target}'s OWN file: {how}", style=OK)
        if src is not None and src.stale:
            t.append("\n   kept from an earlier probe: re-read it first", style=BAD)
        t.append("\n   not from name resolution (names can be duplicated or stale)", style=MUTED)
    else:
        t.append("unknown", style=BAD)
        t.append(f" — {plan.target}'s inventory has not been read; the UUID is never looked up by name", style=MUTED)
    return t


class DesignateScreen(PlanPane[DesignatePlan]):
    """Planned maintenance: hand the master role over while the master is alive."""

    PANE_TITLE = "Move the master role before shutting this host down"
    PICKER = "targets"
    CHECKS_HEADING = "Checked before trying (every host must answer)"
    CHECKED_PLAN = DesignatePlan
    RUN_HINT = "moves the master role to {chosen} (asks: F8)"

    def __init__(self, ctx: PaneContext) -> None:
        super().__init__(ctx)
        self.target: str | None = default_target(ctx.host, dict(ctx.facts), ctx.diagnosis)

    def make_plan(self, facts: dict[str, HostFacts], diagnosis: Diagnosis) -> Plan:
        target = self.target or default_target(self.ctx.host, facts, diagnosis) or ""
        return plan_designate_master(facts, diagnosis, target)

    # ------------------------------------------------------------------ layout
    def update_top(self) -> None:
        plan = self.checked_plan()
        if plan is None:
            return
        intro = Text()
        master = plan.current_master
        intro.append("Planned maintenance: ", style="bold")
        intro.append("move the master role before shutting this host down")
        if master:
            intro.append(f" ({master} is master now)")
        intro.append(". A master simply switched off leaves its slaves waiting: they never elect another.", style=MUTED)
        intro.append("\nNew master (↑↓, Enter picks):", style=MUTED)
        self.query_one("#targets-head", Static).update(intro)
        self._sync_options(plan.target, master)
        self.query_one("#targets-chosen", Static).update(target_text(plan, dict(self.facts)))

    def _sync_options(self, chosen: str, master: str | None) -> None:
        ol = self.query_one("#targets", OptionList)
        facts = self.facts
        items = [(n, _target_prompt(facts[n], n == chosen, master)) for n in hosts_in(facts)]
        sync_options(ol, items, chosen)

    @property
    def chosen(self) -> str | None:
        return self.target

    def pick(self, name: str) -> None:
        self.target = name
        self.start_over()

    # ------------------------------------------------------------------ wording
    def confirm_title(self, step: Step) -> str:
        return f"Move the master role to {self.target}?"

    def after_run(self, report: RunReport | None) -> None:
        if report is None:
            return
        failed = [r for r in report.results if r.status is StepStatus.FAILED]
        if failed:
            self.notify(failed[0].explanation, title="handover aborted", severity="error", timeout=10)


def _available(d: Diagnosis) -> bool:
    return d.verdict in (Verdict.HEALTHY, Verdict.DEGRADED) and d.master is not None


DESIGNATE_PANE = PaneSpec(
    id="designate", key="m", title="Handover", factory=DesignateScreen, available=_available,
    description="planned maintenance: move the master role to another host (by its own UUID) before shutting the master down",
)

#: the panes this module adds to the pool screen (ui/panes/__init__.py lists the module)
PANES = (DESIGNATE_PANE,)
