"""The onboarding wizard as a pure state machine: connect, check, bring level, join, add to the config.

The console's pane (`xentui.ui.panes.onboard`) draws a `Wizard` and forwards to it what the
admin does (`ConnectPressed`, `NextStep` for F8, ...) and what its work came to
(`Connected`, `HostsRead`, `Levelled`, `JoinRan`, ...); an event that carries nothing more is
a member of `Press` (the admin's) or `Outcome` (the work's). `Wizard.handle(event)` applies
the event's own transition and returns the next state and the intents the pane carries out,
in order, as data (a `Do` member when the wizard's state holds all the pane needs): open a
connection, read both hosts, run the trust / level / join plan through the one runner, ask
the admin to confirm a step the runner holds, write the config, show a refusal. Nothing here
waits, opens a connection or touches a screen, so every transition is tested without Textual
(tests/actions/test_onboard_wizard.py).

A change reaches a host only through the runner, and the runner holds each dangerous step
until its `confirm(step)` answers: the pane forwards that question (`ConfirmAsked`), the
wizard moves to its asking state and emits `Do.ASK_ADMIN`; only the admin's answer there
(`Press.YES`) produces `Do.CONFIRM`, the one intent that lets a step go.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum, StrEnum
from typing import ClassVar, Literal

from xentui.actions.onboard.checks import JoinCheck, gather_failures, join_refusal, missing_updates, prejoin_checks
from xentui.actions.onboard.gather import HostProfile, UpdateInfo
from xentui.actions.onboard.join import JoinReport
from xentui.actions.onboard.steps import LevelReport
from xentui.actions.plan import Step
from xentui.core.config import HostEntry
from xentui.xe import commands as xc

__all__ = [
    "Buttons", "ConfirmAsked", "ConnectPressed", "Connected", "Do", "Event", "FileField", "Focus", "HostNamed",
    "HostsRead", "Intent", "Interrupted", "JoinPressed", "JoinRan", "LevelPressed", "Levelled", "Link", "LinkSeen",
    "NextStep", "Notice", "Outcome", "Press", "RunJoin", "RunLevel", "Stage", "Start", "Transition", "Trusted",
    "Wizard", "Work", "joined_entry", "starts_a_plan",
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


# --------------------------------------------------------------------------- intents
class Do(Enum):
    """What the pane does when the wizard's state holds all it needs (the `entry`, the `asking` step, ...)."""

    OPEN_CONNECTION = "open-connection"  # to `entry`; the user and the password come from the pane's fields
    RUN_TRUST = "run-trust"  # the trust plan (write the shown key to known_hosts) through the runner
    READ_HOSTS = "read-hosts"  # read the new host's and the pool master's profiles
    SHOW_CONNECTION = "show-connection"
    SHOW_CHECKS = "show-checks"
    SHOW_LEVEL = "show-level"  # `level_report`
    SHOW_JOIN = "show-join"  # `join_report`
    REFRESH_POOL = "refresh-pool"  # the console probes the pool again (a host joined it)
    NAME_JOINED_HOST = "name-joined-host"  # how the console and the config call the joined host: `HostNamed`
    WATCH_HOST = "watch-host"  # the console adds the joined host (`entry`) and waits for its own probe to show it
    WRITE_CONFIG = "write-config"  # add the joined host (`entry`) to the config file
    ASK_ADMIN = "ask-admin"  # to confirm the step the runner holds (`asking`)
    CONFIRM = "confirm"  # the runner's question answered yes: the step it holds goes ahead
    DECLINE = "decline"  # answered no: the step is not run
    WAIT = "wait"  # Esc while a step runs: the admin is told to wait for it
    LEAVE = "leave"


@dataclass(frozen=True)
class Notice:
    """One outcome line in an output area (a refusal unless `tone` says otherwise)."""

    area: str
    text: str
    tone: Literal["bad", "warn", "muted"] = "bad"


@dataclass(frozen=True)
class RunLevel:
    paths: tuple[str, ...]


@dataclass(frozen=True)
class RunJoin:
    address: str
    user: str


@dataclass(frozen=True)
class Focus:
    target: str  # a widget id, or "file:N" (the N-th update file field)
    scroll: bool = True  # False: the checks stay in view (Enter still works in the field)


@dataclass(frozen=True)
class Start:
    """F8 named a step: the pane takes its fields and presses it."""

    step: Literal["connect", "trust", "level", "join", "config"]


Intent = Do | Notice | RunLevel | RunJoin | Focus | Start


def starts_a_plan(intent: Intent) -> bool:
    """Whether `intent` starts work whose plan may change a host (only a press or F8 produces one)."""
    return intent is Do.RUN_TRUST or isinstance(intent, (RunLevel, RunJoin))


# --------------------------------------------------------------------------- events, each with its transition
# An outcome of the pane's work names the work it `ends`: while nobody waits for that work, it changes nothing.

#: the state after an event and what the pane must do, in order
Transition = tuple["Wizard", list[Intent]]


class Press(Enum):
    """What the admin presses that carries nothing more (the steps with fields have their own events)."""

    TRUST = "trust"  # Trust this host key
    RECHECK = "recheck"  # Re-check, F5
    ADD_CONFIG = "add-config"  # Add to the xentui config
    BACK = "back"  # Esc
    YES = "yes"  # the admin's answer to the runner's question (`ConfirmAsked`)
    NO = "no"

    def apply(self, w: Wizard) -> Transition:
        idle = w.running is None and w.live
        if self is Press.TRUST:
            trustable = w.link is not None and w.link.needs_trust and w.link.trustable
            return (w._set(running=Work.TRUST), [Do.RUN_TRUST]) if idle and trustable else (w, [])
        if self is Press.RECHECK:
            return (w._set(running=Work.READ), [Do.READ_HOSTS]) if idle and w.connected else (w, [])
        if self is Press.ADD_CONFIG:
            return w, [Do.WRITE_CONFIG] if w.add_config_offered and w.entry is not None else []
        if self is Press.BACK:
            return w, [Do.WAIT if w.running is not None else Do.LEAVE]
        if w.asking is None:  # YES or NO, and nobody asked
            return w, []
        return w._set(asking=None), [Do.CONFIRM if self is Press.YES else Do.DECLINE]


class Outcome(Enum):
    """What the pane's work came to, when that carries nothing more."""

    NO_MASTER = "no-master"  # both hosts cannot be read: no pool master is visible
    IN_CONFIG = "in-config"  # the config already lists the joined host
    CONFIG_WRITTEN = "config-written"  # the joined host added to the config file (read back)

    def apply(self, w: Wizard) -> Transition:
        if self is Outcome.IN_CONFIG:
            return w._set(already_configured=True), []
        if self is Outcome.CONFIG_WRITTEN:
            return (w._set(config_written=True) if w.add_config_offered else w), []
        if w.running is not Work.READ:
            return w, []
        return w._set(running=None), [
            Notice("ob-summary", "No pool master to compare with (the pool is not healthy, or no live engine).")]


@dataclass(frozen=True)
class ConnectPressed:
    address: str

    def apply(self, w: Wizard) -> Transition:
        if w.running is not None:
            return w, []
        address = self.address.strip()
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
        return w, [Do.OPEN_CONNECTION]


@dataclass(frozen=True)
class LevelPressed:
    files: tuple[FileField, ...]

    def apply(self, w: Wizard) -> Transition:
        if w.running is not None or not w.live or w.link is None or not w.read or not w.missing:
            return w, []
        problems = [f"{u.name_label}: type the path of its file" if not f.typed.strip() else
                    f"{u.name_label}: no such file on this jump box: {f.path}" if not f.is_file else ""
                    for u, f in zip(w.missing, self.files)]
        problems = [p for p in problems if p]
        if problems:
            return w, [Notice("ob-level-log", "; ".join(problems))]
        return w._set(running=Work.LEVEL), [RunLevel(tuple(f.path for f in self.files))]


@dataclass(frozen=True)
class JoinPressed:
    address: str
    user: str
    password_typed: bool  # the password stays in the pane: only whether one was typed comes here

    def apply(self, w: Wizard) -> Transition:
        if w.running is not None or not w.live or not w.connected or not w.read:
            return w, []  # as the button: no join on a session that dropped
        if not self.password_typed:
            return w, [Notice("ob-join-result", "Type the pool master's password first (it is not stored).")]
        try:  # the address and the user are checked before anything is asked
            xc.timeout_wrapped(w.timeout, xc.pool_join(self.address.strip(), self.user.strip(), force=False))
        except ValueError as err:
            return w, [Notice("ob-join-result", f"cannot build the pool-join: {err}")]
        refusal = w.join_blocked_by()
        if refusal is not None:  # the button is disabled; a key or a stale click must not get round it
            return w, [Notice("ob-join-result", f"not run: {refusal}")]
        if w.join_report is not None and w.join_report.accepted:
            return w, []
        return w._set(running=Work.JOIN), [RunJoin(self.address.strip(), self.user.strip())]


@dataclass(frozen=True)
class NextStep:
    """F8: the step the fixed line names (each change still asks its confirmation)."""

    files: tuple[FileField, ...] = ()
    password_typed: bool = False

    def apply(self, w: Wizard) -> Transition:
        if w.running is not None or not w.live:
            return w, []
        if w.join_report is not None and w.join_report.joined:
            return w, [Start("config")] if w.add_config_offered else []
        if not w.connected:
            return w, [Start("trust") if w.link is not None and w.link.needs_trust else Start("connect")]
        if not w.read:
            return w, []
        if w.missing:
            empty = [i for i, f in enumerate(self.files) if not f.typed.strip()]
            return w, [Focus(f"file:{empty[0]}")] if empty else [Start("level")]
        if not w.buttons().join:
            return w, []
        if not self.password_typed:
            return w, [Focus("ob-pool-password")]
        return w, [Start("join")]


@dataclass(frozen=True)
class LinkSeen:
    """The connection as it is now (a session may drop after it was up)."""

    link: Link | None

    def apply(self, w: Wizard) -> Transition:
        if w.running is not None:
            # the work's own outcome says what became of the link (a read, a trust, a join on a
            # session that dropped fails and says so); the pane sends the link again once it redraws
            return w, []
        return w._set(link=self.link) if self.link != w.link else w, []


@dataclass(frozen=True)
class Connected:
    """The connection attempt ended: up, refused for its key, or failed."""

    link: Link
    ends: ClassVar[Work] = Work.CONNECT

    def apply(self, w: Wizard) -> Transition:
        return w._linked(self.link)


@dataclass(frozen=True)
class Trusted:
    """The trust plan ended: the key written and the connection made again, or why not."""

    ok: bool
    why: str
    link: Link
    ends: ClassVar[Work] = Work.TRUST

    def apply(self, w: Wizard) -> Transition:
        w = w._set(asking=None)
        if not self.ok:
            return w._set(running=None), [Notice("ob-conn", f"✗ the key was not trusted: {self.why}")]
        return w._linked(self.link)


@dataclass(frozen=True)
class HostsRead:
    """Both hosts' profiles (the wizard derives xapi's pre-join checks and the missing updates)."""

    new: HostProfile
    pool: HostProfile

    def apply(self, w: Wizard) -> Transition:
        if w.running not in (None, Work.READ):
            return w, []  # a level or a join runs on what was read: not swapped under it
        w = w._with_profiles(self.new, self.pool)._set(running=None)
        return w, [Do.SHOW_CHECKS, *w._focus_after_read()]


@dataclass(frozen=True)
class Levelled:
    report: LevelReport
    ends: ClassVar[Work] = Work.LEVEL

    def apply(self, w: Wizard) -> Transition:
        r = self.report
        w = w._set(running=None, asking=None, level_report=r)
        if r.new_profile is None or r.pool_profile is None:
            return w, [Do.SHOW_LEVEL]
        w = w._with_profiles(r.new_profile, r.pool_profile)
        return w, [Do.SHOW_LEVEL, Do.SHOW_CHECKS, *w._focus_after_read()]


_NOT_RUN = {"dry-run": "dry run: pool-join was not run (audited as dry-run)",
            "declined": "not confirmed: nothing was run"}


@dataclass(frozen=True)
class JoinRan:
    report: JoinReport | None  # None: the pool-join was not run (dry run, declined, refused)
    status: str = ""  # the runner's status of the join step
    explanation: str = ""
    dry_run: bool = False
    ends: ClassVar[Work] = Work.JOIN

    def apply(self, w: Wizard) -> Transition:
        w = w._set(running=None, asking=None)
        report = self.report
        if report is None:
            return w, [Notice("ob-join-result", _NOT_RUN.get(self.status, self.explanation),
                              "warn" if self.dry_run else "muted")]
        w = w._set(join_report=report)
        intents: list[Intent] = [Do.SHOW_JOIN]
        if report.accepted:
            intents.append(Do.REFRESH_POOL)
        if report.joined:
            intents.append(Do.NAME_JOINED_HOST)
        return w, intents


@dataclass(frozen=True)
class HostNamed:
    """The joined host's name in the console and the config (its hostname when free)."""

    entry: HostEntry

    def apply(self, w: Wizard) -> Transition:
        if w.join_report is None or not w.join_report.joined:
            return w, []
        return w._set(entry=self.entry), [Do.WATCH_HOST]


@dataclass(frozen=True)
class ConfirmAsked:
    """The runner holds a dangerous step until the admin answers."""

    step: Step

    def apply(self, w: Wizard) -> Transition:
        if w.running not in RUNS_A_PLAN or w.asking is not None:
            return w, [Do.DECLINE]  # no plan of this pane runs, or one question is open: declined
        return w._set(asking=self.step), [Do.ASK_ADMIN]


@dataclass(frozen=True)
class Interrupted:
    """The work ended without its outcome (an error, the pane closed)."""

    work: Work

    @property
    def ends(self) -> Work:
        return self.work

    def apply(self, w: Wizard) -> Transition:
        return w._set(running=None, asking=None), []


Event = (Press | Outcome | ConnectPressed | LevelPressed | JoinPressed | NextStep | LinkSeen | Connected | Trusted
         | HostsRead | Levelled | JoinRan | HostNamed | ConfirmAsked | Interrupted)


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
    config_written: bool = False  # the joined host was added to the config file
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
                    and not self.config_written and not self.already_configured)

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
        if self.checks != (tuple(prejoin_checks(self.new, self.pool)) if self.new and self.pool else ()):
            return "the checks are not the ones the profiles give"
        if self.running in (Work.LEVEL, Work.JOIN) and not self.read:
            return f"{self.running} runs without both hosts read"
        if self.running is Work.LEVEL and not self.missing:
            return "levelling a host that lacks nothing"
        if self.running in (Work.READ, Work.TRUST, Work.LEVEL, Work.JOIN) and self.link is None:
            return f"{self.running} runs without a connection"
        if self.config_written and not (self.join_report is not None and self.join_report.joined):
            return "the config written for a host that did not join"
        if self.running is not None and not self.live:
            return "work runs with no engine"
        return None

    # ------------------------------------------------------------------ transitions
    def handle(self, event: Event) -> Transition:
        """The state after `event` and what the pane must do, in order (each event's `apply`)."""
        if not isinstance(event, Event):
            raise TypeError(f"not an onboarding event: {event!r}")
        if getattr(event, "ends", self.running) is not self.running:
            return self, []  # the outcome of work nobody waits for (any more) changes nothing
        return event.apply(self)

    def _set(self, **kw: object) -> Wizard:
        return replace(self, **kw)  # type: ignore[arg-type]

    def _with_profiles(self, new: HostProfile, pool: HostProfile) -> Wizard:
        return self._set(new=new, pool=pool, checks=tuple(prejoin_checks(new, pool)),
                         missing=tuple(missing_updates(new, pool)))

    def _linked(self, link: Link) -> Transition:
        """A connection made (or made again after a trust): shown; when up, both hosts are read."""
        if link.up:
            return self._set(link=link, running=Work.READ), [Do.SHOW_CONNECTION, Do.READ_HOSTS]
        return self._set(link=link, running=None), [Do.SHOW_CONNECTION]

    def _focus_after_read(self) -> list[Intent]:
        """The keyboard flow: the next thing to type is the one the checks now allow."""
        if self.missing:
            return [Focus("file:0", scroll=False)]
        if self.join_blocked_by() is None and self.join_report is None:
            return [Focus("ob-pool-password")]
        return []


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
