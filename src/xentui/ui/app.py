"""The console application: `run_console` (real pools); `xentui demo` is `xentui.devtools.demo`.

Data flow
---------
fact source (a `PoolEngine` per pool, or static facts)
  -> one `PoolObserved` per burst of facts (the engine diagnoses, at most every
     `diagnosis_interval` s; the journal, `watch` and the exporter get the same)
  -> posted as `PoolDiagnosed` (a typed Textual message carrying it)
  -> the slot keeps its facts and diagnosis -> `pool_changed` signal -> the
     screens diff their widgets from the slot, never from the engine.

Every remote command reaches the app through `PoolEngine(on_command=...)`,
is buffered and published in batches (`commands_ran`, 4 per second) to the
activity log.  Only action commands are audited (`audit_command`).  What a pane
said and then replaced (an onboarding step's earlier outcome) reaches the
activity view the same way, as a note (`note`, `notes_added`): not a command.

No handler lets an exception escape: errors are shown (notification + the
banner's status line) and the console keeps running.
"""

from __future__ import annotations

from pathlib import Path

import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from textual import events, on, work
from textual.app import App
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from xentui.trail.audit import AuditLog, AuditRecord
from xentui.core.config import Config, Settings
from xentui.diagnosis import Diagnosis
from xentui.engine.observed import PoolObserved
from xentui.engine.pool import PoolEngine
from xentui.engine.secrets import fetch_password, hold_password, pool_password
from xentui.core.model import CommandResult
from xentui.core.model import HostFacts, SshState
from xentui.ui.commands import XentuiCommands
from xentui.ui.footer import refresh_footer
from xentui.ui.panes.spec import PaneContext
from xentui.ui.password import PasswordScreen
from xentui.ui.render import fleet_order
from xentui.ui.screens.help import HelpScreen, screen_help_rows
from xentui.ui.screens.pool import NO_FACTS, PoolScreen
from xentui.ui.screens.scenario import ScenarioScreen
from xentui.ui.source import FactSource, LiveSource
from xentui.ui.theme import CSS_VARIABLES
from xentui.ui.widgets.activity import ActivityNote, Entry

__all__ = ["Demo", "PoolDiagnosed", "PoolSlot", "XentuiApp", "run_console"]


class Demo(Protocol):
    """What the console uses of `xentui demo`'s controller (`xentui.devtools.demo.DemoController`).

    The console never imports the simulator: the demo hands itself in.
    """

    scenario: str
    hosts: int
    scenarios: dict[str, str]

    @property
    def running(self) -> bool: ...

    async def start(self, scenario: str | None = None) -> Config: ...

    async def stop(self) -> None: ...

    async def fault(self, fault: str, host: str) -> str: ...

    def host_names(self) -> list[str]: ...

    def pulled_cables(self) -> list[str]: ...

    def is_powered(self, host: str) -> bool: ...

    def is_hung(self, host: str) -> bool: ...


class PoolDiagnosed(Message):
    """A pool observed anew: the engine's `PoolObserved` (facts, the hosts changed, the diagnosis)."""

    def __init__(self, source: FactSource, seen: PoolObserved) -> None:
        super().__init__()
        self.source = source
        self.seen = seen


@dataclass
class PoolSlot:
    """One pool the console watches: its source and its latest diagnosis."""

    name: str
    source: FactSource
    diagnosis: Diagnosis | None = None
    facts: Mapping[str, HostFacts] = field(default_factory=dict)  # as the diagnosis saw them
    error: str | None = None


class XentuiApp(App[int]):
    """The xentui console."""

    CSS_PATH = "xentui.tcss"
    TITLE = "xentui"
    COMMANDS = App.COMMANDS | {XentuiCommands}
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("f5", "refresh", "Refresh"),
        Binding("q", "quit", "Quit"),
    ]

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """The palette's colours the stylesheet names ($split-brain, ...): theme.py holds them."""
        return {**super().get_theme_variable_defaults(), **CSS_VARIABLES}

    def __init__(
        self,
        sources: Sequence[FactSource] = (),
        *,
        config: Config | None = None,
        initial_pool: str | None = None,
        demo: Demo | None = None,
        dry_run: bool = False,
        clock: Callable[[], float] = time.time,
        audit: AuditLog | None = None,
        rediagnose_interval: float | None = None,
        read_only: bool = False,
    ) -> None:
        super().__init__()
        self._read_only = read_only
        # the pool's lease as the hosts say, when someone else holds it (every screen's header shows it)
        self.lease_line: str | None = None
        self.lease_view: Any = None
        self._own_leases: list[Any] = []  # the leases this console's runners hold (not "someone else")
        self._given_sources = list(sources)
        self._config = config
        self.initial_pool = initial_pool
        self.demo = demo
        self.dry_run = dry_run
        self.clock = clock
        self._audit = audit
        self.rediagnose_interval = rediagnose_interval
        self.pools: dict[str, PoolSlot] = {}
        self.current_pool: str | None = None
        self.status: str | None = None
        self.errors: deque[str] = deque(maxlen=50)
        self.command_history: deque[Entry] = deque(maxlen=2000)
        self._pending: list[Entry] = []
        self.notes: deque[ActivityNote] = deque(maxlen=2000)  # what panes said, for the activity view
        self._pending_notes: list[ActivityNote] = []
        self._stopped = False
        self._auto_pick = False
        self._asked_password: set[str] = set()  # pools whose password was asked (once)
        self.diagnoses = 0  # how many observations arrived (tests)
        self.pool_changed: Signal[str] = Signal(self, "pool-changed")
        self.pools_replaced: Signal[None] = Signal(self, "pools-replaced")
        self.commands_ran: Signal[list[Entry]] = Signal(self, "commands-ran")
        self.notes_added: Signal[list[ActivityNote]] = Signal(self, "notes-added")
        if demo is not None:
            self.title = "xentui — SIMULATOR"
        self.sub_title = self._sub_title()

    # ------------------------------------------------------------------ lease and read-only
    @property
    def read_only(self) -> bool:
        """Watch only (--read-only, or read_only in [settings]): every change key refuses."""
        return self._read_only or self.settings.read_only

    def refuse_read_only(self, what: str) -> bool:
        """True (and says why) when `what` — a change — must not start because the console is read-only."""
        if not self.read_only:
            return False
        why = "--read-only" if self._read_only else "read_only = true in [settings]"
        self.notify(f"Refused: {what}. This console is read-only ({why}): it watches and changes nothing.",
                    title="read-only", severity="error", timeout=6)
        return True

    def format_title(self, title: str, sub_title: str) -> Content:
        """Every screen's header: the lease someone else holds (and read-only) first, then the screen's title."""
        content = super().format_title(title, sub_title)
        marks: list[tuple[str, str]] = []
        if self.lease_line:
            marks.append((self.lease_line, "bold reverse red"))
        if self.read_only:
            marks.append(("READ-ONLY", "bold reverse"))
        if not marks:
            return content
        parts: list[Any] = []
        for text, style in marks:
            parts += [(f" {text} ", style), " "]
        return Content.assemble(*parts, content)

    def new_lease(self, engine: PoolEngine) -> Any:
        """The lease a runner of this console takes (remembered: the header does not call it someone else's)."""
        from xentui.actions.lease import PoolLease

        lease = PoolLease(engine, self.audit)
        self._own_leases = [x for x in self._own_leases if x.record is not None] + [lease]
        return lease

    def _own_tokens(self) -> set[str]:
        return {x.record.token for x in self._own_leases if x.record is not None}

    def _poll_lease(self) -> None:
        slot = self.current_slot
        engine = slot.source.engine if slot is not None else None
        if engine is not None and not self._stopped:
            self._read_lease(engine)

    @work(exclusive=True, group="lease-read", exit_on_error=False)
    async def _read_lease(self, engine: PoolEngine) -> None:
        from xentui.actions.lease import read_pool_lease

        try:
            view = await read_pool_lease(engine)
        except Exception as e:  # shown like any error, never fatal
            self.errors.append(f"reading the pool's lease: {e}")
            return
        self.show_lease(view)

    def show_lease(self, view: Any) -> None:
        """Put the lease someone else holds (if any) in every screen's header."""
        self.lease_view = view
        now = view.now
        lines = []
        for rec, hosts in view.others(None):
            if rec.token in self._own_tokens():
                continue
            # short enough for 80 columns: who, from where, since when first; the plan's title last
            since = time.strftime("%H:%M:%S UTC", time.gmtime(rec.started))
            left = rec.expires - now
            state = ("STALE LEASE", f"expired {-left:.0f} s ago, may be taken") if left <= 0 else (
                "LEASE", f"expires in {left:.0f} s")
            lines.append(f"{state[0]} {rec.who()} since {since} · {state[1]} · {len(hosts)}/{len(view.hosts)} hosts "
                         f"· plan {rec.plan!r}")
        line = "; ".join(lines) or None
        if line != self.lease_line:
            self.lease_line = line
            self.refresh_headers()

    def refresh_headers(self) -> None:
        from textual.widgets import Header
        from textual.widgets._header import HeaderTitle

        for screen in self.screen_stack:
            for header in screen.query(Header):
                try:
                    header.query_one(HeaderTitle).update(header.format_title())
                except Exception:
                    pass

    def _sub_title(self) -> str:
        parts = [f"started as {self.demo.scenario} · {self.demo.hosts} hosts"] if self.demo is not None else []
        if self.demo is not None and self.demo.running:
            parts += self._injected(self.demo)
        if self.dry_run:
            parts.append("dry run: commands are shown, none is run")
        return " · ".join(parts)

    @staticmethod
    def _injected(demo: Demo) -> list[str]:
        """The faults in force now, read from the simulator (not remembered from the keys pressed)."""
        names = demo.host_names()
        faults = {
            "cable pulled": demo.pulled_cables(),
            "off": [h for h in names if not demo.is_powered(h)],
            "toolstack hung": [h for h in names if demo.is_powered(h) and demo.is_hung(h)],
        }
        return [f"{what}: {' '.join(hosts)}" for what, hosts in faults.items() if hosts]

    # ------------------------------------------------------------------ lifecycle
    async def on_event(self, event: events.Event) -> None:
        # A key that reaches the app once its last screen is gone (the console closing) has nowhere
        # to go; Textual's own handler reads `self.screen` for it and raised ScreenStackError from
        # the teardown (seen once in CI, after a test's last key).
        if isinstance(event, events.Key) and not self._screen_stack:
            return
        await super().on_event(event)

    def on_mount(self) -> None:
        self.set_interval(0.25, self._flush_commands)
        self.set_interval(self.settings_for_lease(), self._poll_lease)
        self.push_screen(PoolScreen())
        if self._given_sources:
            self.install(self._given_sources)
        elif self._config is not None:
            self.install(self._live_sources(self._config))
        elif self.demo is not None:
            self.status = f"starting the simulator (scenario {self.demo.scenario})…"
            self.start_demo(self.demo.scenario)

    async def on_unmount(self) -> None:
        await self.shutdown()

    async def action_quit(self) -> None:
        await self.shutdown()
        self.exit(0)

    async def shutdown(self) -> None:
        """Stop every engine and the simulator (idempotent, never raises)."""
        if self._stopped:
            return
        self._stopped = True
        await self._stop_sources()
        if self.demo is not None:
            try:
                await self.demo.stop()
            except Exception as e:  # pragma: no cover - best effort on the way out
                self.errors.append(f"stopping the simulator: {e}")

    async def _stop_sources(self) -> None:
        for slot in list(self.pools.values()):
            try:
                await slot.source.stop()
            except Exception as e:
                self.errors.append(f"stopping pool {slot.name}: {e}")

    # ------------------------------------------------------------------ sources
    def _live_sources(self, config: Config) -> list[FactSource]:
        sources: list[FactSource] = []
        for pool in config.pools:
            sources.append(
                LiveSource(PoolEngine(pool, config.settings, pool_password(pool), on_command=self._command_callback(pool.name)))
            )
        return sources

    def _command_callback(self, pool: str) -> Callable[[CommandResult], None]:
        def on_command(result: CommandResult) -> None:
            self._pending.append((pool, result, False))

        return on_command

    def install(self, sources: Sequence[FactSource]) -> None:
        """Watch these pools (replacing any others) and start their sources."""
        self.pools = {}
        for src in sources:
            slot = PoolSlot(src.name, src, facts=dict(src.facts))  # the configured hosts, until observed
            self.pools[src.name] = slot
            if self.rediagnose_interval is not None:
                src.observed.interval = self.rediagnose_interval
            src.observed.observers.append(self._observer(src))
        names = list(self.pools)
        if self.initial_pool and self.initial_pool in self.pools:
            self.current_pool = self.initial_pool
        else:
            self.current_pool = names[0] if names else None
        for slot in self.pools.values():
            try:
                slot.source.start()
            except Exception as e:
                self.report_error(f"starting pool {slot.name}", e)
        # several pools and none asked for: show the one in trouble, once all are judged
        self._auto_pick = self.initial_pool is None and len(self.pools) > 1
        self._pick_worst_pool()
        self.status = None
        self.pools_replaced.publish(None)

    def _observer(self, source: FactSource) -> Callable[[PoolObserved], None]:
        def observer(seen: PoolObserved) -> None:
            self.post_message(PoolDiagnosed(source, seen))

        return observer

    @on(PoolDiagnosed)
    def _pool_diagnosed(self, message: PoolDiagnosed) -> None:
        seen = message.seen
        slot = self.pools.get(seen.pool)
        if slot is None or slot.source is not message.source:
            return  # from a source that was replaced meanwhile
        slot.facts, slot.diagnosis, slot.error = seen.facts, seen.diagnosis, None
        self.diagnoses += 1
        self.pool_changed.publish(slot.name)
        self._pick_worst_pool()
        if any(seen.facts[n].ssh is SshState.AUTH_FAILED for n in seen.changed if n in seen.facts):
            self._ask_password(slot)

    def _ask_password(self, slot: PoolSlot) -> None:
        """A pool whose hosts refused keys and agent, with no password held: ask once, as ssh does."""
        engine = slot.source.engine
        if engine is None or slot.name in self._asked_password or not engine.needs_password:
            return
        self._asked_password.add(slot.name)
        refused = sorted(n for n, f in engine.facts.items() if f.ssh is SshState.AUTH_FAILED)
        why = (f"{', '.join(refused)} refused every key offered and no password is configured "
               "(password_env or password_command in the pool config).")

        def use(password: str | None) -> None:
            if password:
                hold_password(slot.name, password)
                self.audit.add_secret(password)
                engine.use_password(password)

        self.push_screen(PasswordScreen(slot.name, why), use)

    def _pick_worst_pool(self) -> None:
        if not self._auto_pick or any(s.diagnosis is None for s in self.pools.values()):
            return
        self._auto_pick = False
        worst = fleet_order([(s.name, s.diagnosis) for s in self.pools.values()])[0]
        if worst != self.current_pool:
            self.current_pool = worst
            self.pools_replaced.publish(None)

    # ------------------------------------------------------------------ state for the screens
    @property
    def current_slot(self) -> PoolSlot | None:
        return self.pools.get(self.current_pool) if self.current_pool else None

    @property
    def config(self) -> Config | None:
        """The config the console was started with (None on given sources or before the demo started)."""
        return self._config

    def settings_for_lease(self) -> float:
        """How often the lease is read: the poll interval of the config (every wait is a setting)."""
        config = self._config
        return (config.settings if config is not None else self.settings).poll_interval

    @property
    def settings(self) -> Settings:
        slot = self.current_slot
        return slot.source.settings if slot is not None else Settings()

    def status_line(self, slot: PoolSlot | None) -> str | None:
        if self.status:
            return self.status
        if slot is not None and slot.error:
            return slot.error
        return None

    def switch_pool(self, name: str) -> None:
        self._auto_pick = False  # the admin chose
        if name in self.pools and name != self.current_pool:
            self.current_pool = name
            self.pools_replaced.publish(None)

    def next_pool(self) -> None:
        order = fleet_order([(s.name, s.diagnosis) for s in self.pools.values()])
        if len(order) < 2:
            return
        i = order.index(self.current_pool) if self.current_pool in order else -1
        self.switch_pool(order[(i + 1) % len(order)])
        self.notify(f"pool {self.current_pool}", timeout=2)

    def pane_context(self, host: str | None) -> PaneContext:
        slot = self.current_slot
        if slot is None:
            raise RuntimeError("no pool yet")
        return PaneContext(
            app=self,
            pool=slot.name,
            source=slot.source,
            diagnosis=slot.diagnosis or NO_FACTS,
            host=host,
            settings=slot.source.settings,
            dry_run=self.dry_run,
        )

    def report_error(self, what: str, error: BaseException) -> None:
        """Show an error without letting it end the console."""
        text = f"{what}: {type(error).__name__}: {error}"
        self.errors.append(text)
        self.log.error(text)
        try:
            self.notify(text, title="error", severity="error", timeout=8)
        except Exception:
            pass

    # ------------------------------------------------------------------ commands and audit
    def _flush_commands(self) -> None:
        if self._pending:
            batch, self._pending = self._pending, []
            self.command_history.extend(batch)
            self.commands_ran.publish(batch)
        if self._pending_notes:
            notes, self._pending_notes = self._pending_notes, []
            self.notes.extend(notes)
            self.notes_added.publish(notes)

    def note(self, host: str, text: str, *, source: str, pool: str | None = None) -> ActivityNote:
        """Keep what a pane said about a host for the activity view (time-stamped now)."""
        note = ActivityNote(pool=pool if pool is not None else self.current_pool or "", host=host, text=text,
                            at=time.time(), source=source)
        self._pending_notes.append(note)
        return note

    @property
    def audit(self) -> AuditLog:
        if self._audit is None:
            settings = self.settings
            self._audit = AuditLog(settings.audit_path)
            for slot in self.pools.values():
                pool = getattr(slot.source, "pool", None)
                if pool is not None:
                    self._audit.add_secret(pool_password(pool))
        return self._audit

    def record_action(self, pool: str) -> Callable[[CommandResult], None]:
        """What a `PlanRunner` calls with each command it ran: the activity log marks it as an action.

        The runner has already written its audit record; this only shows it.
        """

        def on_action(result: CommandResult) -> None:
            self._pending.append((pool, result, True))

        return on_action

    def audit_command(self, result: CommandResult, *, detail: str | None = None) -> AuditRecord | None:
        """Append an action command to the audit file and log it again, tagged ACTION.

        Probe commands repeat every poll and are never audited; action panes
        call this for every command they ran.  Returns the record as written,
        or None when the file could not be written (the error is shown).
        """
        outcome = {"failed": "error"}.get(result.outcome, result.outcome)
        if detail is None:
            err = (result.stderr or "").strip().splitlines()
            detail = result.error or (err[-1] if err else None)
        pool = self.current_pool or ""
        self._pending.append((pool, result, True))
        try:
            return self.audit.record(
                result.host,
                result.command,
                outcome=outcome,
                exit_status=result.exit_status,
                duration_s=max(0.0, result.duration),
                detail=detail,
            )
        except Exception as e:
            self.report_error("writing the audit file", e)
            return None

    def audit_intent(self, host: str, command: str, *, outcome: str = "dry-run", detail: str | None = None) -> AuditRecord | None:
        try:
            return self.audit.record(host, command, outcome=outcome, detail=detail)
        except Exception as e:
            self.report_error("writing the audit file", e)
            return None

    # ------------------------------------------------------------------ actions
    def action_refresh(self) -> None:
        slot = self.current_slot
        if slot is None:
            return
        try:
            slot.source.refresh()
        except Exception as e:
            self.report_error("refresh", e)
            return
        self.notify(f"re-probing every host of {slot.name}", timeout=2)

    def action_help(self) -> None:
        try:
            self._open_help()
        except Exception as e:
            self.report_error("opening the help", e)

    def _open_help(self) -> None:
        screen = self.screen
        if isinstance(screen, HelpScreen):
            screen.dismiss(None)
            return
        rows = screen.help_rows() if isinstance(screen, PoolScreen) else screen_help_rows(screen)
        self.push_screen(HelpScreen(rows))

    # ------------------------------------------------------------------ the demo
    @work(exclusive=True, group="demo", exit_on_error=False)
    async def start_demo(self, scenario: str) -> None:
        assert self.demo is not None
        self.status = f"starting the simulator (scenario {scenario})…"
        self.pool_changed.publish("")
        await self._stop_sources()
        self.pools = {}
        self.pools_replaced.publish(None)
        config = await self.demo.start(scenario)
        self.sub_title = self._sub_title()
        self._audit = AuditLog(config.settings.audit_path)
        self.install(self._live_sources(config))
        self.notify(f"simulator running: {scenario}", timeout=3)

    def choose_scenario(self) -> None:
        def chosen(name: str | None) -> None:
            if name and self.demo is not None:
                self.start_demo(name)

        if self.demo is not None:
            self.push_screen(ScenarioScreen(self.demo.scenarios, self.demo.scenario), chosen)

    def demo_fault(self, kind: str, what: str, host: str | None) -> None:
        self._demo_fault(kind, what, host)

    @work(group="faults", exit_on_error=False)
    async def _demo_fault(self, kind: str, what: str, host: str | None) -> None:
        demo = self.demo
        if demo is None or not demo.running:
            return
        if kind == "ha":
            targets = demo.host_names()[:1]  # a pool-wide fault: the host is only the control's address
            fault = "ha-enable" if what == "enable" else "ha-wedge"
        elif kind == "cable":
            if what == "restore":
                targets = demo.pulled_cables()
                fault = "cable-restore"
            else:
                slot = self.current_slot
                d = slot.diagnosis if slot is not None else None
                master = (d.master or d.majority_master) if d is not None else None
                targets = [master.name if master is not None and master.name in demo.host_names() else demo.host_names()[0]]
                fault = "cable-pull"
        elif host is None:
            self.notify("Select a host first.", severity="warning")
            return
        else:
            targets = [host]
            fault = {"shutdown": "shutdown", "boot": "boot", "hang": "hang-xapi", "unhang": "unhang-xapi"}[what]
        for target in targets:
            done = await demo.fault(fault, target)
            self.notify(f"simulator: {done}", timeout=4)
        self.sub_title = self._sub_title()
        slot = self.current_slot
        if slot is not None:
            slot.source.refresh()
        refresh_footer(self.screen)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            what = event.worker.name or "background task"
            if event.worker.group == "demo":
                self.status = f"the simulator did not start: {error}"
                self.pool_changed.publish("")
            self.report_error(what, error if isinstance(error, BaseException) else Exception(str(error)))


# --------------------------------------------------------------------------- entry points


def run_console(
    config: Config, pool_name: str | None = None, dry_run: bool = False, config_path: Path | None = None,
    read_only: bool = False,
) -> int:
    """The console on the configured pools (all watched; `pool_name` is shown first).

    `config_path` is the file the config came from: the onboarding pane adds a
    joined host to it.
    """
    if pool_name is not None:
        pool_name = config.pool(pool_name).name  # raises UnknownPoolError (a ConfigError)
    import asyncio

    async def fetch_all() -> None:  # password_command runs once per pool, before the screen opens
        for pool in config.pools:
            await fetch_password(pool, config.settings)

    asyncio.run(fetch_all())  # PasswordError (a ConfigError) names the pool and the command's stderr
    app = XentuiApp(config=config, initial_pool=pool_name, dry_run=dry_run, read_only=read_only)
    app.config_path = config_path
    result = app.run()
    return int(result or 0)
