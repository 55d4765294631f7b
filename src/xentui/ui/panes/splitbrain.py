"""Split brain → heal from the master the pool follows (`h` on the pool screen).

Both masters first: which one the majority follows, by how many hosts, and
the generation of each one's database copy.  `pool-recover-slaves` is offered
only on the majority master.  Picking the other master (↑↓ Enter) shows the
refusal and its reason, and `r` on it is refused (written to the audit file
as ``refused``); an override exists only behind `o`, a `ConfirmScreen` where
the admin types that host's name — `check_recover_slaves_target` writes it
to the audit file with outcome ``override`` before anything runs.

After the run the pane checks that the old master follows the new one (a
fresh probe of every host).  If recover-slaves could not reach the old master
(still partitioned from the new one, yet reachable from the jump box), the
report offers `pool-emergency-reset-master` on the old master itself:
`f` runs it, after the same confirmation.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static

from xentui.actions import Plan, RunReport, StepAction
from xentui.actions.splitbrain import HealSplitBrainPlan, MasterInfo, check_recover_slaves_target, plan_heal_split_brain
from xentui.diagnosis import Diagnosis, Verdict, hosts_following
from xentui.core.model import HostFacts
from xentui.xe import commands as xc
from xentui.ui.errors import guarded
from xentui.ui.theme import BAD, MUTED, OK, WARN
from xentui.ui.panes.runplan import PlanPane, sync_options
from xentui.ui.panes.spec import PaneContext, PaneSpec

__all__ = ["SPLIT_BRAIN_PANE", "SplitBrainScreen"]


def _master_prompt(m: MasterInfo, chosen: bool, allowed: bool, hosts: int) -> Text:
    """One master of the picker; its count is the header's (`7 of 8 follow`: the master counts itself)."""
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append("▶ " if chosen else "  ", style="bold")
    t.append(f"{m.name:<7} ", style="bold")  # a long name or address still ends with a space
    t.append(" majority " if m.majority else " minority ", style=OK if m.majority else BAD)
    t.append(f"{hosts_following(m.name, m.followers)} of {hosts} follow · ")
    t.append(f"gen {m.db_generation if m.db_generation is not None else '?':<6}")
    if m.reachable is False:
        t.append(" unreachable", style=BAD)
    t.append("  ✓ recover-slaves here" if allowed else "  ✗ refused here", style=OK if allowed else BAD)
    return t


def masters_text(plan: HealSplitBrainPlan, hosts: int, now: bool = True) -> Text:
    """Both masters, the majority first: followers and database generations.

    `now`: the current diagnosis still shows the split brain; otherwise the masters are
    what the plan was made from, and the heading says so (the pane's headline says what is now).
    """
    t = Text()
    t.append("Two hosts hold master" if now else "Before: two hosts held master", style="bold underline")
    maj = next((m for m in plan.masters if m.majority), None)
    for m in plan.masters:
        t.append("\n ")
        t.append(m.name, style="bold reverse")
        # counted as the header counts (`7 of 8 hosts follow plot8`): the master follows itself
        follow = f" ({hosts_following(m.name, m.followers)} of {hosts} hosts)"
        if m.majority:
            t.append(" the pool follows it" + follow, style=OK)
        else:
            t.append(" followed by nobody else" if not m.followers else " followed by a minority" + follow, style=BAD)
        gen = m.db_generation
        t.append(f" · database generation {gen if gen is not None else 'unknown'}")
        if maj is not None and not m.majority and gen is not None and maj.db_generation is not None:
            if gen > maj.db_generation:
                t.append(f" (higher than {maj.name}'s: it may hold changes made during the split)", style=WARN)
        if m.followers:
            t.append(f"\n   ← {' '.join(m.followers)}", style=MUTED)
        if m.reachable is False:
            t.append("\n   unreachable from the jump box", style=BAD)
    return t


class SplitBrainScreen(PlanPane[HealSplitBrainPlan]):
    """Heal a split brain: recover-slaves on the majority master only."""

    PANE_TITLE = "Split brain — heal from the master the pool follows"
    PICKER = "masters"
    RUN_HINT = "runs recover-slaves on {chosen} (asks: F8)"
    UNCHOSEN = "the majority master"
    PROBLEM = (Verdict.SPLIT_BRAIN, "Healed", "No split brain now")

    BINDINGS = [
        Binding("o", "override", "Override"),
    ]

    def __init__(self, ctx: PaneContext) -> None:
        super().__init__(ctx)
        self.target: str | None = None  # None: the majority master
        self.heal_plan: HealSplitBrainPlan | None = None
        self._masters: list[MasterInfo] = []
        self.overrides = 0

    # ------------------------------------------------------------------ the plan
    def make_plan(self, facts: dict[str, HostFacts], diagnosis: Diagnosis) -> Plan:
        return plan_heal_split_brain(facts, diagnosis, target=self.target)

    @property
    def chosen(self) -> str | None:
        plan = self.plan if isinstance(self.plan, HealSplitBrainPlan) else self.heal_plan
        if plan is not None:
            return plan.target
        return self.target

    def _allowed(self, host: str) -> tuple[bool, str]:
        tc = check_recover_slaves_target(host, self.diagnosis)
        return tc.ok, tc.reason

    # ------------------------------------------------------------------ layout
    def compose_top(self) -> ComposeResult:
        yield Static(id="sb-masters")

    def update_top(self) -> None:
        self.query_one("#masters-head", Static).update(Text("Run pool-recover-slaves on: (↑↓, Enter picks)", style=MUTED))
        if isinstance(self.plan, HealSplitBrainPlan):
            self.heal_plan = self.plan
        plan = self.heal_plan  # (while a follow-up runs, the heal it follows)
        if plan is None:
            return
        self.query_one("#sb-masters", Static).update(masters_text(plan, len(self.ctx.source.facts), now=self.resolved() is None))
        self._masters = list(plan.masters)
        self._sync_options(plan.target)
        self.query_one("#masters-chosen", Static).update(self._target_text(plan))

    def checked_plan(self) -> Plan | None:
        return self.heal_plan  # (while a follow-up runs, the heal it follows)

    def _target_text(self, plan: HealSplitBrainPlan) -> Text:
        t = Text()
        host = plan.target
        if host is None:
            return Text("No master the pool follows is known: nothing to heal from.", style=BAD)
        ok, reason = self._allowed(host)
        if ok:
            t.append("✓ ", style=OK)
            t.append(f"recover-slaves on {host}: ", style="bold")
            t.append(reason)
        else:
            t.append("✗ ", style=BAD)
            t.append(f"recover-slaves on {host} is refused: ", style="bold")
            t.append(reason)
            if host in self.diagnosis.masters:
                t.append("\n  o", style="bold")
                t.append(f" overrides — only after typing {host} (written to the audit file)", style=MUTED)
        if self.after is not None and self.report is not None and not self.report.dry_run:
            t.append("\n")
            t.append_text(self._old_masters_text(plan, self.after))
        return t

    def _old_masters_text(self, plan: HealSplitBrainPlan, after: Diagnosis) -> Text:
        t = Text()
        new = plan.target
        for m in plan.masters:
            if m.name == new:
                continue
            hv = after.hosts.get(m.name)
            follows = hv.follows if hv is not None else None
            if follows == new:
                t.append(f"✓ {m.name} (the old master) now follows {new}", style=OK)
            else:
                t.append(f"✗ {m.name} (the old master) does not follow {new} yet", style=BAD)
                t.append(f" (it follows {follows or 'nobody known'})")
                if self.report is not None and self.report.offers:
                    t.append(" — f runs the reset-master offered below", style=WARN)
        return t

    def _sync_options(self, chosen: str | None) -> None:
        ol = self.query_one("#masters", OptionList)
        hosts = len(self.ctx.source.facts)
        items = [(m.name, _master_prompt(m, m.name == chosen, self._allowed(m.name)[0], hosts)) for m in self._masters]
        sync_options(ol, items, chosen)

    def pick(self, name: str) -> None:
        self.target = name
        self.start_over()
        ok, reason = self._allowed(name)
        if not ok:
            self.notify(f"recover-slaves on {name} is refused: {reason}", severity="warning", timeout=6)

    # ------------------------------------------------------------------ override
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "override":
            host = self.chosen
            if self.running or host is None or host not in self.diagnosis.masters:
                return False
            return not self._allowed(host)[0]
        return super().check_action(action, parameters)

    def action_override(self) -> None:
        host = self.chosen
        if not self.may_start("the override (recover-slaves against the diagnosis)") or host is None:
            return
        ok, reason = self._allowed(host)
        if ok:
            self.notify(f"recover-slaves on {host} is allowed: no override needed.", timeout=3)
            return
        if host not in self.diagnosis.masters:
            self.notify(reason, severity="error")
            return

        def typed(confirmed: bool) -> None:
            if confirmed:
                self._run_override(host)
            else:
                self.notify("Override cancelled: nothing was run.", timeout=3)

        self.ctx.confirm(
            host,
            xc.pool_recover_slaves(),
            typed,
            typed=True,
            title=f"OVERRIDE: recover-slaves on {host}, against the diagnosis?",
            explanation=f"Refused because: {reason} Type {host} to override; the override is written to the audit file.",
        )

    @guarded("running the override")
    def _run_override(self, host: str) -> None:
        plan = plan_heal_split_brain(
            dict(self.facts), self.diagnosis, target=host, override_confirmed_name=host
        )
        self.overrides += 1
        step = plan.steps[0] if plan.steps else None
        self.start(plan, preconfirmed=step if step is not None and step.override else None)

    # ------------------------------------------------------------------ wording
    CONFIRM_TITLES = {
        StepAction.RECOVER_SLAVES: "Heal the split brain from {host}?",
        StepAction.RESET_MASTER: "Point {host} at the master the pool follows?",
    }

    def after_run(self, report: RunReport | None) -> None:
        self.update_top()


SPLIT_BRAIN_PANE = PaneSpec(
    id="split-brain", key="h", title="Heal", factory=SplitBrainScreen,
    available=lambda d: d.verdict is Verdict.SPLIT_BRAIN,
    description="split brain: recover-slaves on the master the pool follows (never on the old one)",
)

#: the panes this module adds to the pool screen (ui/panes/__init__.py lists the module)
PANES = (SPLIT_BRAIN_PANE,)
