"""HA ELECTING / RECOVERED / WEDGED and the issue-7177 finding (diagnosis/ha.py), table-driven, pure."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.facts import down, master, slave, stranded
from helpers.ha import AFTER_T, BEFORE_T, N, STUCK_LOCK, T0, ha, lost_pool, row
from xentui.core.model import HostFacts, XapiView
from xentui.diagnosis import Action, Verdict, diagnose_pool

@pytest.mark.parametrize(
    "name, facts, verdict, action, host",
    [
        ("inside T: electing", lost_pool(T0 + 10, BEFORE_T), Verdict.HA_ELECTING, Action.WAIT, None),
        ("after T, before the window ends", lost_pool(T0 + 100, AFTER_T), Verdict.HA_ELECTING, Action.WAIT, None),
        ("window over, no master: wedged", lost_pool(T0 + 121, STUCK_LOCK), Verdict.HA_WEDGED, Action.HA_DISABLE, "plot2"),
        ("statefile lost: wedged at once",
         lost_pool(T0 + 5, AFTER_T, plot3=dict(warnings=("statefile_lost",))), Verdict.HA_WEDGED, Action.HA_DISABLE, "plot2"),
        ("no daemon on an armed survivor: wedged",
         [down(1), ha(stranded(2), T0 + 5, status="daemon-not-running", lost=T0),
          *[ha(stranded(i), T0 + 5, liveset=AFTER_T, lost=T0) for i in (3, 4)]],
         Verdict.HA_WEDGED, Action.HA_DISABLE, "plot2"),
        ("plot2 disarmed already: the next survivor",
         [down(1), ha(stranded(2), T0 + 200, armed=False), *[ha(stranded(i), T0 + 200, liveset=STUCK_LOCK, lost=T0) for i in (3, 4)]],
         Verdict.HA_WEDGED, Action.HA_DISABLE, "plot3"),
        ("every survivor disarmed: the normal promote",
         [down(1), *[ha(stranded(i), T0 + 200, armed=False) for i in (2, 3, 4)]], Verdict.MASTER_LOST, Action.PROMOTE, "plot2"),
    ],
)
def test_master_lost_with_ha(name: str, facts: list[HostFacts], verdict: Verdict, action: Action, host: str | None) -> None:
    d = diagnose_pool(facts, pool="p")
    assert d.verdict is verdict, (name, d.summary)
    assert d.recommendation is not None and d.recommendation.action is action and d.recommendation.host == host, name
    armed = [f.name for f in facts if f.ha_armed and f.reachable]
    if armed:
        assert any(fb.action is Action.PROMOTE for fb in d.forbidden)
        assert any(fb.action is Action.RECOVER_SLAVES for fb in d.forbidden)
    if verdict is Verdict.HA_ELECTING:
        assert d.candidate is None
        assert "change nothing until" in d.summary and "heuristic" in d.summary
        promote = next(fb for fb in d.forbidden if fb.action is Action.PROMOTE)
        assert "s left" in promote.reason and "HA_IS_ENABLED" in promote.reason
    if verdict is Verdict.HA_WEDGED:
        assert d.recommendation.command == "/opt/xensource/bin/xe host-emergency-ha-disable --force"
        assert "pool-ha-enable heartbeat-sr-uuids=" in d.recommendation.reason


def test_electing_time_left_and_deadline() -> None:
    d = diagnose_pool(lost_pool(T0 + 10, BEFORE_T), pool="p")
    assert d.ha is not None and d.ha.lost_since == T0 and d.ha.timeout == 60.0
    assert d.ha.electing_until == T0 + 120 and d.ha.seconds_left == pytest.approx(110)
    assert d.ha.armed == ["plot2", "plot3", "plot4"]
    assert d.ha.liveset["plot2"]["plot1"] == "live master"
    # the margin is a setting
    assert diagnose_pool(lost_pool(T0 + 10, BEFORE_T), ha_margin=5.0).ha.seconds_left == pytest.approx(55)


def elected(now: float) -> list[HostFacts]:
    view = {1: row(False), 2: row(True), 3: row(True, True), 4: row(True)}
    hosts = [down(1, last=True)] if False else [down(1)]
    hosts.append(ha(master(3), now, liveset=view))
    hosts += [ha(slave(i, of=3), now, liveset=view) for i in (2, 4)]
    return hosts


def test_recovered_by_ha() -> None:
    d = diagnose_pool(elected(T0 + 130), pool="p")
    assert d.verdict is Verdict.HA_RECOVERED, d.summary
    assert d.recommendation is not None and d.recommendation.action is Action.NONE
    assert "plot1" in d.summary and "fenced" in d.summary
    assert d.ha is not None and d.ha.elected == "plot3"


def test_healthy_ha_pool_stays_healthy() -> None:
    view = {i: row(True, i == 1) for i in range(1, N + 1)}
    facts = [ha(master(1), T0, liveset=view)] + [ha(slave(i), T0, liveset=view) for i in range(2, N + 1)]
    d = diagnose_pool(facts)
    assert d.verdict is Verdict.HEALTHY and d.ha is not None and d.ha.armed == [f"plot{i}" for i in range(1, N + 1)]


def test_no_ha_changes_nothing() -> None:
    facts = [down(1)] + [stranded(i) for i in range(2, N + 1)]
    d = diagnose_pool(facts)
    assert d.verdict is Verdict.MASTER_LOST and d.ha is None and d.recommendation.action is Action.PROMOTE


def test_stuck_in_emergency_with_ha_enabled_but_host_disabled() -> None:
    stuck = ha(slave(3, xapi=XapiView.EMERGENCY, xapi_detail="HA_POOL_IS_ENABLED_BUT_HOST_IS_DISABLED",
                     emergency_mode=True), T0, armed=False)
    facts = [master(1, ha_enabled=True), slave(2, ha_enabled=True), stuck, slave(4, ha_enabled=True)]
    d = diagnose_pool(facts)
    hv = d.hosts["plot3"]
    assert "ha-disabled-in-ha-pool" in hv.flags and "7177" in hv.note
    assert d.recommendation is not None and d.recommendation.host == "plot3" and "7177" in d.recommendation.reason


@settings(max_examples=60, deadline=None)
@given(
    armed=st.lists(st.booleans(), min_size=N - 1, max_size=N - 1),
    elapsed=st.floats(min_value=0, max_value=400),
    lock_stuck=st.booleans(),
)
def test_never_an_emergency_command_while_a_live_host_is_armed(armed: list[bool], elapsed: float, lock_stuck: bool) -> None:
    view = STUCK_LOCK if lock_stuck else AFTER_T
    facts = [down(1)] + [
        ha(stranded(i), T0 + elapsed, armed=a, liveset=view if a else None, lost=T0) for i, a in zip(range(2, N + 1), armed)
    ]
    d = diagnose_pool(facts)
    rec = d.recommendation
    assert rec is not None
    if any(armed):
        assert rec.action not in (Action.PROMOTE, Action.RECOVER_SLAVES, Action.RESET_MASTER)
        assert d.verdict in (Verdict.HA_ELECTING, Verdict.HA_WEDGED)
        assert {Action.PROMOTE, Action.RECOVER_SLAVES, Action.RESET_MASTER} <= {fb.action for fb in d.forbidden}
    else:
        assert d.verdict is Verdict.MASTER_LOST
