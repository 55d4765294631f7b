"""Shared by the recovery panes: show a plan, run it through `PlanRunner`, show the report.

`PlanPane` is the base screen of the plan panes (`recover.py`, `splitbrain.py`,
`designate.py`, `ha.py`, `stranded.py`).  A pane subclass says how to make its
plan from the current facts and diagnosis (`make_plan`) and composes its own top
part (the truth first); the base class places the plan's checks
(`CHECKS_HEADING`, `CHECKS_FIRST`) and the pane's picker (`PICKER`, with a line
above it and what the choice means below it), writes the idle line (`RUN_HINT`)
and does the rest:

* re-plans whenever new facts arrive (until a run starts: then the plan shown
  is the plan that ran), so a refused plan turns runnable by itself once the
  cause is gone;
* `r` runs it.  A blocked plan is not run: the refusal is shown with its
  reason and written to the audit file (outcome ``refused``).  Otherwise a
  `PlanRunner` runs it in a worker; every dangerous step asks the admin
  through `ConfirmScreen` (host + exact command; typed host name for an
  override); the progress line shows the toolstack fuse counting down;
* Esc while running asks the runner to stop between steps (a command already
  sent is never interrupted); Esc otherwise goes back;
* the console's ``--dry-run`` (`PaneContext.dry_run`) runs nothing: the
  runner reports the commands, a DRY RUN marker says so;
* at the end: the `RunReport` (every step's status and check, the
  recover-slaves comparison, what is offered next) and who now follows whom,
  from a fresh probe of every host.

The pure rendering helpers (`checks_text`, `steps_text`, `guards_text`,
`report_text`, `follows_text`, `progress_text`) live in `plan_render`: they
return Rich `Text` and are tested without an app.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Sequence
from typing import Any, Generic, TypeVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from xentui.actions import Plan, PlanRunner, Progress, RunReport, Step
from xentui.actions.lease import LeaseRecord
from xentui.actions.plan import StepAction
from xentui.diagnosis import Diagnosis, Verdict
from xentui.core.model import HostFacts
from xentui.ui.errors import guarded
from xentui.ui.footer import refresh_footer
from xentui.ui.render import VERDICT_LABEL, VERDICT_STYLE
from xentui.ui.panes.plan_render import (
    checks_text,
    follows_text,
    guards_text,
    key_hint,
    progress_text,
    report_text,
    resolved_text,
    steps_text,
)
from xentui.ui.panes.spec import PaneContext, PaneScreen
from xentui.ui.theme import BAD, DRY, MUTED, OK, WARN

__all__ = ["PlanPane", "sync_options"]

# --------------------------------------------------------------------------- the base screen

#: the kind of plan a pane makes (`PlanPane[DesignatePlan]`)
PlanT = TypeVar("PlanT", bound=Plan)


#: the plan's commands listed above the footer, every one readable before F8 (more: the steps below)
NEXT_STEPS_SHOWN = 4


class PlanPane(PaneScreen, Generic[PlanT]):
    """A plan shown truth-first, run step by step with confirmations, then its report."""

    DEFAULT_CSS = """
    PlanPane { layout: vertical; }
    PlanPane #pane-mode { height: 1; padding: 0 1; background: $boost; }
    PlanPane #pane-body { height: 1fr; scrollbar-size-vertical: 1; }
    PlanPane .pane-col { height: auto; padding: 0 1; }
    PlanPane .pane-col > Static { margin: 0 0 1 0; }
    PlanPane .pane-col > Static.-tight { margin: 0; }
    PlanPane .pane-col > OptionList {
        height: auto; max-height: 10; margin: 0 0 1 0; padding: 0;
        border: none; border-left: outer $primary 40%; background: $boost;
    }
    PlanPane .pane-col > OptionList:focus { border: none; border-left: outer $accent; }
    PlanPane.-wide #pane-body { layout: horizontal; overflow-y: hidden; }
    PlanPane.-wide .pane-col { width: 1fr; height: 1fr; overflow-y: auto; scrollbar-size-vertical: 1; }
    PlanPane.-wide #pane-right { border-left: vkey $primary 40%; }
    PlanPane #pane-next { height: auto; max-height: 8; padding: 0 1; background: $panel; }
    PlanPane #pane-status { height: auto; max-height: 4; padding: 0 1; background: $panel; }
    PlanPane #pane-status.-dry { background: $warning 30%; }
    PlanPane #pane-status.-bad { background: $error 25%; }
    """

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    #: shown in the title bar; subclasses override
    PANE_TITLE = "Plan"
    #: the id of the pane's picker (an OptionList), focused when the pane opens; PlanPane places it below
    #: the pane's own part, between `#<PICKER>-head` (a line above it) and `#<PICKER>-chosen` (what the
    #: choice means), which the pane fills in `update_top`
    PICKER: str | None = None
    #: said when the admin picks while a run is in progress (nothing changes)
    PICK_BUSY = "A run is in progress."
    #: the verdict this pane exists for; when the current diagnosis no longer shows it, the
    #: pane's headline says so (`resolved_text`): (verdict, "Healed", "No split brain now")
    PROBLEM: tuple[Verdict, str, str] | None = None
    #: the confirmation's title for a kind of step, `{host}` its host (other kinds: "Run this on <host>?")
    CONFIRM_TITLES: dict[StepAction, str] = {}
    #: the idle line (`idle_hint`): what `r` does, `{chosen}` what the picker chose (`chosen`, else
    #: UNCHOSEN); and with a picker, what Enter does
    RUN_HINT = "runs the plan (every dangerous step asks first: F8)"
    UNCHOSEN = "?"
    PICK_HINT = "picks"
    #: the plan's checks (`#pane-checks`): their heading, whether they stand above the pane's own part
    #: (`compose_top`) or below it, and the kind of plan they are shown for (not a follow-up's)
    CHECKS_HEADING = "Checked before anything runs"
    CHECKS_FIRST = False
    CHECKED_PLAN: type[Plan] = Plan  # PlanT's class

    BINDINGS = [
        Binding("escape", "back", "Back / stop"),
        Binding("r", "run", "Run"),
        Binding("f", "follow_up", "Follow-up"),
        Binding("ctrl+down", "scroll_body(1)", "Scroll down", show=False),
        Binding("ctrl+up", "scroll_body(-1)", "Scroll up", show=False),
    ]

    def __init__(self, ctx: PaneContext) -> None:
        super().__init__(ctx)
        self.plan: Plan | None = None
        self.report: RunReport | None = None
        self.runner: PlanRunner | None = None
        self.running = False
        self.stopping = False
        self.frozen = False  # a run started: the plan shown is the one that ran
        self.progress: Progress | None = None
        self.progress_seen: deque[Progress] = deque(maxlen=500)  # every progress event of the last runs (tests)
        self.states: dict[int, str] = {}
        self.refusal: str | None = None
        self.error: str | None = None
        self.after: Diagnosis | None = None  # the diagnosis re-probed after the run
        self.runs = 0  # finished runs (tests wait on it)
        self._preconfirmed: tuple[str, str] | None = None

    # ------------------------------------------------------------------ what subclasses provide
    def make_plan(self, facts: dict[str, HostFacts], diagnosis: Diagnosis) -> Plan:
        raise NotImplementedError

    def compose_top(self) -> ComposeResult:
        """The pane's own part, above the steps (the truth first)."""
        yield from ()

    def update_top(self) -> None:
        """Refresh the pane's own part (called after every re-plan)."""

    def confirm_title(self, step: Step) -> str:
        return self.CONFIRM_TITLES.get(step.action, "Run this on {host}?").format(host=step.host)

    def typed_confirmation(self, step: Step) -> bool:
        """Whether this step needs the host name typed (an override)."""
        return step.override or step.typed

    @property
    def chosen(self) -> str | None:
        """What the pane's picker chose (a candidate, a target): `{chosen}` in RUN_HINT."""
        return None

    def idle_hint(self) -> Text:
        run = ("r", self.RUN_HINT.format(chosen=self.chosen or self.UNCHOSEN))
        return key_hint(run, ("Enter", self.PICK_HINT)) if self.PICKER is not None else key_hint(run)

    def checked_plan(self) -> PlanT | None:
        """The plan the pane shows (its checks, its own part): the current one when it is of the pane's
        kind, not a follow-up's."""
        return cast(PlanT, self.plan) if isinstance(self.plan, self.CHECKED_PLAN) else None

    # ------------------------------------------------------------------ state
    @property
    def xapp(self) -> Any:
        return self.app

    @property
    def facts(self) -> dict[str, HostFacts]:
        return self.ctx.source.facts

    @property
    def diagnosis(self) -> Diagnosis:
        slot = self.xapp.pools.get(self.ctx.pool)
        if slot is not None and slot.diagnosis is not None and slot.source is self.ctx.source:
            return slot.diagnosis
        return self.ctx.diagnosis

    @property
    def dry_run(self) -> bool:
        return self.ctx.dry_run

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="pane-mode")
        # narrow: one column that scrolls; from 120 columns: the choice left, the steps and report right
        with VerticalScroll(id="pane-body"):
            with Vertical(id="pane-left", classes="pane-col"):
                yield Static(id="pane-headline")  # only when the pane's problem is gone
                if self.CHECKS_FIRST:
                    yield Static(id="pane-checks")
                yield from self.compose_top()
                if self.PICKER is not None:
                    yield Static(id=f"{self.PICKER}-head", classes="-tight")
                    yield OptionList(id=self.PICKER)
                    yield Static(id=f"{self.PICKER}-chosen")
                if not self.CHECKS_FIRST:
                    yield Static(id="pane-checks")
            with Vertical(id="pane-right", classes="pane-col"):
                yield Static(id="pane-report")  # after a run: the report first, then the plan that ran
                yield Static(id="pane-steps")
                yield Static(id="pane-guards")
        yield Static(id="pane-next")  # the exact next command, never scrolled away (80x24)
        yield Static(id="pane-status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.title = self.PANE_TITLE + (" — DRY RUN" if self.dry_run else "")
        self.sub_title = f"pool {self.ctx.pool}"
        try:
            self.xapp.pool_changed.subscribe(self, self._pool_changed)
        except Exception:  # a bare App (tests of a pane alone)
            pass
        self.replan()
        if self.PICKER is not None:
            self.query_one(f"#{self.PICKER}", OptionList).focus()
        self.call_after_refresh(self._top)

    def _top(self) -> None:
        """Show the top of the pane (the checks), even though focusing a picker scrolled to it."""
        try:
            self.query_one("#pane-body", VerticalScroll).scroll_home(animate=False)
        except Exception:
            pass

    def _pool_changed(self, pool: str) -> None:
        if pool == self.ctx.pool:
            self.replan()

    def start_over(self) -> None:
        """A new choice (candidate, target): forget the last run and plan afresh."""
        self.frozen = False
        self.report = None
        self.after = None
        self.refusal = None
        self.states = {}
        self.replan()

    @guarded("re-planning")
    def replan(self) -> None:
        """Make the plan again from the latest facts (not while/after a run), and show everything."""
        if not self.frozen:
            try:
                self.plan = self.make_plan(dict(self.facts), self.diagnosis)
                self.error = None
                if self.refusal is not None and not self.plan.blocked:
                    self.refusal = None  # what refused it is gone: say what `r` does now instead
            except Exception as e:  # a planning bug must not take the pane down
                self.plan = None
                self.error = f"could not make the plan: {type(e).__name__}: {e}"
        self.update_view()

    def resolved(self) -> Text | None:
        """The headline when the current diagnosis (the header's) no longer shows this pane's problem."""
        if self.PROBLEM is None:
            return None
        return resolved_text(self.diagnosis, *self.PROBLEM)

    @guarded("showing the plan")
    def update_view(self) -> None:
        self._show_mode()
        headline = self.resolved()
        box = self.query_one("#pane-headline", Static)
        box.display = headline is not None
        box.update(headline or "")
        self.update_top()
        checked = self.checked_plan()
        self.query_one("#pane-checks", Static).update(checks_text(checked, self.CHECKS_HEADING) if checked is not None else "")
        plan = self.plan
        steps = self.query_one("#pane-steps", Static)
        guards = self.query_one("#pane-guards", Static)
        if plan is None:
            steps.update(Text(self.error or "no plan", style=BAD))
            guards.update("")
        else:
            steps.update(steps_text(plan, self.states, self.report, dry_run=self.dry_run))
            guards.update(guards_text(plan))
        self._show_report()
        self._show_next()
        self._show_status()
        refresh_footer(self)

    def _show_mode(self) -> None:
        d = self.diagnosis
        t = Text(no_wrap=True, overflow="ellipsis")
        if self.dry_run:
            t.append(" DRY RUN ", style=DRY)
            t.append(" commands are shown, none is run ", style="bold")
        label = VERDICT_LABEL.get(d.verdict, str(d.verdict))
        t.append(f" {label} ", style=VERDICT_STYLE.get(d.verdict, ""))
        t.append(f" {d.summary}")
        self.query_one("#pane-mode", Static).update(t)

    def _show_report(self) -> None:
        box = self.query_one("#pane-report", Static)
        text = Text()
        if self.report is not None:
            text.append_text(report_text(self.report))
        if self.after is not None:
            if text:
                text.append("\n\n")
            text.append_text(follows_text(self.after, dict(self.facts)))
        box.display = bool(text)
        box.update(text)

    def _show_next(self) -> None:
        """The command `r` runs first, with its host: always on screen, whatever the body scrolled to."""
        box = self.query_one("#pane-next", Static)
        plan = self.plan
        step = plan.steps[0] if plan is not None and plan.steps and not plan.blocked else None
        idle = not self.running and self.report is None and not self.refusal and not self.error
        box.display = step is not None and idle
        if step is None:
            return
        steps = plan.steps  # type: ignore[union-attr]
        t = Text()
        shown = steps if len(steps) <= NEXT_STEPS_SHOWN else steps[:NEXT_STEPS_SHOWN - 1]
        for n, s in enumerate(shown, 1):
            if n > 1:
                t.append("\n")
            t.append("next: " if n == 1 else "then: ", style=MUTED)
            if len(steps) > 1:
                t.append(f"{n}. ", style=MUTED)
            t.append(f"on {s.host}: ", style="bold")
            t.append(s.command)
        if len(shown) < len(steps):
            t.append(f"\n… and {len(steps) - len(shown)} more steps: ctrl+↓ scrolls to them", style=MUTED)
        box.update(t)

    def _show_status(self) -> None:
        status = self.query_one("#pane-status", Static)
        status.set_class(self.dry_run, "-dry")
        bad = False
        t = Text()
        if self.dry_run:
            t.append(" DRY RUN ", style=DRY)
            t.append(" ")
        if self.running:
            if self.progress is not None:
                t.append_text(progress_text(self.progress))
            else:
                t.append("starting…")
            t.append("\n")
            if self.stopping:
                t.append("stopping before the next step (a command already sent is not interrupted)…", style=WARN)
            else:
                t.append("Esc", style="bold")
                t.append(" stops before the next step")
        elif self.error:
            bad = True
            t.append(self.error, style=BAD)
        elif self.refusal:
            bad = True
            t.append("Refused: ", style=BAD)
            t.append(self.refusal)
        elif self.report is not None:
            if self.report.dry_run:
                t.append("dry run done: nothing was run · ")
            elif self.report.complete:
                t.append("done: every step ran and was checked · ", style=OK)
            else:
                bad = True
                t.append(f"stopped: {self.report.stopped or 'see the report'} · ", style=BAD)
            if self.report.offers:
                t.append("f", style="bold")
                t.append(" runs the follow-up · ")
            t.append("Esc", style="bold")
            t.append(" back")
        elif self.plan is not None and self.plan.blocked:
            bad = True
            t.append("Blocked: ", style=BAD)
            t.append(self.plan.blocked_reason or "")
            t.append(" · Esc back", style=MUTED)
        else:
            t.append_text(self.idle_hint())
        status.set_class(bad, "-bad")
        status.update(t)

    # ------------------------------------------------------------------ bindings
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "follow_up":
            return (not self.running) and self.report is not None and bool(self.report.offers)
        if action == "run":
            if self.running:
                return None  # shown greyed out
            return True
        return True

    @on(OptionList.OptionSelected)
    @guarded("picking")
    def _picker_selected(self, event: OptionList.OptionSelected) -> None:
        if self.PICKER is None or event.option_list.id != self.PICKER:
            return
        if self.running:
            self.notify(self.PICK_BUSY, severity="warning")
            return
        if event.option.id is not None:
            self.pick(event.option.id)

    def pick(self, name: str) -> None:
        """The admin picked `name` in the pane's picker (Enter): re-plan for it."""

    def action_scroll_body(self, delta: int) -> None:
        """Scroll the pane (wide: the steps and report column)."""
        target = self.query_one("#pane-right") if self.has_class("-wide") else self.query_one("#pane-body")
        target.scroll_relative(y=delta * 3, animate=False)

    def action_back(self) -> None:
        if self.running:
            if self.runner is not None:
                self.runner.cancel()
            if not self.stopping:
                self.stopping = True
                self.notify("Stopping before the next step…", timeout=3)
            self._show_status()
            return
        self.dismiss(None)

    # ------------------------------------------------------------------ running
    def may_start(self, what: str) -> bool:
        """A change may start now: not read-only (else the refusal is shown) and no run in progress."""
        return not self.xapp.refuse_read_only(what) and not self.running

    def action_run(self) -> None:
        if self.xapp.refuse_read_only(f"running the plan ({self.PANE_TITLE})"):
            return
        if self.running:
            self.notify("A run is in progress.", severity="warning")
            return
        try:
            plan = self.plan_to_run()
        except Exception as e:
            self.xapp.report_error("making the plan", e)
            return
        self.start(plan)

    def plan_to_run(self) -> Plan:
        """The plan `r` runs: made again from the latest facts (the subclass pins what was shown)."""
        return self.make_plan(dict(self.facts), self.diagnosis)

    def start(self, plan: Plan, *, preconfirmed: Step | None = None) -> bool:
        """Run `plan` (refused with its reason if blocked). Returns whether a run started."""
        self.frozen = False
        self.plan = plan
        self.report = None
        self.after = None
        self.states = {}
        self.refusal = None
        self.error = None
        if plan.blocked:  # a dry run too: it shows what a real run would do, and that is a refusal
            self.refuse(plan)
            return False
        if not plan.steps:
            self.refusal = "nothing to run: the plan has no step."
            self.update_view()
            return False
        engine = self.ctx.engine
        if engine is None and not self.dry_run:
            self.refusal = "these are recorded facts, not a live pool: there is nothing to run the commands on."
            self.update_view()
            return False
        try:
            runner = self.ctx.make_runner(self._confirm, self._on_progress, take_over=self._take_over)
        except Exception as e:
            self.xapp.report_error("opening the audit file", e)
            return False
        self._preconfirmed = (preconfirmed.host, preconfirmed.command) if preconfirmed is not None else None
        self.runner = runner
        self.running = True
        self.stopping = False
        self.frozen = True
        self.progress = None
        self.update_view()
        self.run_worker(self._run(runner, plan), name=f"run: {plan.title}", group="plan-run", exit_on_error=False)
        return True

    def refuse(self, plan: Plan) -> None:
        """Show why the plan is not run, and write the refusal to the audit file."""
        reason = plan.blocked_reason or "the plan is blocked"
        self.refusal = reason
        try:
            self.ctx.make_runner(None).refuse(plan)
        except Exception as e:
            self.xapp.report_error("writing the audit file", e)
        self.notify(f"Refused: {reason}", severity="error", timeout=8)
        self.update_view()

    async def _ask(self, host: str, command: str, **options: Any) -> bool:
        """The console's confirmation dialog, awaited: True when the admin confirmed."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def done(ok: bool) -> None:
            if not answer.done():
                answer.set_result(ok)

        self.ctx.confirm(host, command, done, **options)
        return await answer

    async def _take_over(self, record: LeaseRecord) -> bool:
        """Someone else holds the pool's live lease: taking it over is typed (their login@box), and audited."""
        from xentui.actions.lease import describe

        return await self._ask(
            record.who(),
            f"take over the pool's lease from {record.who()}",
            typed=True,
            typed_what="holder",
            title="Someone else holds the pool: take their lease over?",
            explanation=(f"Held by {describe(record, time.time())}. Two admins changing one pool at once is how "
                         "a split brain is made by hand: call them first. Esc leaves it theirs."),
        )

    async def _confirm(self, step: Step) -> bool:
        if self._preconfirmed == (step.host, step.command):
            self._preconfirmed = None  # the admin just confirmed exactly this (typed override)
            return True
        return await self._ask(
            step.host,
            step.command,
            typed=self.typed_confirmation(step),
            title=self.confirm_title(step),
            explanation=step.why,
        )

    def _on_progress(self, ev: Progress) -> None:
        self.progress = ev
        self.progress_seen.append(ev)
        changed = False
        if ev.step is not None and self.states.get(ev.step) != ev.phase:
            self.states[ev.step] = ev.phase
            changed = True
        if changed:
            self.update_view()
        else:
            self._show_status()

    async def _run(self, runner: PlanRunner, plan: Plan) -> None:
        report: RunReport | None = None
        try:
            report = await runner.run(plan)
        except asyncio.CancelledError:
            self.report = runner.report
            self.running = False
            raise
        except Exception as e:  # shown, never fatal
            report = runner.report
            self.error = f"the run failed: {type(e).__name__}: {e}"
            self.xapp.report_error("running the plan", e)
        self.report = report
        engine = self.ctx.engine
        if report is not None and report.ran and engine is not None:
            # who follows whom now: recover-slaves and designate were verified by re-probing every
            # host (the runner's settle); after any other step, probe every host once more here
            settled = any(
                r.action in (StepAction.RECOVER_SLAVES, StepAction.DESIGNATE_NEW_MASTER) and r.verification
                for r in report.results
            )
            try:
                if not settled:
                    self.progress = Progress(
                        step=None, total=len(plan.steps), phase="verifying", message="re-probing every host: who follows whom now?"
                    )
                    self._show_status()
                    await engine.probe_once()
                self.after = self.ctx.source.diagnose()
            except Exception as e:
                self.xapp.report_error("re-probing after the run", e)
        self.running = False
        self.stopping = False
        self.runs += 1
        if report is not None and report.refused in ("lease", "read-only", "stale"):
            self.refusal = report.stopped
            self.notify(f"Refused: {report.stopped}", severity="error", timeout=10)
        self.after_run(report)
        self.update_view()
        if report is not None:
            self.call_after_refresh(self._reveal_report)

    def after_run(self, report: RunReport | None) -> None:
        """Hook for subclasses (the report is shown by the base)."""

    def _reveal_report(self) -> None:
        try:
            self.query_one("#pane-report", Static).scroll_visible(animate=False, top=True)
        except Exception:
            pass

    def action_follow_up(self) -> None:
        if not self.may_start("running the follow-up") or self.report is None:
            return
        plan = self.report.follow_up()
        if plan is None:
            self.notify("Nothing is offered.", timeout=3)
            return
        self.start(plan)


def sync_options(ol: OptionList, items: Sequence[tuple[str, Text]], chosen: str | None) -> None:
    """Show `items` (id, prompt) in a picker without losing the admin's place.

    Same ids in the same order: only the prompts that changed are replaced.
    Otherwise the list is rebuilt and the highlighted host stays highlighted.
    While the highlight rests on the chosen host (the admin has not moved it
    elsewhere), it follows the choice when that changes (the proposed host).
    """
    shown: list[tuple[str, str]] = getattr(ol, "_xentui_shown", [])
    was_chosen: str | None = getattr(ol, "_xentui_chosen", None)
    wanted = [(i, p.plain) for i, p in items]
    ids = [i for i, _ in items]
    highlighted = None
    if ol.highlighted is not None and ol.highlighted < ol.option_count:
        highlighted = ol.get_option_at_index(ol.highlighted).id
    if wanted != shown:
        if [i for i, _ in shown] == ids and ol.option_count == len(ids):
            for n, ((_i, prompt), (_, old)) in enumerate(zip(items, shown)):
                if prompt.plain != old:
                    ol.replace_option_prompt_at_index(n, prompt)
        else:
            ol.clear_options()
            ol.add_options([Option(p, id=i) for i, p in items])
        ol._xentui_shown = wanted  # type: ignore[attr-defined]
    if highlighted is None or highlighted not in ids or highlighted == was_chosen:
        target = chosen
    else:
        target = highlighted  # the admin is looking at another host: leave the highlight there
    if target in ids and ol.highlighted != ids.index(target):
        ol.highlighted = ids.index(target)
    ol._xentui_chosen = chosen  # type: ignore[attr-defined]
