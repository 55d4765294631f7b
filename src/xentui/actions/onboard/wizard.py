"""The onboarding wizard as a pure state machine: connect, check, bring level, join, add to the config.

The console's pane (`xentui.ui.panes.onboard`) draws a `Wizard` and forwards to it what the
admin does (`ConnectPressed`, `NextStep` for F8, ...) and what its work came to
(`Connected`, `HostsRead`, `Levelled`, `JoinRan`, ...). `Wizard.handle(event)` returns the
next state and the intents the pane carries out, in order, as data: open a connection, read
both hosts, run the trust / level / join plan through the one runner, ask the admin to
confirm a step the runner holds, write the config, show a refusal. Nothing here waits,
opens a connection or touches a screen, so every transition is tested without Textual
(tests/actions/test_onboard_wizard.py).

A change reaches a host only through the runner, and the runner holds each dangerous step
until its `confirm(step)` answers: the pane forwards that question (`ConfirmAsked`), the
wizard moves to its asking state and emits `AskAdmin`; only the admin's answer there
(`Answered(True)`) produces `Answer(True)`, the one intent that lets a step go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

from xentui.actions.onboard.checks import JoinCheck, gather_failures, join_refusal, missing_updates
from xentui.actions.onboard.gather import HostProfile, UpdateInfo
from xentui.actions.onboard.join import JoinReport
from xentui.actions.onboard.steps import LevelReport
from xentui.actions.plan import Step
from xentui.core.config import HostEntry
from xentui.xe import commands as xc

__all__ = [
    "AddConfigPressed", "Answer", "Answered", "AskAdmin", "BackPressed", "Buttons", "ConfigChecked",
    "ConfigWritten", "ConfirmAsked", "ConnectPressed", "Connected", "Event", "FileField", "Focus", "HostNamed",
    "HostsRead", "Intent", "Interrupted", "JoinPressed", "JoinRan", "Leave", "Levelled", "LevelPressed", "Link",
    "LinkSeen", "NameJoinedHost", "NextStep", "NoMaster", "Notice", "OpenConnection", "ReadHosts", "RecheckPressed",
    "RefreshPool", "RunJoin", "RunLevel", "RunTrust", "ShowChecks", "ShowConnection", "ShowJoin", "ShowLevel",
    "Stage", "Start", "TrustPressed", "Trusted", "Wait", "WatchHost", "Wizard", "Work", "WriteConfig",
]


class Work(StrEnum):
    """What the wizard is waiting for (one at a time: the admin cannot start a second)."""

    CONNECT = "connect"
    TRUST = "trust"
    READ = "read"  # both hosts' profiles
    LEVEL = "level"  # the missing updates uploaded and applied
    JOIN = "join"


#: the work that runs a plan through the runner (the runner may ask to confirm a step)
RUNS_A_PLAN = frozenset({Work.TRUST, Work.LEVEL, Work.JOIN})


class Stage(StrEnum):
    """Where onboarding stands, as the fixed line names it."""

    OFFLINE = "offline"  # recorded facts: no engine, nothing can be connected
    NOT_CONNECTED = "not-connected"  # no connection yet, or the last one failed
    UNTRUSTED = "untrusted"  # refused: the new host's key is unknown
    CONNECTED = "connected"  # connected, both hosts not read yet
    CHECKED = "checked"  # both hosts read: the checks are known
    JOINED = "joined"  # pool-join accepted


@dataclass(frozen=True)
class Link:
    """What the pane's connection to the new host is now (the connection itself stays in the pane)."""

    name: str
    up: bool = False
    needs_trust: bool = False  # refused for an unknown host key
    trustable: bool = False  # the key and where to write it are known


@dataclass(frozen=True)
class FileField:
    """One update file field as typed, the path it names on this jump box, and whether a file is there."""

    typed: str
    path: str = ""
    is_file: bool = False


# --------------------------------------------------------------------------- events
@dataclass(frozen=True)
class ConnectPressed:
    address: str


@dataclass(frozen=True)
class TrustPressed:
    pass


@dataclass(frozen=True)
class RecheckPressed:
    pass


@dataclass(frozen=True)
class LevelPressed:
    files: tuple[FileField, ...]


@dataclass(frozen=True)
class JoinPressed:
    address: str
    user: str
    password_typed: bool  # the password stays in the pane: only whether one was typed comes here


@dataclass(frozen=True)
class AddConfigPressed:
    pass


@dataclass(frozen=True)
class NextStep:
    """F8: the step the fixed line names."""

    files: tuple[FileField, ...] = ()
    password_typed: bool = False


@dataclass(frozen=True)
class BackPressed:
    pass


@dataclass(frozen=True)
class LinkSeen:
    """The connection as it is now (a session may drop after it was up)."""

    link: Link | None


@dataclass(frozen=True)
class Connected:
    """The connection attempt ended: up, refused for its key, or failed."""

    link: Link


@dataclass(frozen=True)
class Trusted:
    ok: bool
    why: str
    link: Link


@dataclass(frozen=True)
class NoMaster:
    """Both hosts cannot be read: no pool master is visible."""


@dataclass(frozen=True)
class HostsRead:
    new: HostProfile
    pool: HostProfile
    checks: tuple[JoinCheck, ...]


@dataclass(frozen=True)
class Levelled:
    report: LevelReport


@dataclass(frozen=True)
class JoinRan:
    report: JoinReport | None  # None: the pool-join was not run (dry run, declined, refused)
    status: str = ""  # the runner's status of the join step
    explanation: str = ""
    dry_run: bool = False


@dataclass(frozen=True)
class HostNamed:
    """The joined host's name in the console and the config (its hostname when free)."""

    entry: HostEntry


@dataclass(frozen=True)
class ConfigChecked:
    already: bool  # the config already lists the joined host


@dataclass(frozen=True)
class ConfigWritten:
    path: str


@dataclass(frozen=True)
class ConfirmAsked:
    """The runner holds a dangerous step until the admin answers."""

    step: Step


@dataclass(frozen=True)
class Answered:
    ok: bool


@dataclass(frozen=True)
class Interrupted:
    """The work ended without its outcome (an error, the pane closed)."""

    work: Work


Event = (ConnectPressed | TrustPressed | RecheckPressed | LevelPressed | JoinPressed | AddConfigPressed | NextStep
         | BackPressed | LinkSeen | Connected | Trusted | NoMaster | HostsRead | Levelled | JoinRan
         | HostNamed | ConfigChecked | ConfigWritten | ConfirmAsked | Answered | Interrupted)


# --------------------------------------------------------------------------- intents
@dataclass(frozen=True)
class Notice:
    """One outcome line in an output area (a refusal unless `tone` says otherwise)."""

    area: str
    text: str
    tone: Literal["bad", "warn", "muted"] = "bad"


@dataclass(frozen=True)
class OpenConnection:
    entry: HostEntry  # the user and the password come from the pane's fields


@dataclass(frozen=True)
class RunTrust:
    """The trust plan (write the shown key to known_hosts) through the runner."""


@dataclass(frozen=True)
class ReadHosts:
    """Read the new host's and the pool master's profiles."""


@dataclass(frozen=True)
class RunLevel:
    paths: tuple[str, ...]


@dataclass(frozen=True)
class RunJoin:
    address: str
    user: str


@dataclass(frozen=True)
class AskAdmin:
    step: Step


@dataclass(frozen=True)
class Answer:
    """The answer the runner awaits for the step it holds."""

    ok: bool


@dataclass(frozen=True)
class ShowConnection:
    pass


@dataclass(frozen=True)
class ShowChecks:
    pass


@dataclass(frozen=True)
class ShowLevel:
    report: LevelReport


@dataclass(frozen=True)
class ShowJoin:
    pass


@dataclass(frozen=True)
class Focus:
    target: str  # a widget id, or "file:N" (the N-th update file field)
    scroll: bool = True  # False: the checks stay in view (Enter still works in the field)


@dataclass(frozen=True)
class Start:
    """F8 named a step: the pane takes its fields and presses it."""

    step: Literal["connect", "trust", "level", "join", "config"]


@dataclass(frozen=True)
class RefreshPool:
    pass


@dataclass(frozen=True)
class NameJoinedHost:
    pass


@dataclass(frozen=True)
class WatchHost:
    entry: HostEntry


@dataclass(frozen=True)
class WriteConfig:
    entry: HostEntry


@dataclass(frozen=True)
class Wait:
    text: str


@dataclass(frozen=True)
class Leave:
    pass


Intent = (Notice | OpenConnection | RunTrust | ReadHosts | RunLevel | RunJoin | AskAdmin | Answer | ShowConnection
          | ShowChecks | ShowLevel | ShowJoin | Focus | Start | RefreshPool | NameJoinedHost | WatchHost | WriteConfig
          | Wait | Leave)

#: the intents that start work whose plan may change a host (only a press or F8 produces them)
STARTS_A_PLAN = (RunTrust, RunLevel, RunJoin)


@dataclass(frozen=True)
class Buttons:
    trust: bool  # shown
    connect: bool  # enabled
    level: bool
    recheck: bool
    join: bool
    join_why: str  # why Join is disabled ("" when it is not, or not yet relevant)
    add_config: bool  # shown


# --------------------------------------------------------------------------- the machine
@dataclass(frozen=True)
class Wizard:
    live: bool = True  # an engine: connections can be made
    config_file: bool = False  # the console was started from a config file (it can be written)
    timeout: float = 30.0  # command_timeout: the join's command is built with it
    link: Link | None = None
    entry: HostEntry | None = None  # the new host as typed; after the join, as the console names it
    new: HostProfile | None = None
    pool: HostProfile | None = None
    checks: tuple[JoinCheck, ...] = ()
    missing: tuple[UpdateInfo, ...] = ()
    level_report: LevelReport | None = None
    join_report: JoinReport | None = None
    running: Work | None = None
    asking: Step | None = None  # a step the runner holds until the admin answers
    config_written: str | None = None
    already_configured: bool = False

    # ------------------------------------------------------------------ what it is
    @property
    def connected(self) -> bool:
        return self.link is not None and self.link.up

    @property
    def read(self) -> bool:
        """Both hosts were read."""
        return self.new is not None and self.pool is not None

    @property
    def stage(self) -> Stage:
        if self.join_report is not None and self.join_report.accepted:
            return Stage.JOINED
        if self.read:
            return Stage.CHECKED
        if not self.live:
            return Stage.OFFLINE
        if self.link is None or (not self.link.up and not self.link.needs_trust):
            return Stage.NOT_CONNECTED
        return Stage.UNTRUSTED if not self.link.up else Stage.CONNECTED

    def join_blocked_by(self) -> str | None:
        """Why Join is not offered now (None: every check passes and every fact was read)."""
        if self.new is None or self.pool is None:
            return "the checks have not run"
        return join_refusal(list(self.checks), gather_failures(self.new, self.pool))

    @property
    def add_config_offered(self) -> bool:
        return bool(self.join_report is not None and self.join_report.joined and self.config_file
                    and self.config_written is None and not self.already_configured)

    def buttons(self) -> Buttons:
        idle = self.running is None
        ready = self.connected and self.read
        accepted = self.join_report is not None and self.join_report.accepted
        why = self.join_blocked_by()
        return Buttons(
            trust=self.link is not None and self.link.needs_trust and not self.connected,
            connect=idle and self.live,
            level=idle and ready and bool(self.missing),
            recheck=idle and self.connected,
            join=idle and ready and not accepted and why is None,
            join_why="" if accepted or not ready or why is None else f"Join is disabled: {why}",
            add_config=self.add_config_offered,
        )

    def invariant_broken(self) -> str | None:
        """What is wrong with this state (None: nothing). Every transition keeps it None."""
        if self.asking is not None and self.running not in RUNS_A_PLAN:
            return "asking to confirm a step while no plan runs"
        if (self.new is None) != (self.pool is None):
            return "one host read without the other"
        expected = tuple(missing_updates(self.new, self.pool)) if self.new and self.pool else ()
        if self.missing != expected:
            return "the missing updates are not the ones the profiles show"
        if self.running in (Work.LEVEL, Work.JOIN) and not self.read:
            return f"{self.running} runs without both hosts read"
        if self.running is Work.LEVEL and not self.missing:
            return "levelling a host that lacks nothing"
        if self.running in (Work.READ, Work.TRUST, Work.LEVEL, Work.JOIN) and self.link is None:
            return f"{self.running} runs without a connection"
        if self.config_written is not None and not (self.join_report is not None and self.join_report.joined):
            return "the config written for a host that did not join"
        if self.running is not None and not self.live:
            return "work runs with no engine"
        return None

    # ------------------------------------------------------------------ transitions
    def handle(self, event: Event) -> tuple[Wizard, list[Intent]]:
        """The state after `event` and what the pane must do, in order."""
        rule = _RULES.get(type(event))
        if rule is None:
            raise TypeError(f"not an onboarding event: {event!r}")
        return rule(self, event)

    def _set(self, **kw: object) -> Wizard:
        return replace(self, **kw)  # type: ignore[arg-type]

    def _with_profiles(self, new: HostProfile, pool: HostProfile, checks: tuple[JoinCheck, ...]) -> Wizard:
        return self._set(new=new, pool=pool, checks=tuple(checks), missing=tuple(missing_updates(new, pool)))

    def _focus_after_read(self) -> list[Intent]:
        """The keyboard flow: the next thing to type is the one the checks now allow."""
        if self.missing:
            return [Focus("file:0", scroll=False)]
        if self.join_blocked_by() is None and self.join_report is None:
            return [Focus("ob-pool-password")]
        return []


def _connect(w: Wizard, e: ConnectPressed) -> tuple[Wizard, list[Intent]]:
    if w.running is not None:
        return w, []
    address = e.address.strip()
    if not address:
        return w, [Notice("ob-conn", "Type the new host's ssh alias or address first.")]
    try:
        entry = HostEntry.parse(address)
    except Exception as err:  # pydantic's ValidationError or ValueError: its last line says what
        msg = str(err).splitlines()[-1] if str(err) else type(err).__name__
        return w, [Notice("ob-conn", f"not a host entry: {msg}")]
    if not w.live:
        return w, [Notice("ob-conn", "The console shows recorded facts: no connection can be made.")]
    w = w._set(entry=entry, running=Work.CONNECT, new=None, pool=None, checks=(), missing=(), join_report=None)
    return w, [OpenConnection(entry)]


def _connected(w: Wizard, e: Connected) -> tuple[Wizard, list[Intent]]:
    if w.running is not Work.CONNECT:
        return w, []
    if e.link.up:
        return w._set(link=e.link, running=Work.READ), [ShowConnection(), ReadHosts()]
    return w._set(link=e.link, running=None), [ShowConnection()]


def _trust(w: Wizard, e: TrustPressed) -> tuple[Wizard, list[Intent]]:
    link = w.link
    if w.running is not None or not w.live or link is None or not link.needs_trust or not link.trustable:
        return w, []
    return w._set(running=Work.TRUST), [RunTrust()]


def _trusted(w: Wizard, e: Trusted) -> tuple[Wizard, list[Intent]]:
    if w.running is not Work.TRUST:
        return w, []
    if not e.ok:
        return w._set(running=None, asking=None), [Notice("ob-conn", f"✗ the key was not trusted: {e.why}")]
    if e.link.up:
        return w._set(link=e.link, running=Work.READ, asking=None), [ShowConnection(), ReadHosts()]
    return w._set(link=e.link, running=None, asking=None), [ShowConnection()]


def _recheck(w: Wizard, e: RecheckPressed) -> tuple[Wizard, list[Intent]]:
    if w.running is not None or not w.live or not w.connected:
        return w, []
    return w._set(running=Work.READ), [ReadHosts()]


def _no_master(w: Wizard, e: NoMaster) -> tuple[Wizard, list[Intent]]:
    if w.running is not Work.READ:
        return w, []
    return w._set(running=None), [
        Notice("ob-summary", "No pool master to compare with (the pool is not healthy, or no live engine).")]


def _hosts_read(w: Wizard, e: HostsRead) -> tuple[Wizard, list[Intent]]:
    if w.running not in (None, Work.READ):
        return w, []  # a level or a join runs on what was read: not swapped under it
    w = w._with_profiles(e.new, e.pool, e.checks)._set(running=None)
    return w, [ShowChecks(), *w._focus_after_read()]


def _level(w: Wizard, e: LevelPressed) -> tuple[Wizard, list[Intent]]:
    if w.running is not None or not w.live or w.link is None or not w.read or not w.missing:
        return w, []
    problems = [f"{u.name_label}: type the path of its file" if not f.typed.strip() else
                f"{u.name_label}: no such file on this jump box: {f.path}" if not f.is_file else ""
                for u, f in zip(w.missing, e.files)]
    problems = [p for p in problems if p]
    if problems:
        return w, [Notice("ob-level-log", "; ".join(problems))]
    return w._set(running=Work.LEVEL), [RunLevel(tuple(f.path for f in e.files))]


def _levelled(w: Wizard, e: Levelled) -> tuple[Wizard, list[Intent]]:
    if w.running is not Work.LEVEL:
        return w, []
    r = e.report
    w = w._set(running=None, asking=None, level_report=r)
    if r.new_profile is None or r.pool_profile is None:
        return w, [ShowLevel(r)]
    w = w._with_profiles(r.new_profile, r.pool_profile, tuple(r.checks))
    return w, [ShowLevel(r), ShowChecks(), *w._focus_after_read()]


def _join(w: Wizard, e: JoinPressed) -> tuple[Wizard, list[Intent]]:
    if w.running is not None or not w.live or not w.connected or not w.read:
        return w, []  # as the button: no join on a session that dropped
    if not e.password_typed:
        return w, [Notice("ob-join-result", "Type the pool master's password first (it is not stored).")]
    try:  # the address and the user are checked before anything is asked
        xc.timeout_wrapped(w.timeout, xc.pool_join(e.address.strip(), e.user.strip(), force=False))
    except ValueError as err:
        return w, [Notice("ob-join-result", f"cannot build the pool-join: {err}")]
    refusal = w.join_blocked_by()
    if refusal is not None:  # the button is disabled; a key or a stale click must not get round it
        return w, [Notice("ob-join-result", f"not run: {refusal}")]
    if w.join_report is not None and w.join_report.accepted:
        return w, []
    return w._set(running=Work.JOIN), [RunJoin(e.address.strip(), e.user.strip())]


_NOT_RUN = {"dry-run": "dry run: pool-join was not run (audited as dry-run)",
            "declined": "not confirmed: nothing was run"}


def _join_ran(w: Wizard, e: JoinRan) -> tuple[Wizard, list[Intent]]:
    if w.running is not Work.JOIN:
        return w, []
    w = w._set(running=None, asking=None)
    report = e.report
    if report is None:
        return w, [Notice("ob-join-result", _NOT_RUN.get(e.status, e.explanation), "warn" if e.dry_run else "muted")]
    w = w._set(join_report=report)
    intents: list[Intent] = [ShowJoin()]
    if report.accepted:
        intents.append(RefreshPool())
    if report.joined:
        intents.append(NameJoinedHost())
    return w, intents


def _host_named(w: Wizard, e: HostNamed) -> tuple[Wizard, list[Intent]]:
    if w.join_report is None or not w.join_report.joined:
        return w, []
    return w._set(entry=e.entry), [WatchHost(e.entry)]


def _config_checked(w: Wizard, e: ConfigChecked) -> tuple[Wizard, list[Intent]]:
    return (w._set(already_configured=True) if e.already else w), []


def _add_config(w: Wizard, e: AddConfigPressed) -> tuple[Wizard, list[Intent]]:
    if not w.add_config_offered or w.entry is None:
        return w, []
    return w, [WriteConfig(w.entry)]


def _config_written(w: Wizard, e: ConfigWritten) -> tuple[Wizard, list[Intent]]:
    if not w.add_config_offered:
        return w, []
    return w._set(config_written=e.path), []


def _next_step(w: Wizard, e: NextStep) -> tuple[Wizard, list[Intent]]:
    """F8: the step the fixed line names (each change still asks its confirmation)."""
    if w.running is not None or not w.live:
        return w, []
    if w.join_report is not None and w.join_report.joined:
        return w, [Start("config")] if w.add_config_offered else []
    if not w.connected:
        return w, [Start("trust") if w.link is not None and w.link.needs_trust else Start("connect")]
    if not w.read:
        return w, []
    if w.missing:
        empty = [i for i, f in enumerate(e.files) if not f.typed.strip()]
        return w, [Focus(f"file:{empty[0]}")] if empty else [Start("level")]
    if not w.buttons().join:
        return w, []
    if not e.password_typed:
        return w, [Focus("ob-pool-password")]
    return w, [Start("join")]


def _back(w: Wizard, e: BackPressed) -> tuple[Wizard, list[Intent]]:
    if w.running is not None:
        return w, [Wait("a step is running: wait for it to finish")]
    return w, [Leave()]


def _link_seen(w: Wizard, e: LinkSeen) -> tuple[Wizard, list[Intent]]:
    if w.running is Work.CONNECT:
        return w, []  # the attempt's outcome says what the new link is
    return w._set(link=e.link) if e.link != w.link else w, []


def _confirm_asked(w: Wizard, e: ConfirmAsked) -> tuple[Wizard, list[Intent]]:
    if w.running not in RUNS_A_PLAN or w.asking is not None:
        return w, [Answer(False)]  # no plan of this pane runs, or one question is open: declined
    return w._set(asking=e.step), [AskAdmin(e.step)]


def _answered(w: Wizard, e: Answered) -> tuple[Wizard, list[Intent]]:
    if w.asking is None:
        return w, []
    return w._set(asking=None), [Answer(e.ok)]


def _interrupted(w: Wizard, e: Interrupted) -> tuple[Wizard, list[Intent]]:
    if w.running is not e.work:
        return w, []
    return w._set(running=None, asking=None), []


_RULES: dict[type, Callable[[Wizard, object], tuple[Wizard, list[Intent]]]] = {  # type: ignore[dict-item]
    ConnectPressed: _connect,
    Connected: _connected,
    TrustPressed: _trust,
    Trusted: _trusted,
    RecheckPressed: _recheck,
    NoMaster: _no_master,
    HostsRead: _hosts_read,
    LevelPressed: _level,
    Levelled: _levelled,
    JoinPressed: _join,
    JoinRan: _join_ran,
    HostNamed: _host_named,
    ConfigChecked: _config_checked,
    AddConfigPressed: _add_config,
    ConfigWritten: _config_written,
    NextStep: _next_step,
    BackPressed: _back,
    LinkSeen: _link_seen,
    ConfirmAsked: _confirm_asked,
    Answered: _answered,
    Interrupted: _interrupted,
}


def joined_entry(entry: HostEntry | None, hostname: str | None, taken: set[str]) -> HostEntry | None:
    """The joined host as the console and the config name it: by its own hostname, with the
    address it was joined by kept (``{ name = "plot9", address = "10.77.0.9" }``); as typed
    when that is already its name, or when the name is taken."""
    if entry is None or not hostname or hostname == entry.name:
        return entry
    if hostname in taken:
        return entry
    try:
        return HostEntry.labelled(hostname, entry.address or entry.name)
    except ValueError:
        return entry  # a hostname that cannot be a name in the config: keep the address
