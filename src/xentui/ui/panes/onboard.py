"""The onboarding pane (`o`): bring a standalone host into this pool, step by step.

1. **Connect** to the new host (ssh alias or address, user, a password typed
   in a password field — or the keys/agent/ssh_config of the pool).  An
   unknown host key is refused; its fingerprint is shown and it is trusted
   only when the admin presses *Trust this host key*.
2. **Pre-join checks**: every check xapi makes, pass/block/warn, the new
   host's and the pool master's values, what to do; the checks `force=true`
   would skip are marked — this console never passes force.  The updates
   table: what the pool has and the new host lacks, and the reverse.
3. **Bring it level**: for each missing update, the path of its file on this
   jump box; upload (progress), `xe update-upload`, `xe update-apply` with
   their output, then the checks again.
4. **Join** with the pool password (a password field; it reaches the host on
   stdin only, is registered as an audit secret first and is cleared from
   the field at once), wait for the toolstack restart, confirm the new host
   follows the master and the master lists it; then add it to the xentui
   config (only when the console was started from a config file — else the
   line to add is shown).  A refusal is explained (HOSTS_NOT_HOMOGENEOUS
   names the update).

The pane opens no connection itself: `actions.onboard` does, on the
engine's session to the pool master and a session to the new host. Nor does
it decide anything: the wizard (`actions.onboard.wizard.Wizard`, a pure state
machine) takes what the admin does and what each step came to, and returns
what to do next as data; the pane draws the wizard's state and carries out
those intents (the connection, the reads, the runner's plans, the config file).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Button, Footer, Header, Input, Label, ProgressBar, Static

from xentui.actions.onboard import (
    HostProfile,
    NewHostConnection,
    StepOutput,
    add_host_to_config_file,
    config_with_new_host,
    gather_failures,
    not_mirrored,
    pool_host_session,
    update_differences,
)
from xentui.actions.onboard import wizard as wz
from xentui.actions.onboard import work as onboarding
from xentui.actions.onboard.wizard import Do, Outcome, Press, Wizard, Work, joined_entry
from xentui.actions.plan import Step
from xentui.core.config import Config, HostEntry, load_config
from xentui.ui.panes.onboard_render import (
    checks_summary,
    checks_table,
    config_offer_text,
    connection_text,
    files_intro,
    intro_text,
    join_text,
    level_text,
    next_text as verdict_and_next_step,
    step_text,
    updates_table,
)
from xentui.ui.panes.spec import PaneContext, PaneScreen, PaneSpec
from xentui.ui.render import plain_text
from xentui.ui.theme import BAD, GOOD, MUTED, WARN

__all__ = ["ONBOARD_PANE", "OnboardScreen"]

#: the intents that are work (they wait on a host); the others draw, ask or focus
_WORK = (Do.OPEN_CONNECTION, Do.RUN_TRUST, Do.READ_HOSTS, Do.NAME_JOINED_HOST, Do.WATCH_HOST)


def _is_work(intent: wz.Intent) -> bool:
    return intent in _WORK or isinstance(intent, (wz.RunLevel, wz.RunJoin))

_TONE = {"bad": BAD, "warn": WARN, "muted": MUTED}

# --------------------------------------------------------------------------- the screen


def _field(label: str, **input_kw: Any) -> Horizontal:
    """One labelled input line of a step."""
    return Horizontal(Label(label), Input(compact=True, **input_kw), classes="ob-row")


class OnboardScreen(PaneScreen):
    """Connect, check, bring level, join — one host into this pool."""

    DEFAULT_CSS = """
    OnboardScreen { layout: vertical; }
    OnboardScreen #ob-body { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    OnboardScreen .ob-step { text-style: bold; color: $accent; background: $primary 15%; margin-top: 1; padding: 0 1; }
    OnboardScreen .ob-row { height: 1; margin-bottom: 0; }
    OnboardScreen .ob-row Label { width: 16; color: $text-muted; }
    OnboardScreen .ob-row Input { width: 1fr; }
    OnboardScreen .ob-buttons { height: 1; margin: 1 0 0 0; }
    OnboardScreen .ob-buttons Button { margin-right: 2; }
    OnboardScreen #ob-files { height: auto; }
    OnboardScreen #ob-progress { height: 1; }
    OnboardScreen .ob-out { height: auto; }
    OnboardScreen #ob-next { height: auto; max-height: 4; padding: 0 1; background: $panel; }
    """

    BINDINGS = [
        Binding("f5", "recheck", "Re-check", priority=True),
        Binding("f8", "next_step", "Next step", priority=True),
    ]

    def __init__(self, ctx: PaneContext) -> None:
        super().__init__(ctx)
        self.wizard = Wizard(live=ctx.engine is not None, timeout=self._timeout())
        self.conn: NewHostConnection | None = None  # the connection itself (the wizard sees a `Link`)
        self.level_steps: list[StepOutput] = []
        self.post_join: list[str] = []  # the checked steps after the join (session, table row)
        self.ready = False  # composed and shown (tests)
        self._anchor: str | None = None  # the step kept at the top of the pane across resizes
        self.profiles_read = 0  # tests: how many times both hosts were read
        self.log_lines: list[str] = []  # what the pane said, in order (tests, debugging)
        self._next_shown: str | None = None  # the fixed next-step line as last drawn
        self._noted: dict[str, str] = {}  # per output area: the outcome last sent to the activity view
        self._drawing = 0  # an outcome is being drawn: the step is not over until it is shown
        self._answer: asyncio.Future[bool] | None = None  # the runner's question, open

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        pool_cfg = getattr(self.ctx.source, "pool", None)
        user = getattr(pool_cfg, "user", None) or "root"
        yield Header()
        with VerticalScroll(id="ob-body"):
            yield Static("", id="ob-intro")
            yield Static("1  Connect to the new host", classes="ob-step", id="ob-step1")
            yield _field("address", placeholder="ssh alias or address[:port] of the new host", id="ob-address")
            yield _field("ssh user", value=user, id="ob-user")
            yield _field("ssh password", placeholder="empty: keys / agent / ssh_config of the pool", password=True,
                         id="ob-ssh-password")
            with Horizontal(classes="ob-buttons"):
                yield Button("Connect", id="ob-connect", variant="primary", compact=True)
                yield Button("Trust this host key", id="ob-trust", variant="warning", compact=True)
            yield Static("", id="ob-conn", classes="ob-out")

            yield Static("2  Pre-join checks", classes="ob-step", id="ob-step2")
            yield Static(Text("connect first", style=MUTED), id="ob-summary", classes="ob-out")
            yield Static("", id="ob-updates", classes="ob-out")
            yield Static("", id="ob-checks", classes="ob-out")

            yield Static("3  Bring it level", classes="ob-step", id="ob-step3")
            yield Static(Text("connect first", style=MUTED), id="ob-level-intro", classes="ob-out")
            yield Vertical(id="ob-files")
            with Horizontal(classes="ob-buttons"):
                yield Button("Upload and apply", id="ob-level", variant="primary", compact=True)
                yield Button("Re-check (F5)", id="ob-recheck", compact=True)
            yield ProgressBar(total=1, id="ob-progress", show_eta=False)
            yield Static("", id="ob-level-log", classes="ob-out")

            yield Static("4  Join the pool", classes="ob-step", id="ob-step4")
            yield _field("master address", placeholder="the pool master's management address", id="ob-master")
            yield _field("master user", value="root", id="ob-master-user")
            yield _field("pool password", placeholder="the pool master's root password (never stored or shown)",
                         password=True, id="ob-pool-password")
            with Horizontal(classes="ob-buttons"):
                yield Button("Join the pool", id="ob-join", variant="error", compact=True)
                yield Button("Add to the xentui config", id="ob-add-config", compact=True)
            yield Static("", id="ob-join-why", classes="ob-out")
            yield Static("", id="ob-join-result", classes="ob-out")
            yield Static("", id="ob-config", classes="ob-out")
        yield Static("", id="ob-next")  # the verdict and the exact next step, never scrolled away (80x24)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.sub_title = f"onboarding · pool {self.ctx.pool}"
        self.wizard = Wizard(live=self.ctx.engine is not None, config_file=self._config_path() is not None,
                             timeout=self._timeout())
        self.call_after_refresh(self._first_show)

    def _first_show(self) -> None:
        self.query_one("#ob-progress").display = False
        self._render_intro()
        self._sync_buttons()
        self.query_one("#ob-address", Input).focus()
        self.ready = True

    # ------------------------------------------------------------------ the wizard's state, as the pane shows it
    @property
    def busy(self) -> bool:
        """A step runs, or its outcome is still being drawn."""
        return self.wizard.running is not None or self._drawing > 0

    # ------------------------------------------------------------------ forwarding to the wizard
    def _link(self) -> wz.Link | None:
        return onboarding.link_of(self.conn)

    def _send(self, event: wz.Event) -> list[wz.Intent]:
        """The wizard takes the event; its new state is the pane's; what it asks for is returned."""
        self.wizard, intents = self.wizard.handle(event)
        return intents

    def _forward(self, event: wz.Event, **secrets: Any) -> None:
        """An event from the admin: what only draws, asks or answers is done now; work goes to a worker."""
        intents = self._send(event)
        self._sync_buttons()
        if any(_is_work(i) or i is Do.SHOW_CHECKS for i in intents):
            self._work(intents, secrets)
        else:
            for intent in intents:
                self._now(intent)

    @work(exclusive=True, group="onboard", exit_on_error=False)
    async def _work(self, intents: Sequence[wz.Intent], secrets: dict[str, Any]) -> None:
        await self._carry_out(intents, secrets)

    async def _feed(self, event: wz.Event) -> None:
        """An outcome of the pane's work: the wizard takes it; its intents are carried out in order."""
        intents = self._send(event)
        self._sync_buttons()
        await self._carry_out(intents, {})

    async def _carry_out(self, intents: Sequence[wz.Intent], secrets: dict[str, Any]) -> None:
        for intent in intents:
            if _is_work(intent):
                await self._do_work(intent, secrets)
                continue
            self._drawing += 1
            try:
                if intent is Do.SHOW_CHECKS:
                    await self._show_checks()
                else:
                    self._now(intent)
            finally:
                self._drawing -= 1
        self._sync_buttons()

    def _now(self, intent: wz.Intent) -> None:
        """Carry out an intent that waits on nothing."""
        if isinstance(intent, wz.Notice):
            self._say(intent.area, Text(intent.text, style=_TONE[intent.tone]), outcome=True)
        elif intent is Do.SHOW_CONNECTION:
            self._show_connection()
        elif intent is Do.SHOW_LEVEL:
            self._show_level()
        elif intent is Do.SHOW_JOIN:
            self._render_join()
        elif isinstance(intent, wz.Focus):
            self._focus(intent)
        elif isinstance(intent, wz.Start):
            self._begin(intent.step)
        elif intent is Do.ASK_ADMIN:
            self._ask()
        elif intent in (Do.CONFIRM, Do.DECLINE):
            if self._answer is not None and not self._answer.done():
                self._answer.set_result(intent is Do.CONFIRM)
        elif intent is Do.REFRESH_POOL:
            self.ctx.source.refresh()
        elif intent is Do.WRITE_CONFIG:
            self._write_config()
        elif intent is Do.WAIT:
            self.notify("a step is running: wait for it to finish", severity="warning", timeout=3)
        else:  # pragma: no cover - every intent is named above
            raise TypeError(f"the pane cannot carry out {intent!r}")

    async def _do_work(self, intent: wz.Intent, secrets: dict[str, Any]) -> None:
        running = self.wizard.running
        try:
            if intent is Do.OPEN_CONNECTION:
                await self._open_connection(secrets.get("user"), secrets.get("password"))
            elif intent is Do.RUN_TRUST:
                await self._run_trust()
            elif intent is Do.READ_HOSTS:
                await self._read_profiles()
            elif isinstance(intent, wz.RunLevel):
                await self._run_level(intent.paths)
            elif isinstance(intent, wz.RunJoin):
                await self._run_join(intent.address, intent.user, secrets.get("password", ""))
            elif intent is Do.NAME_JOINED_HOST:
                entry = self._joined_entry()
                if entry is not None:
                    await self._feed(wz.HostNamed(entry))
            elif intent is Do.WATCH_HOST:
                await self._watch_new_host()
        except BaseException:
            if running is not None:
                self._send(wz.Interrupted(running))
                try:
                    self._sync_buttons()
                except NoMatches:  # the pane is being closed: nothing to draw
                    pass
            raise

    def _focus(self, intent: wz.Focus) -> None:
        if intent.target.startswith("file:"):
            fields = self.file_inputs()
            i = int(intent.target.split(":", 1)[1])
            if i < len(fields):
                fields[i].focus(scroll_visible=intent.scroll)
        else:
            self.query_one(f"#{intent.target}", Input).focus(scroll_visible=intent.scroll)

    # ------------------------------------------------------------------ helpers
    def _say(self, widget_id: str, content: RenderableType, *, outcome: bool | str = False) -> None:
        """Show `content` in one output area (it replaces what the area said: each step shows its
        latest). An `outcome` (not a progress line) also goes to the activity view, named by host
        and time-stamped, so the outcomes it replaces stay readable there, in order: what the area
        shows, or the text given (the outcome without the commands, which the view lists already)."""
        self.query_one(f"#{widget_id}", Static).update(content)
        text = content.plain if isinstance(content, Text) else plain_text(self.query_one(f"#{widget_id}", Static))
        self.log_lines.append(f"{widget_id}: {text}")
        if outcome:
            self._note(widget_id, outcome if isinstance(outcome, str) else text)

    def _note(self, widget_id: str, text: str) -> None:
        text = "\n".join(line.rstrip() for line in text.splitlines() if line.strip())
        if not text or self._noted.get(widget_id) == text:  # drawn again unchanged: no new outcome
            return
        self._noted[widget_id] = text
        note = getattr(self.app, "note", None)
        if note is not None:
            note(self._note_host(), text, source="onboarding", pool=self.ctx.pool)

    def _note_host(self) -> str:
        """The new host as the pane names it now: joined, by its hostname; before, as typed."""
        if self.wizard.entry is not None:
            return self.wizard.entry.name
        if self.conn is not None:
            return self.conn.name
        return self.query_one("#ob-address", Input).value.strip() or "new host"

    def text_of(self, widget_id: str) -> str:
        """What one output area shows, as plain text (tests)."""
        return plain_text(self.query_one(f"#{widget_id}", Static), width=160)

    @property
    def session(self) -> Any:
        """The new host's session (opened by `actions.onboard.connect_to_join`), None before."""
        return self.conn.session if self.conn is not None else None

    @property
    def connected(self) -> bool:
        return self.conn is not None and self.conn.up

    def _master_name(self) -> str | None:
        slot = getattr(self.app, "pools", {}).get(self.ctx.pool)
        d = slot.diagnosis if slot is not None and slot.diagnosis is not None else self.ctx.diagnosis
        ref = d.master or d.majority_master
        if ref is not None:
            return ref.name
        for name, f in self.ctx.facts.items():
            if f.role is not None and f.role.value == "master" and f.reachable:
                return name
        return None

    def _master_session(self) -> Any:
        return pool_host_session(self.ctx.engine, self._master_name())

    def _timeout(self) -> float:
        return float(self.ctx.settings.command_timeout)

    def _render_intro(self) -> None:
        self._say("ob-intro", intro_text(self.ctx.pool, self._master_name(), live=self.ctx.engine is not None,
                                         dry_run=self.ctx.dry_run))

    def _sync_buttons(self) -> None:
        self._send(wz.LinkSeen(self._link()))  # a session may have dropped since it was drawn
        b = self.wizard.buttons()
        self.query_one("#ob-trust", Button).display = b.trust
        self.query_one("#ob-connect", Button).disabled = not b.connect
        self.query_one("#ob-level", Button).disabled = not b.level
        self.query_one("#ob-recheck", Button).disabled = not b.recheck
        self.query_one("#ob-join", Button).disabled = not b.join
        if self.text_of("ob-join-why").strip() != b.join_why:
            self._say("ob-join-why", Text(b.join_why, style=BAD))
        self.query_one("#ob-add-config", Button).display = b.add_config
        self._show_next()

    # ------------------------------------------------------------------ the fixed verdict and next step
    def next_text(self) -> Text:
        """Two lines kept below the scrolled steps: where onboarding stands, and the exact next step
        (with its host and command) or why there is none — what F8 does."""
        fields = self.file_inputs()
        return verdict_and_next_step(
            self.wizard, self.conn, first_file=fields[0].value.strip() if fields else "",
            master_address=self.query_one("#ob-master", Input).value.strip(),
            master_user=self.query_one("#ob-master-user", Input).value.strip(), config_path=self._config_path())

    def _show_next(self) -> None:
        text = self.next_text()
        if text.plain != self._next_shown:
            self._next_shown = text.plain
            self.query_one("#ob-next", Static).update(text)

    @on(Input.Changed, "#ob-master, #ob-master-user, #ob-files Input")
    def _next_inputs_changed(self) -> None:
        self._show_next()

    # ------------------------------------------------------------------ keys and buttons: forwarded
    def _file_fields(self) -> tuple[wz.FileField, ...]:
        fields = []
        for i in self.file_inputs():
            typed = str(i.value)
            path = Path(typed.strip()).expanduser()
            fields.append(wz.FileField(typed=typed, path=str(path), is_file=bool(typed.strip()) and path.is_file()))
        return tuple(fields)

    def action_next_step(self) -> None:
        """F8: the step the line above the footer names (each change still asks its confirmation)."""
        if self.busy:
            return
        self._forward(wz.NextStep(self._file_fields(), bool(self.query_one("#ob-pool-password", Input).value)))

    def _begin(self, step: str) -> None:
        """A step pressed (a button, Enter in its field, F8): its fields go to the wizard, unless a step runs."""
        if self.busy:
            return
        if step == "connect":
            user = self.query_one("#ob-user", Input).value.strip() or None
            pw_input = self.query_one("#ob-ssh-password", Input)
            password = pw_input.value or None
            pw_input.value = ""  # memory only, and only in the session's target
            if password:
                self.app.audit.add_secret(password)  # type: ignore[attr-defined]
            address = self.query_one("#ob-address", Input).value
            self._forward(wz.ConnectPressed(address), user=user, password=password)
        elif step == "trust":
            self._forward(Press.TRUST)
        elif step == "level":
            if self.app.refuse_read_only("uploading and applying updates on the new host"):  # type: ignore[attr-defined]
                return
            self._forward(wz.LevelPressed(self._file_fields()))
        elif step == "join":
            if self.app.refuse_read_only("joining the new host to the pool"):  # type: ignore[attr-defined]
                return
            pw_input = self.query_one("#ob-pool-password", Input)
            password = pw_input.value
            pw_input.value = ""  # gone from the screen at once; the admin types it again to retry
            self.app.audit.add_secret(password)  # type: ignore[attr-defined]
            self._forward(wz.JoinPressed(self.query_one("#ob-master", Input).value,
                                         self.query_one("#ob-master-user", Input).value, bool(password)),
                          password=password)
        elif step == "config":
            self._forward(Press.ADD_CONFIG)

    @on(Button.Pressed, "#ob-connect")
    @on(Input.Submitted, "#ob-address, #ob-user, #ob-ssh-password")
    def _connect_pressed(self) -> None:
        self._begin("connect")

    @on(Button.Pressed, "#ob-trust")
    def _trust_pressed(self) -> None:
        self._begin("trust")

    def action_recheck(self) -> None:
        if self.connected and not self.busy:
            self._send(wz.LinkSeen(self._link()))
            self._forward(Press.RECHECK)

    @on(Button.Pressed, "#ob-recheck")
    def _recheck_pressed(self) -> None:
        self.action_recheck()

    @on(Button.Pressed, "#ob-level")
    @on(Input.Submitted, "#ob-files Input")
    def _level_pressed(self) -> None:
        self._begin("level")

    @on(Button.Pressed, "#ob-join")
    @on(Input.Submitted, "#ob-pool-password, #ob-master, #ob-master-user")
    def _join_pressed(self) -> None:
        if not self.query_one("#ob-join", Button).disabled:
            self._begin("join")

    @on(Button.Pressed, "#ob-add-config")
    def _add_config(self) -> None:
        self._begin("config")

    async def action_back(self) -> None:
        for intent in self._send(Press.BACK):
            if intent is Do.LEAVE:
                if self.conn is not None:
                    await self.conn.close()
                self.dismiss(None)
            else:
                self._now(intent)

    def on_unmount(self) -> None:
        # the console quits with the pane open: do not leave the new host's connection behind
        if self.conn is not None:
            self.conn.abort()

    def file_inputs(self) -> list[Input]:
        return list(self.query("#ob-files Input").results(Input))

    def _config(self) -> Config | None:
        config = getattr(self.app, "config", None)
        if isinstance(config, Config):
            return config
        pool_cfg = getattr(self.ctx.source, "pool", None)
        if pool_cfg is None:
            return None
        return Config(pools=(pool_cfg,))

    def _config_path(self) -> Path | None:
        """The config file the console was started from (None: started otherwise)."""
        path = getattr(self.app, "config_path", None)
        if path is None or not isinstance(getattr(self.app, "config", None), Config):
            return None
        return Path(path)

    # ------------------------------------------------------------------ step 1: connect (the wizard's intents)
    async def _open_connection(self, user: str | None, password: str | None) -> None:
        entry = self.wizard.entry
        assert entry is not None  # the wizard opens a connection only to the host typed
        self._say("ob-conn", Text(f"connecting to {entry.name}…", style=MUTED))
        self.conn, connected = await onboarding.open_connection(
            self.ctx.engine, self.conn, entry, user=user, password=password)
        await self._feed(connected)

    def _show_connection(self) -> None:
        if self.conn is not None:
            self._say("ob-conn", connection_text(self.conn), outcome=True)

    async def _run_trust(self) -> None:
        assert self.conn is not None  # the wizard asks for it only with a link
        await self._feed(await onboarding.run_trust(self._runner(), self.conn, timeout=self._timeout()))

    # ------------------------------------------------------------------ step 2: checks
    async def _read_profiles(self) -> None:
        session, master = self.session, self._master_session()
        if session is None:
            await self._feed(wz.Interrupted(Work.READ))
            return
        if master is None:
            await self._feed(Outcome.NO_MASTER)
            return
        self._say("ob-summary", Text(f"reading {session.name} and the pool master {master.name}…", style=MUTED))
        await self._feed(await onboarding.read_hosts(session, master, timeout=self._timeout()))
        self.profiles_read += 1
        if self.profiles_read == 1:  # the first read: the checks are what the admin wants to see next
            self._anchor = "ob-step2"
            self._scroll_to_anchor()

    async def _set_profiles(self, new: HostProfile, pool: HostProfile) -> None:
        """Both hosts as read: the wizard takes them; the checks, the files and the focus follow."""
        await self._feed(wz.HostsRead(new, pool))

    async def _show_checks(self) -> None:
        pool = self.wizard.pool
        master = self.query_one("#ob-master", Input)
        if pool is not None and not master.value and pool.address:
            master.value = pool.address
        self._render_checks()
        await self._render_files()
        self._sync_buttons()

    def _scroll_to_anchor(self) -> None:
        if self._anchor:
            self.query_one("#ob-body", VerticalScroll).scroll_to_widget(
                self.query_one(f"#{self._anchor}"), top=True, animate=False)

    def on_resize(self) -> None:
        # keep the checks at the top while the admin has not moved on (the text reflows)
        self.call_after_refresh(self._scroll_to_anchor)

    def on_descendant_focus(self) -> None:
        if self.profiles_read:
            self._anchor = None

    def _render_checks(self) -> None:
        new, pool = self.wizard.new, self.wizard.pool
        if new is None or pool is None:
            return
        new_name, pool_name = new.label, f"{pool.label} (master)"
        self._say("ob-summary", checks_summary(list(self.wizard.checks), gather_failures(new, pool)), outcome=True)
        rows = update_differences(new, pool)
        self._say("ob-updates", updates_table(rows, new_name))
        self._say("ob-checks", checks_table(list(self.wizard.checks), new_name, pool_name, not_mirrored(pool)))

    async def _render_files(self) -> None:
        box = self.query_one("#ob-files", Vertical)
        await box.remove_children()
        new = self.wizard.new
        if new is None:
            return
        self._say("ob-level-intro", files_intro(new, self.wizard.missing))
        rows = []
        for i, u in enumerate(self.wizard.missing):
            # proposed from the settings' update_dir when the file is there (still checked before it is sent)
            udir = self.ctx.settings.update_dir
            proposed = Path(udir).expanduser() / f"{u.name_label}.iso" if udir is not None else None
            rows.append(_field(u.label()[:15],
                               value=str(proposed) if proposed is not None and proposed.is_file() else "",
                               placeholder=f"path to the {u.name_label} file on this jump box", id=f"ob-file-{i}"))
        await box.mount_all(rows)

    # ------------------------------------------------------------------ step 3: bring level
    async def _run_level(self, paths: Sequence[str]) -> None:
        self.level_steps = []
        bar = self.query_one("#ob-progress", ProgressBar)
        bar.display = True
        bar.update(total=max(1, sum(Path(p).stat().st_size for p in paths)), progress=0)
        sent: dict[str, int] = {}

        def progress(name: str, done: int, total: int) -> None:
            sent[name] = done
            bar.update(progress=sum(sent.values()))

        def step(s: StepOutput) -> None:
            self.level_steps.append(s)
            self._say("ob-level-log", step_text(self.level_steps))

        levelled = await onboarding.run_level(self._runner(), self.session, self._master_session(), self.wizard, paths,
                                        timeout=self._timeout(), on_progress=progress, on_step=step)
        await self._feed(levelled)
        if levelled.report.new_profile is not None and levelled.report.pool_profile is not None:
            self.profiles_read += 1

    def _runner(self) -> Any:
        """The one runner: it confirms (the console's dialog, through the wizard), honours dry-run and audits."""

        async def confirm(step: Step) -> bool:
            answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self._answer = answer
            for intent in self._send(wz.ConfirmAsked(step)):
                self._now(intent)
            return await answer

        return self.ctx.make_runner(confirm)

    def _show_level(self) -> None:
        assert self.wizard.level_report is not None  # the wizard shows the level it took
        text, outcome = level_text(self.wizard.level_report)
        self._say("ob-level-log", text, outcome=outcome)

    # ------------------------------------------------------------------ step 4: join
    async def _run_join(self, address: str, user: str, password: str) -> None:
        assert self.wizard.new is not None  # the wizard joins only what was read
        runner = self._runner()
        self._say("ob-join-result", Text(f"joining… then waiting for {self.wizard.new.label}'s toolstack restart",
                                         style=MUTED))
        await self._feed(await onboarding.run_join(
            runner, self.session, self._master_session(), self.wizard, address, user, password,
            self.app.audit, timeout=self._timeout(), fuse=float(self.ctx.settings.toolstack_fuse)))  # type: ignore[attr-defined]

    def _joined_entry(self) -> HostEntry | None:
        """The joined host as the console and the config name it (`wizard.joined_entry`): its hostname
        unless the console or the config already has that name."""
        entry, new = self.wizard.entry, self.wizard.new
        if entry is None or new is None:
            return entry
        taken = set(self.ctx.source.facts)
        config = self._config()
        if config is not None:
            try:
                taken |= set(config.pool(self.ctx.pool).host_names)
            except Exception:
                pass
        return joined_entry(entry, new.hostname, taken)

    async def _watch_new_host(self) -> None:
        """The engine starts a session to the new host; done when its own probe (not the join's
        report) shows it as a slave of this pool's master — then it is a row of the console."""
        engine, entry = self.ctx.engine, self.wizard.entry
        if engine is None or entry is None:
            return
        engine.add_host(entry)
        self.ctx.source.refresh(entry.name)
        at = f" at {entry.address}" if entry.address else ""
        self.post_join.append(f"… the console opens a session to {entry.name}{at} and probes it")
        self._render_join()
        settings = self.ctx.settings
        line = await onboarding.until_a_member(
            engine, entry, within=float(settings.connect_timeout) + 3 * float(settings.command_timeout),
            poll=float(settings.poll_interval) / 4)
        self.post_join[-1] = line
        self.ctx.audit_intent(entry.name, f"watch {entry.name} in the console (session opened)",
                              outcome="ok" if line.startswith("✓") else "error", detail=line[2:])
        self._render_join()

    def _render_join(self) -> None:
        report = self.wizard.join_report
        if report is None:
            return
        self._say("ob-join-result", join_text(report, self.post_join), outcome=True)
        if report.joined:
            self._offer_config()

    # ------------------------------------------------------------------ config
    def _offer_config(self) -> None:
        entry = self.wizard.entry
        config = self._config()
        if entry is None or config is None:
            return
        try:
            new_config = config_with_new_host(config, self.ctx.pool, entry)
        except Exception as e:
            self._say("ob-config", Text(f"the config cannot take {entry.name}: {e}", style=BAD), outcome=True)
            return
        if new_config == config:
            self._send(Outcome.IN_CONFIG)
        self._say("ob-config", config_offer_text(entry, self.ctx.pool, new_config, already=new_config == config,
                                                 path=self._config_path()), outcome=True)
        self._sync_buttons()

    def _write_config(self) -> None:
        config, path, entry = self._config(), self._config_path(), self.wizard.entry
        if config is None or path is None or entry is None:
            return
        try:
            add_host_to_config_file(path, self.ctx.pool, entry)
            reread = load_config(path).pool(self.ctx.pool).host_names  # read back, not assumed
        except Exception as e:
            self._say("ob-config", Text(f"✗ not written: {e}", style=BAD), outcome=True)
            return
        if entry.name not in reread:
            self._say("ob-config", Text(f"✗ {path} read back does not list {entry.name}", style=BAD), outcome=True)
            return
        self._send(Outcome.CONFIG_WRITTEN)
        self.ctx.audit_intent(entry.name, f"add {entry.name} to pool {self.ctx.pool} in {path}", outcome="ok",
                              detail="read back: " + ", ".join(reread))
        self._say("ob-config", Text(f"✓ {entry.name} added to pool {self.ctx.pool} in {path} "
                                    f"(read back: {len(reread)} hosts; comments kept)", style=GOOD), outcome=True)
        self._sync_buttons()

    # ------------------------------------------------------------------ confirmation
    def _ask(self) -> None:
        """The runner holds a step (the wizard's `asking`): the console's confirmation dialog asks the admin;
        the answer goes to the wizard."""
        step = self.wizard.asking
        assert step is not None  # the wizard asks only in its asking state

        def done(ok: bool) -> None:
            self._forward(Press.YES if ok else Press.NO)

        self.ctx.confirm(step.host, step.command, done, title=f"{step.action} on {step.host}",
                         explanation=f"{step.why.rstrip('.')}. Checked afterwards: {step.verify.rstrip('.')}.")


ONBOARD_PANE = PaneSpec(
    id="onboard", key="o", title="Onboard", factory=OnboardScreen,
    description="onboarding: connect to a new host, pre-join checks, bring it level, join it to this pool",
)

#: the panes this module adds to the pool screen (ui/panes/__init__.py lists the module)
PANES = (ONBOARD_PANE,)
