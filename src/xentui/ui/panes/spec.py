"""What a pane is (`PaneSpec`), what it gets when it opens (`PaneContext`) and the screen it opens as (`PaneScreen`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.binding import Binding
from textual.screen import Screen

from xentui.trail.audit import AuditRecord
from xentui.core.config import Settings
from xentui.diagnosis import Diagnosis
from xentui.core.model import CommandResult
from xentui.core.model import HostFacts

if TYPE_CHECKING:
    from xentui.actions.runner import ConfirmFn, PlanRunner, ProgressFn
    from xentui.engine.pool import PoolEngine
    from xentui.ui.app import XentuiApp
    from xentui.ui.source import FactSource

__all__ = ["PaneContext", "PaneScreen", "PaneSpec", "always"]


def always(diagnosis: Diagnosis) -> bool:
    """`available` for a pane that applies in every state."""
    return True


@dataclass(frozen=True)
class PaneSpec:
    """One pane of the console, as the pool screen sees it.

    * `id`: unique, stable (used in action names: ``open_pane('<id>')``);
    * `key`: the key binding on the pool screen (Textual key name: ``"r"``,
      ``"f6"``, ``"ctrl+r"``); ``None`` for a pane reached only from the
      command palette;
    * `title`: short, shown in the footer and the palette;
    * `description`: one sentence, shown in the help screen and the palette;
    * `factory(context) -> Screen`: builds the pane's screen; the console
      pushes it (Esc on that screen should `dismiss()` / `app.pop_screen()`);
    * `available(diagnosis) -> bool`: whether the pane applies now (a recovery
      pane only when the master is lost...); an unavailable pane's key is
      hidden from the footer and does nothing, and it leaves the palette.
      Before the first facts it receives a Diagnosis with verdict `unknown`;
    * `needs_host`: the pane works on the host selected in the table (it is
      unavailable while no host is selected);
    * `footer`: show the key in the footer (it is always in the help screen).
    """

    id: str
    key: str | None
    title: str
    description: str
    factory: Callable[[PaneContext], Screen[Any]]
    available: Callable[[Diagnosis], bool] = always
    needs_host: bool = False
    footer: bool = True


@dataclass
class PaneContext:
    """What a pane gets from the console: the pool, its facts, the selection, and helpers.

    Panes never open connections themselves, and never run a command that
    changes a host: they make a plan and hand it to the runner `make_runner`
    builds (`PlanRunner`: the one place that confirms, honours dry-run, and
    writes the audit and the activity log).  `confirm` shows a
    `ConfirmScreen`; panes pass it to the runner as its confirmation.
    """

    app: XentuiApp
    pool: str
    source: FactSource
    diagnosis: Diagnosis
    host: str | None
    settings: Settings
    dry_run: bool = False

    @property
    def facts(self) -> dict[str, HostFacts]:
        return self.source.facts

    @property
    def engine(self) -> PoolEngine | None:
        """The live engine (None when the console shows static facts)."""
        return self.source.engine

    def host_facts(self, name: str | None = None) -> HostFacts | None:
        name = name or self.host
        return self.source.facts.get(name) if name else None

    def make_runner(self, confirm: ConfirmFn | None, on_progress: ProgressFn | None = None, **kw: Any) -> PlanRunner:
        """The runner for this pool's changes: its engine, the audit file, the console's dry-run."""
        from xentui.actions.runner import PlanRunner

        kw.setdefault("poll_interval", min(0.5, self.settings.poll_interval))
        return PlanRunner(
            self.engine,  # type: ignore[arg-type]  # None only in a dry run, which never touches it
            self.app.audit,
            confirm,
            dry_run=self.dry_run,
            fuse=self.settings.toolstack_fuse,
            on_progress=on_progress,
            on_command=self.app.record_action(self.pool),
            lease=self.app.new_lease(self.engine) if self.engine is not None else None,
            **kw,
        )

    def audit_command(self, result: CommandResult, *, detail: str | None = None) -> AuditRecord | None:
        """Append an action command's result to the audit file (and mark it in the activity log).

        Only the onboarding pane still calls this (and `audit_intent`), until its
        steps run on the `PlanRunner` like every other change; new panes use `make_runner`.
        """
        return self.app.audit_command(result, detail=detail)

    def audit_intent(self, host: str, command: str, *, outcome: str = "dry-run", detail: str | None = None) -> AuditRecord | None:
        """Audit a command that was not run (``dry-run``, ``refused``...)."""
        return self.app.audit_intent(host, command, outcome=outcome, detail=detail)

    def confirm(
        self,
        host: str,
        command: str,
        callback: Callable[[bool], Any],
        *,
        typed: bool = False,
        title: str = "Run this command?",
        explanation: str = "",
        typed_what: str = "host name",
    ) -> None:
        """Ask the admin (ConfirmScreen); `callback(True)` only when confirmed."""
        from xentui.ui.confirm import ConfirmScreen

        self.app.push_screen(
            ConfirmScreen(host, command, typed=typed, title=title, explanation=explanation, dry_run=self.dry_run,
                          typed_what=typed_what),
            lambda ok: callback(bool(ok)),
        )


class PaneScreen(Screen[None]):
    """The screen of a pane: made from its `PaneContext`; Esc goes back (the pane's `action_back`).

    A pane adds its own `BINDINGS` (Textual merges them with these; the same key overrides)."""

    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(self, ctx: PaneContext) -> None:
        super().__init__()
        self.ctx = ctx
