"""Master lost → promote a slave and recover the others (`r` on the pool screen).

The truth first: every precondition of `plan_promote_and_recover` with what
was seen (the master unreachable from the jump box AND from its slaves, HA
not armed, the candidate reachable with a toolstack that answers).  Then the
candidate the diagnosis proposes, and a picker of every other host with what
choosing it costs (`candidate_options`: an older database copy, a slow
path, or why it cannot be promoted at all).  Then the two steps with their
exact commands.  `r` runs them (`runplan.PlanPane`): each asks for F8 in a
`ConfirmScreen` naming the host and the command; the toolstack fuse counts
down; the report compares the UUIDs recover-slaves printed with those
expected and says who now follows whom.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.widgets import OptionList, Static

from xentui.actions import Plan, StepAction
from xentui.actions.recover import CandidateOption, PromoteAndRecoverPlan, plan_promote_and_recover
from xentui.diagnosis import Diagnosis, Verdict
from xentui.core.model import HostFacts
from xentui.ui.errors import guarded
from xentui.ui.panes.plan_render import natural_key
from xentui.ui.theme import BAD, MUTED, OK, WARN
from xentui.ui.panes.runplan import PlanPane, sync_options
from xentui.ui.panes.spec import PaneContext, PaneSpec

__all__ = ["RECOVER_PANE", "RecoverScreen"]


def _option_prompt(c: CandidateOption, chosen: bool) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append("▶ " if chosen else "  ", style="bold")
    t.append(f"{c.name:<7} ", style="bold" if c.qualifies else MUTED)  # a long name or address still ends with a space
    gen = f"gen {c.db_generation}" if c.db_generation is not None else "gen ?"
    lat = f"{c.latency_ms:.0f} ms" if c.latency_ms is not None else "— ms"
    t.append(f"{gen:<9} {lat:>7}  ", style="" if c.qualifies else MUTED)
    if not c.qualifies:
        t.append("✗ " + (c.reasons[0].split(" (")[0] if c.reasons else "does not qualify"), style=BAD)
    elif c.recommended:
        t.append("★ proposed by the diagnosis", style=OK)
    elif c.reasons:
        t.append("! " + c.reasons[0].split(":")[0].replace("generation ", "gen "), style=WARN)
    else:
        t.append("✓ qualifies", style=OK)
    return t


def tradeoff_text(c: CandidateOption | None, proposed: str | None) -> Text:
    """What promoting this host would mean, in plain words."""
    if c is None:
        return Text("")
    t = Text()
    t.append(c.name, style="bold")
    if not c.qualifies:
        t.append(" cannot be promoted: ", style=BAD)
        t.append("; ".join(c.reasons) or "it does not qualify")
        return t
    if c.recommended:
        t.append(" — proposed by the diagnosis: ", style=OK)
        t.append("the freshest copy of the pool database")
        if c.db_generation is not None:
            t.append(f" (generation {c.db_generation})")
        t.append(", then the fastest answer from the jump box.")
    else:
        t.append(f" instead of {proposed or 'the proposed host'}: ", style=WARN)
    if c.reasons:
        t.append(" " + "; ".join(c.reasons) + ".")
    elif not c.recommended:
        t.append(" no known drawback; whether every host reaches it is not measured — recover-slaves' output will tell.")
    return t


class RecoverScreen(PlanPane[PromoteAndRecoverPlan]):
    """Promote the candidate (or the host picked) and recover the slaves onto it."""

    PANE_TITLE = "Master lost — promote a slave, recover the others"
    PICKER = "candidates"
    CHECKS_FIRST = True
    CHECKED_PLAN = PromoteAndRecoverPlan
    RUN_HINT = "promote {chosen} + recover the others (F8 each)"
    UNCHOSEN = "the candidate"
    PICK_HINT = "pick"
    PICK_BUSY = "A run is in progress: the candidate cannot change now."
    PROBLEM = (Verdict.MASTER_LOST, "Recovered", "Master no longer lost")

    def __init__(self, ctx: PaneContext) -> None:
        super().__init__(ctx)
        self.candidate: str | None = None  # None: the diagnosis's candidate
        self._options: list[CandidateOption] = []

    # ------------------------------------------------------------------ the plan
    def make_plan(self, facts: dict[str, HostFacts], diagnosis: Diagnosis) -> Plan:
        return plan_promote_and_recover(facts, diagnosis, candidate=self.candidate)

    def plan_to_run(self) -> Plan:
        """Promote the host the admin saw proposed, even if a later probe proposes another.

        (Hosts with the same database generation are ranked by latency, which
        changes from one probe to the next; the confirmation names the host.)
        """
        shown = self.plan.candidate if isinstance(self.plan, PromoteAndRecoverPlan) else None
        return plan_promote_and_recover(dict(self.facts), self.diagnosis, candidate=self.candidate or shown)

    @property
    def proposed(self) -> str | None:
        """The diagnosis's candidate when the plan shown was made (after a run: the one that ran)."""
        if isinstance(self.plan, PromoteAndRecoverPlan):
            return next((c.name for c in self.plan.candidates if c.recommended), None)
        return self.diagnosis.candidate

    @property
    def chosen(self) -> str | None:
        plan = self.checked_plan()
        if plan is not None:
            return plan.candidate
        return self.candidate or self.diagnosis.candidate

    # ------------------------------------------------------------------ layout
    def update_top(self) -> None:
        plan = self.checked_plan()
        head = self.query_one("#candidates-head", Static)
        if plan is None:
            head.update("")
            return
        proposed = self.proposed
        t = Text()
        t.append("Promote ", style="bold underline")
        t.append(plan.candidate or "nobody", style="bold reverse")
        if plan.candidate and plan.candidate == proposed:
            t.append("  (proposed by the diagnosis)", style=OK)
        elif plan.candidate:
            t.append(f"  (picked instead of {proposed or 'no proposed host'})", style=WARN)
        if plan.old_master:
            t.append(f"   old master: {plan.old_master}", style=MUTED)
        t.append("\n↑↓ look at the others, Enter picks one:", style=MUTED)
        head.update(t)
        # a stable order for the picker: the proposed host, the others by database generation then name
        # (candidate_options ranks ties by latency, which changes on every probe)
        self._options = sorted(
            plan.candidates,
            key=lambda c: (not c.qualifies, not c.recommended, -(c.db_generation or -1), natural_key(c.name)),
        )
        self._sync_options(plan.candidate)
        self._show_tradeoff()

    def _sync_options(self, chosen: str | None) -> None:
        ol = self.query_one("#candidates", OptionList)
        sync_options(ol, [(c.name, _option_prompt(c, c.name == chosen)) for c in self._options], chosen)

    def _highlighted(self) -> CandidateOption | None:
        ol = self.query_one("#candidates", OptionList)
        if ol.highlighted is None or not self._options:
            return None
        idx = ol.highlighted
        return self._options[idx] if idx < len(self._options) else None

    def _show_tradeoff(self) -> None:
        self.query_one("#candidates-chosen", Static).update(tradeoff_text(self._highlighted(), self.proposed))

    @on(OptionList.OptionHighlighted, "#candidates")
    @guarded("showing the candidate")
    def _option_highlighted(self) -> None:
        self._show_tradeoff()

    def pick(self, name: str) -> None:
        self.candidate = name
        self.start_over()
        self.notify(f"candidate: {name}", timeout=2)

    # ------------------------------------------------------------------ wording
    CONFIRM_TITLES = {
        StepAction.PROMOTE: "Promote {host} to master?",
        StepAction.RECOVER_SLAVES: "Point every other host at {host}?",
    }


RECOVER_PANE = PaneSpec(
    id="recover", key="r", title="Recover", factory=RecoverScreen,
    available=lambda d: d.verdict is Verdict.MASTER_LOST,
    description="master lost: promote a slave (the freshest database first) and recover the others onto it",
)

#: the panes this module adds to the pool screen (ui/panes/__init__.py lists the module)
PANES = (RECOVER_PANE,)
