"""The onboarding wizard (actions/onboard/wizard.py) without Textual, without a host (issue 26, point 4).

Table-driven: from a state reached by a few events, one event gives exactly these intents and
this state. Property-based: any sequence of events (the admin's presses and keys, the outcomes
of the pane's work, in any order, at any time) keeps the state valid, and a step the runner
holds goes ahead only by an answer given in the asking state.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.profiles import NFS, U1, host_profile
from xentui.actions.onboard import JoinReport, LevelReport, prejoin_checks
from xentui.actions.onboard.wizard import (
    ConfirmAsked,
    ConnectPressed,
    Connected,
    Do,
    FileField,
    Focus,
    HostNamed,
    HostsRead,
    Interrupted,
    JoinPressed,
    JoinRan,
    Levelled,
    LevelPressed,
    Link,
    LinkSeen,
    NextStep,
    Notice,
    Outcome,
    Press,
    RunJoin,
    RunLevel,
    Stage,
    Start,
    Trusted,
    Wizard,
    Work,
    joined_entry,
    starts_a_plan,
)
from xentui.actions.plan import Step, StepAction
from xentui.core.config import HostEntry

# --------------------------------------------------------------------------- the pieces
MASTER = host_profile("plot1")
LEVEL = host_profile("plot9")  # has every update of the pool: no check blocks
BEHIND = host_profile("plot9", updates=[U1])  # lacks XS82ECU1003 1.1
SHARED = host_profile("plot9", shared_srs=[NFS])  # a shared SR: blocks, nothing to bring level

UP = Link("plot9", up=True)
UNKNOWN_KEY = Link("plot9", needs_trust=True, trustable=True)
UNKNOWN_NOWHERE = Link("plot9", needs_trust=True, trustable=False)  # no known_hosts to write to
DOWN = Link("plot9")

ISO = FileField("~/XS82ECU1003.iso", "/home/admin/XS82ECU1003.iso", is_file=True)
EMPTY = FileField("")
ABSENT = FileField("/nowhere/x.iso", "/nowhere/x.iso", is_file=False)

JOIN_STEP = Step(host="plot9", command="xe pool-join master-address=127.0.1.11", why="join", action=StepAction.POOL_JOIN)
APPLY_STEP = Step(host="plot9", command="xe update-apply", why="apply", action=StepAction.UPDATE_APPLY)

JOINED = JoinReport(new_host="plot9", master_address="127.0.1.11", master_username="root", accepted=True,
                    follows_master=True, master_lists_new_host=True)
ACCEPTED = JoinReport(new_host="plot9", master_address="127.0.1.11", master_username="root", accepted=True)
REFUSED = JoinReport(new_host="plot9", master_address="127.0.1.11", master_username="root")
LEVELLED = LevelReport(applied=["XS82ECU1003.iso"], new_profile=LEVEL, pool_profile=MASTER,
                       checks=prejoin_checks(LEVEL, MASTER))
FAILED_LEVEL = LevelReport(failed=["XS82ECU1003.iso: refused"])  # no read afterwards


def read(new=LEVEL, pool=MASTER) -> HostsRead:  # type: ignore[no-untyped-def]
    return HostsRead(new, pool)


def at(*events, start: Wizard | None = None) -> Wizard:  # type: ignore[no-untyped-def]
    """The state after these events, each of which must have been taken."""
    w = start or Wizard(live=True, config_file=True, timeout=10.0)
    for e in events:
        nxt, _ = w.handle(e)
        assert nxt is not w or isinstance(e, LinkSeen) or e is Outcome.IN_CONFIG, f"{e!r} ignored in {w!r}"
        w = nxt
    assert w.invariant_broken() is None
    return w


FRESH = at()
OFFLINE = Wizard(live=False)
CONNECTING = at(ConnectPressed("plot9"))
UNTRUSTED = at(ConnectPressed("plot9"), Connected(UNKNOWN_KEY))
TRUSTING = at(ConnectPressed("plot9"), Connected(UNKNOWN_KEY), Press.TRUST)
FAILED = at(ConnectPressed("plot9"), Connected(DOWN))
READING = at(ConnectPressed("plot9"), Connected(UP))
CHECKED_LEVEL = at(ConnectPressed("plot9"), Connected(UP), read(LEVEL))
CHECKED_BEHIND = at(ConnectPressed("plot9"), Connected(UP), read(BEHIND))
CHECKED_SHARED = at(ConnectPressed("plot9"), Connected(UP), read(SHARED))
LEVELLING = at(LevelPressed((ISO,)), start=CHECKED_BEHIND)
JOINING = at(JoinPressed("127.0.1.11", "root", True), start=CHECKED_LEVEL)
ASKING = at(ConfirmAsked(JOIN_STEP), start=JOINING)
JOINED_HERE = at(JoinRan(JOINED, "ok"), start=JOINING)
JOINED_NO_FILE = at(ConnectPressed("plot9"), Connected(UP), read(LEVEL), JoinPressed("127.0.1.11", "root", True),
                    JoinRan(JOINED, "ok"), start=Wizard(live=True, config_file=False))


# --------------------------------------------------------------------------- one event, from one state
@dataclass(frozen=True)
class Row:
    name: str
    state: Wizard
    event: object
    intents: list[object]
    running: Work | None = None
    stage: Stage | None = None
    holds: dict[str, object] = field(default_factory=dict)  # what the state holds after (a `Do` intent reads it)


ROWS = [
    # connect
    Row("no address typed", FRESH, ConnectPressed("  "), [Notice("ob-conn", "Type the new host's ssh alias or address first.")],
        stage=Stage.NOT_CONNECTED),
    Row("recorded facts: no connection", OFFLINE, ConnectPressed("plot9"),
        [Notice("ob-conn", "The console shows recorded facts: no connection can be made.")], stage=Stage.OFFLINE),
    Row("an address connects", FRESH, ConnectPressed(" plot9 "), [Do.OPEN_CONNECTION],
        running=Work.CONNECT, holds={"entry": HostEntry.parse("plot9")}),
    Row("a step runs: a second connect is not taken", READING, ConnectPressed("plot9"), [], running=Work.READ),
    Row("up: both hosts are read", CONNECTING, Connected(UP), [Do.SHOW_CONNECTION, Do.READ_HOSTS], running=Work.READ,
        stage=Stage.CONNECTED),
    Row("unknown key: shown, nothing read", CONNECTING, Connected(UNKNOWN_KEY), [Do.SHOW_CONNECTION],
        stage=Stage.UNTRUSTED),
    Row("failed: shown", CONNECTING, Connected(DOWN), [Do.SHOW_CONNECTION], stage=Stage.NOT_CONNECTED),
    Row("a connection outcome nobody waits for", CHECKED_LEVEL, Connected(DOWN), [], stage=Stage.CHECKED),
    # trust
    Row("trust the shown key", UNTRUSTED, Press.TRUST, [Do.RUN_TRUST], running=Work.TRUST),
    Row("no known_hosts to write to: no trust", at(ConnectPressed("plot9"), Connected(UNKNOWN_NOWHERE)),
        Press.TRUST, []),
    Row("nothing to trust when connected", CHECKED_LEVEL, Press.TRUST, []),
    Row("the key not trusted", TRUSTING, Trusted(False, "not run: the admin declined", UNKNOWN_KEY),
        [Notice("ob-conn", "✗ the key was not trusted: not run: the admin declined")], stage=Stage.UNTRUSTED),
    Row("trusted and up: read", TRUSTING, Trusted(True, "ok", UP), [Do.SHOW_CONNECTION, Do.READ_HOSTS],
        running=Work.READ),
    # read
    Row("no master to compare with", READING, Outcome.NO_MASTER,
        [Notice("ob-summary", "No pool master to compare with (the pool is not healthy, or no live engine).")]),
    Row("read, an update missing: its file field", READING, read(BEHIND), [Do.SHOW_CHECKS, Focus("file:0", scroll=False)],
        stage=Stage.CHECKED),
    Row("read, level: the pool password", READING, read(LEVEL), [Do.SHOW_CHECKS, Focus("ob-pool-password")],
        stage=Stage.CHECKED),
    Row("read, blocked: no focus", READING, read(SHARED), [Do.SHOW_CHECKS], stage=Stage.CHECKED),
    Row("no read swapped under a running level", LEVELLING, read(LEVEL), [], running=Work.LEVEL),
    Row("re-check", CHECKED_LEVEL, Press.RECHECK, [Do.READ_HOSTS], running=Work.READ),
    Row("no re-check without a connection", FAILED, Press.RECHECK, []),
    # a session that drops while a read runs: the read's own outcome says so (hypothesis found
    # `[LinkSeen(up), RECHECK, LinkSeen(None)]` leaving a read running without a connection)
    Row("the link dropping under a running read changes nothing yet", READING, LinkSeen(None), [], running=Work.READ,
        holds={"link": UP}),
    # level
    Row("a file not typed", CHECKED_BEHIND, LevelPressed((EMPTY,)),
        [Notice("ob-level-log", "XS82ECU1003: type the path of its file")]),
    Row("a file not there", CHECKED_BEHIND, LevelPressed((ABSENT,)),
        [Notice("ob-level-log", "XS82ECU1003: no such file on this jump box: /nowhere/x.iso")]),
    Row("the file there: level", CHECKED_BEHIND, LevelPressed((ISO,)), [RunLevel(("/home/admin/XS82ECU1003.iso",))],
        running=Work.LEVEL),
    Row("nothing missing: nothing to level", CHECKED_LEVEL, LevelPressed(()), []),
    Row("levelled and read again", LEVELLING, Levelled(LEVELLED),
        [Do.SHOW_LEVEL, Do.SHOW_CHECKS, Focus("ob-pool-password")], stage=Stage.CHECKED,
        holds={"level_report": LEVELLED}),
    Row("level failed, nothing read", LEVELLING, Levelled(FAILED_LEVEL), [Do.SHOW_LEVEL],
        holds={"level_report": FAILED_LEVEL}),
    # join
    Row("no password typed", CHECKED_LEVEL, JoinPressed("127.0.1.11", "root", False),
        [Notice("ob-join-result", "Type the pool master's password first (it is not stored).")]),
    Row("a check blocks: not run", CHECKED_SHARED, JoinPressed("127.0.1.11", "root", True),
        [Notice("ob-join-result", "not run: a check blocks: no shared SRs (JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS)")]),
    Row("an update missing: not run", CHECKED_BEHIND, JoinPressed("127.0.1.11", "root", True),
        [Notice("ob-join-result", "not run: a check blocks: updates (HOSTS_NOT_HOMOGENEOUS)")]),
    Row("join", CHECKED_LEVEL, JoinPressed(" 127.0.1.11 ", "root", True), [RunJoin("127.0.1.11", "root")],
        running=Work.JOIN),
    Row("no join before the read", READING, JoinPressed("127.0.1.11", "root", True), [], running=Work.READ),
    # the runner's question
    Row("the runner asks: the admin is asked", JOINING, ConfirmAsked(JOIN_STEP), [Do.ASK_ADMIN],
        running=Work.JOIN, holds={"asking": JOIN_STEP}),
    Row("yes", ASKING, Press.YES, [Do.CONFIRM], running=Work.JOIN),
    Row("no", ASKING, Press.NO, [Do.DECLINE], running=Work.JOIN),
    Row("a second question while one is open: declined", ASKING, ConfirmAsked(APPLY_STEP), [Do.DECLINE],
        running=Work.JOIN),
    Row("a question with no plan running: declined", CHECKED_LEVEL, ConfirmAsked(JOIN_STEP), [Do.DECLINE]),
    Row("an answer nobody asked for", JOINING, Press.YES, [], running=Work.JOIN),
    # the join's outcome
    Row("declined", ASKING, JoinRan(None, "declined"), [Notice("ob-join-result", "not confirmed: nothing was run", "muted")],
        stage=Stage.CHECKED),
    Row("dry run", JOINING, JoinRan(None, "dry-run", dry_run=True),
        [Notice("ob-join-result", "dry run: pool-join was not run (audited as dry-run)", "warn")]),
    Row("joined", JOINING, JoinRan(JOINED, "ok"), [Do.SHOW_JOIN, Do.REFRESH_POOL, Do.NAME_JOINED_HOST], stage=Stage.JOINED),
    Row("accepted, not confirmed", JOINING, JoinRan(ACCEPTED, "unverified"), [Do.SHOW_JOIN, Do.REFRESH_POOL],
        stage=Stage.JOINED),
    Row("refused by xapi", JOINING, JoinRan(REFUSED, "failed"), [Do.SHOW_JOIN], stage=Stage.CHECKED),
    Row("named: watched", JOINED_HERE, HostNamed(HostEntry.labelled("plot9", "127.0.1.19")),
        [Do.WATCH_HOST], stage=Stage.JOINED,
        holds={"entry": HostEntry.labelled("plot9", "127.0.1.19")}),
    # the config
    Row("add to the config file", JOINED_HERE, Press.ADD_CONFIG, [Do.WRITE_CONFIG],
        holds={"entry": HostEntry.parse("plot9")}),
    Row("no config file: nothing to write", JOINED_NO_FILE, Press.ADD_CONFIG, []),
    Row("already in the config", at(Outcome.IN_CONFIG, start=JOINED_HERE), Press.ADD_CONFIG, []),
    Row("written once", at(Outcome.CONFIG_WRITTEN, start=JOINED_HERE), Press.ADD_CONFIG, []),
    # F8
    Row("F8 fresh: connect", FRESH, NextStep(), [Start("connect")]),
    Row("F8 offline: nothing", OFFLINE, NextStep(), [], stage=Stage.OFFLINE),
    Row("F8 unknown key: trust", UNTRUSTED, NextStep(), [Start("trust")]),
    Row("F8 failed: connect again", FAILED, NextStep(), [Start("connect")]),
    Row("F8 while reading: nothing", READING, NextStep(), [], running=Work.READ),
    Row("F8 file not typed: its field", CHECKED_BEHIND, NextStep((EMPTY,)), [Focus("file:0")]),
    Row("F8 file typed: level", CHECKED_BEHIND, NextStep((ISO,)), [Start("level")]),
    Row("F8 level host, no password: the password", CHECKED_LEVEL, NextStep((), False), [Focus("ob-pool-password")]),
    Row("F8 level host, password: join", CHECKED_LEVEL, NextStep((), True), [Start("join")]),
    Row("F8 blocked: nothing", CHECKED_SHARED, NextStep((), True), []),
    Row("F8 joined: the config", JOINED_HERE, NextStep(), [Start("config")]),
    Row("F8 joined, no config file: nothing", JOINED_NO_FILE, NextStep(), []),
    # back, interruptions, the connection seen again
    Row("back while a step runs: wait", JOINING, Press.BACK, [Do.WAIT],
        running=Work.JOIN),
    Row("back", CHECKED_LEVEL, Press.BACK, [Do.LEAVE]),
    Row("a read interrupted", READING, Interrupted(Work.READ), [], stage=Stage.CONNECTED),
    Row("another work's interruption changes nothing", READING, Interrupted(Work.JOIN), [], running=Work.READ),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_one_event(row: Row) -> None:
    state, intents = row.state.handle(row.event)  # type: ignore[arg-type]
    assert intents == row.intents
    assert state.running is row.running
    if row.stage is not None:
        assert state.stage is row.stage
    for name, value in row.holds.items():
        assert getattr(state, name) == value, name
    assert state.invariant_broken() is None


def test_a_connection_clears_what_was_read_of_the_previous_host() -> None:
    again = at(ConnectPressed("10.0.0.9"), start=at(JoinRan(REFUSED, "failed"), start=JOINING))
    assert (again.new, again.pool, again.checks, again.missing, again.join_report) == (None, None, (), (), None)
    assert again.entry == HostEntry.parse("10.0.0.9")


def test_a_bad_address_is_said_in_the_parser_s_words() -> None:
    _, [notice] = FRESH.handle(ConnectPressed("plot9 extra"))
    assert isinstance(notice, Notice) and notice.area == "ob-conn" and notice.text.startswith("not a host entry: ")


def test_a_join_command_that_cannot_be_built_is_refused_before_anything_is_asked() -> None:
    state, [notice] = CHECKED_LEVEL.handle(JoinPressed("127.0.1.11;reboot", "root", True))
    assert isinstance(notice, Notice) and notice.text.startswith("cannot build the pool-join: ")
    assert state.running is None


@pytest.mark.parametrize(("state", "trust", "connect", "level", "recheck", "join", "why", "add"), [
    (FRESH, False, True, False, False, False, "", False),
    (OFFLINE, False, False, False, False, False, "", False),
    (UNTRUSTED, True, True, False, False, False, "", False),
    (READING, False, False, False, False, False, "", False),
    (CHECKED_BEHIND, False, True, True, True, False, "Join is disabled: a check blocks: updates (HOSTS_NOT_HOMOGENEOUS)",
     False),
    (CHECKED_LEVEL, False, True, False, True, True, "", False),
    (LEVELLING, False, False, False, False, False, "Join is disabled: a check blocks: updates (HOSTS_NOT_HOMOGENEOUS)",
     False),
    (JOINED_HERE, False, True, False, True, False, "", True),
    (JOINED_NO_FILE, False, True, False, True, False, "", False),
    (at(LinkSeen(DOWN), start=CHECKED_LEVEL), False, True, False, False, False, "", False),  # the session dropped
])
def test_the_buttons(state: Wizard, trust: bool, connect: bool, level: bool, recheck: bool, join: bool, why: str,
                     add: bool) -> None:
    b = state.buttons()
    assert (b.trust, b.connect, b.level, b.recheck, b.join, b.join_why, b.add_config) == (
        trust, connect, level, recheck, join, why, add)


def test_the_joined_host_is_named_by_its_hostname_unless_taken() -> None:
    typed = HostEntry.parse("10.77.0.9")
    named = joined_entry(typed, "plot9", {"plot1"})
    assert named is not None and (named.name, named.address) == ("plot9", "10.77.0.9")
    assert joined_entry(typed, "plot1", {"plot1"}) == typed
    assert joined_entry(typed, None, set()) == typed
    assert joined_entry(typed, "not a name!", set()) == typed
    assert joined_entry(HostEntry.parse("plot9"), "plot9", set()) == HostEntry.parse("plot9")


def test_the_wizard_imports_no_textual() -> None:
    code = ("import sys, xentui.actions.onboard.wizard; "
            "sys.exit(1 if any(m.split('.')[0] in ('textual', 'rich') for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# --------------------------------------------------------------------------- any sequence
LINKS = st.sampled_from([UP, UNKNOWN_KEY, UNKNOWN_NOWHERE, DOWN])
FILES = st.lists(st.sampled_from([ISO, EMPTY, ABSENT]), max_size=2).map(tuple)
PAIRS = st.sampled_from([(LEVEL, MASTER), (BEHIND, MASTER), (SHARED, MASTER)])
EVENTS = st.one_of(
    # what the admin does
    st.builds(ConnectPressed, st.sampled_from(["", "plot9", "10.0.0.9", "plot9 extra"])),
    st.just(Press.TRUST), st.just(Press.RECHECK), st.builds(LevelPressed, FILES),
    st.builds(JoinPressed, st.sampled_from(["127.0.1.11", "", "a;b"]), st.sampled_from(["root", ""]), st.booleans()),
    st.just(Press.ADD_CONFIG), st.builds(NextStep, FILES, st.booleans()), st.just(Press.BACK),
    st.sampled_from([Press.YES, Press.NO]),
    # what the pane's work came to, whether or not it was waited for
    st.builds(LinkSeen, st.one_of(st.none(), LINKS)), st.builds(Connected, LINKS),
    st.builds(Trusted, st.booleans(), st.just("why"), LINKS), st.just(Outcome.NO_MASTER),
    PAIRS.map(lambda p: read(*p)), st.sampled_from([Levelled(LEVELLED), Levelled(FAILED_LEVEL)]),
    st.sampled_from([JoinRan(JOINED, "ok"), JoinRan(ACCEPTED, "unverified"), JoinRan(REFUSED, "failed"),
                     JoinRan(None, "declined"), JoinRan(None, "dry-run", dry_run=True)]),
    st.just(HostNamed(HostEntry.labelled("plot9", "127.0.1.19"))), st.just(Outcome.IN_CONFIG),
    st.just(Outcome.CONFIG_WRITTEN), st.sampled_from([ConfirmAsked(JOIN_STEP), ConfirmAsked(APPLY_STEP)]),
    st.builds(Interrupted, st.sampled_from(list(Work))),
)


def pressed_a_step(event: object) -> bool:
    return event is Press.TRUST or isinstance(event, (LevelPressed, JoinPressed))


@settings(max_examples=400, deadline=None)
@given(live=st.booleans(), config_file=st.booleans(), events=st.lists(EVENTS, max_size=40))
def test_any_sequence_keeps_a_valid_state_and_no_step_goes_without_the_admin(
        live: bool, config_file: bool, events: list[object]) -> None:
    w = Wizard(live=live, config_file=config_file, timeout=10.0)
    asked: object | None = None  # the step the admin was asked about, not yet answered
    for event in events:
        before = w
        w, intents = w.handle(event)  # type: ignore[arg-type]
        assert w.invariant_broken() is None, (w.invariant_broken(), event)
        assert isinstance(w.stage, Stage)
        for intent in intents:
            if intent is Do.ASK_ADMIN:
                assert isinstance(event, ConfirmAsked) and w.asking == event.step and before.asking is None
                asked = w.asking
            if intent is Do.CONFIRM:
                # the one intent that lets a held step reach a host: only from the asking state, by the admin
                assert before.asking is not None and before.asking == asked and event is Press.YES
                asked = None
            if intent is Do.DECLINE and before.asking is not None and w.asking is None:
                asked = None
            if starts_a_plan(intent):
                # a plan starts only when the admin pressed its step, never as the outcome of other work
                assert pressed_a_step(event) and before.running is None and live
            if isinstance(intent, RunJoin):
                assert before.join_blocked_by() is None and before.connected
            if isinstance(intent, RunLevel):
                assert before.missing and all(f.is_file for f in event.files)  # type: ignore[attr-defined]
            if intent in (Do.OPEN_CONNECTION, Do.READ_HOSTS, Do.RUN_TRUST) or isinstance(intent, (RunLevel, RunJoin)):
                assert w.running is not None  # the work is waited for: no second one can start
        if w.asking is not None:
            assert w.running in (Work.TRUST, Work.LEVEL, Work.JOIN)
