"""The recovery panes on constructed facts (no engine, no simulator): availability, what they show,
the guard rails, and the pure rendering of reports and progress."""

from __future__ import annotations

import pytest

from xentui.actions import Progress, RecoverComparison, RunReport, StepResult, StepStatus
from xentui.actions.plan import StepAction
from xentui.diagnosis import diagnose_pool
from xensim.scenarios import host_uuid
from xentui.ui.panes.designate import DesignateScreen, default_target
from xentui.ui.panes.recover import RecoverScreen
from xentui.ui.panes.plan_render import follows_text, progress_text, report_text
from xentui.ui.panes.splitbrain import SplitBrainScreen
from xentui.devtools.samples import sample_app, sample_facts
from xentui.ui.screens.pool import PoolScreen
from helpers.keys import sample_pane, until

XE = "/opt/xensource/bin/xe"


def _shown(screen: object, selector: str) -> str:
    content = screen.query_one(selector).render()  # type: ignore[attr-defined]
    return str(getattr(content, "plain", content))


@pytest.mark.parametrize(
    ("state", "available"),
    [
        ("master-lost", {"recover"}),
        ("split-brain", {"split-brain"}),
        ("healthy", {"designate"}),
        ("degraded", {"designate"}),
    ],
)
async def test_each_pane_is_offered_only_when_it_applies(state: str, available: set[str]) -> None:
    app = sample_app(state)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PoolScreen)
        for pane_id, key in (("recover", "r"), ("split-brain", "h"), ("designate", "m")):
            assert bool(screen.check_action("open_pane", (pane_id,))) is (pane_id in available), pane_id
            assert (key in screen.active_bindings) is (pane_id in available), key


async def test_recover_pane_truth_first_at_80x24_and_static_facts_run_nothing() -> None:
    async with sample_pane("master-lost", "r", RecoverScreen) as (app, pilot, pane):
        # the truth first: the checks are on screen without scrolling, the picker focused below them
        checks = pane.query_one("#pane-checks")
        assert checks.region.y < 6 and checks.region.height > 3
        assert app.focused is pane.query_one("#candidates")
        text = _shown(pane, "#pane-checks")
        assert "master unreachable from the jump box" in text and "7 of 7 slaves cannot reach plot1" in text
        assert "HA not armed" in text and "candidate" in text
        # the proposed candidate (freshest database), the others with what they cost
        assert pane.plan.candidate == "plot4"
        assert "proposed by the diagnosis" in _shown(pane, "#candidates-head")
        assert "freshest copy of the pool database" in _shown(pane, "#candidates-chosen")
        await pilot.press("down")
        await pilot.pause()
        assert "older database" in _shown(pane, "#candidates-chosen")
        # guard rails: host-forget is never offered for the unreachable old master, with why
        guards = _shown(pane, "#pane-guards")
        assert "host-forget on plot1" in guards and "orphans it" in guards and "until it is reinstalled" in guards
        # recorded facts: nothing can be run, said so
        await pilot.press("r")
        await pilot.pause()
        assert pane.refusal is not None and "recorded facts" in pane.refusal
        assert pane.runs == 0
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PoolScreen)
        assert list(app.errors) == []


async def test_picking_another_candidate_replans_with_the_trade_off() -> None:
    async with sample_pane("master-lost", "r", RecoverScreen, size=(160, 48)) as (app, pilot, pane):
        await pilot.press("down", "enter")
        await pilot.pause(0.2)
        assert pane.candidate is not None and pane.candidate != "plot4"
        assert pane.plan.candidate == pane.candidate
        assert "picked instead of plot4" in _shown(pane, "#candidates-head")
        assert any(c.warning and "older database" in c.detail for c in pane.plan.preconditions)
        steps = _shown(pane, "#pane-steps")
        assert f"1. on {pane.candidate}" in steps and f"2. on {pane.candidate}" in steps
        assert f"{XE} pool-emergency-transition-to-master" in steps
        # the unreachable old master cannot be picked: the plan says why and is blocked
        while pane.candidate != "plot1":
            await pilot.press("end", "enter")
            await pilot.pause(0.2)
        assert pane.plan.blocked and "unreachable from the jump box" in (pane.plan.blocked_reason or "")


async def test_split_brain_pane_refuses_the_minority_master_and_audits_it() -> None:
    async with sample_pane("split-brain", "h", SplitBrainScreen) as (app, pilot, pane):
        masters = _shown(pane, "#sb-masters")
        assert "plot2 the pool follows it (7 of 8 hosts) · database generation 4816" in masters
        assert "plot1 followed by nobody else · database generation 4811" in masters
        assert pane.chosen == "plot2" and not pane.plan.blocked
        assert [s.host for s in pane.plan.steps] == ["plot2"]
        await pilot.press("down", "enter")
        await pilot.pause(0.2)
        assert pane.chosen == "plot1" and pane.plan.blocked
        assert "recover-slaves on plot1 is refused" in _shown(pane, "#masters-chosen")
        assert "o" in pane.active_bindings
        await pilot.press("r")
        await pilot.pause(0.2)
        assert pane.refusal is not None and "pull the pool back" in pane.refusal
        records = app.audit.read()
        assert [(r.host, r.command, r.outcome) for r in records] == [("plot1", f"{XE} pool-recover-slaves", "refused")]


async def test_designate_pane_names_the_host_that_is_not_live() -> None:
    async with sample_pane("degraded", "m", DesignateScreen) as (app, pilot, pane):
        # the cursor was on plot1, the master: the default target is another, live host
        assert pane.plan.target not in ("plot1", "plot7")
        assert pane.plan.blocked and pane.plan.not_live == ["plot7"]
        assert "plot7 would abort it with HOST_OFFLINE" in _shown(pane, "#pane-checks")
        target = _shown(pane, "#targets-chosen")
        assert host_uuid(pane.plan.target) in target and "INSTALLATION_UUID in /etc/xensource-inventory" in target
        guards = _shown(pane, "#pane-guards")
        assert "host-forget on plot7" in guards and "orphans it" in guards


def test_default_target() -> None:
    facts = {f.name: f for f in sample_facts("healthy")}
    d = diagnose_pool(list(facts.values()), pool="sim")
    assert default_target("plot5", facts, d) == "plot5"
    assert default_target("plot1", facts, d) not in (None, "plot1")  # the master: pick a live other
    assert default_target(None, facts, d) not in (None, "plot1")


# --------------------------------------------------------------------------- pure rendering


def test_report_text_compares_expected_and_printed_uuids() -> None:
    u = {n: host_uuid(n) for n in ("plot1", "plot2", "plot3", "plot4")}
    report = RunReport(
        title="Promote plot2 and recover the slaves",
        kind="promote-and-recover",
        results=[
            StepResult(index=0, host="plot2", action=StepAction.PROMOTE, command=f"{XE} pool-emergency-transition-to-master",
                       status=StepStatus.OK, verified=True, verification="plot2: pool.conf says master", duration_s=0.4),
            StepResult(index=1, host="plot2", action=StepAction.RECOVER_SLAVES, command=f"{XE} pool-recover-slaves",
                       status=StepStatus.UNVERIFIED, verified=False, verification="not following plot2: plot4"),
        ],
        recover=RecoverComparison(
            host="plot2",
            expected={"plot3": u["plot3"], "plot4": u["plot4"]},
            printed=[u["plot3"]],
            recovered=["plot3"],
            not_recovered={"plot4": "plot2 could not reach it or its toolstack did not answer"},
            unchecked={"plot1": "UUID unknown (its inventory was never read)"},
        ),
        stopped="step 2's effect was not confirmed",
    )
    text = report_text(report).plain
    assert "stopped: step 2's effect was not confirmed" in text
    assert "1 of 2 expected hosts reset" in text
    assert f"plot3    {u['plot3']}  ✓ yes" in text
    assert f"plot4    {u['plot4']}  ✗ no" in text and "not recovered: plot2 could not reach it" in text
    assert "plot1    not checked: UUID unknown" in text


def test_progress_text_shows_the_fuse_counting_down() -> None:
    ev = Progress(step=0, total=2, phase="waiting", host="plot2", message="toolstack on plot2 restarting as master: 4.0 s left",
                  remaining_s=4.0, fuse_s=10.0)
    text = progress_text(ev, width=10).plain
    assert text == "step 1/2 plot2 ◷ waiting toolstack on plot2 restarting as master ██████░░░░ 4.0 s of the 10 s fuse"


def test_follows_text_groups_hosts_by_master() -> None:
    facts = {f.name: f for f in sample_facts("master-lost")}
    d = diagnose_pool(list(facts.values()), pool="sim")
    text = follows_text(d, facts).plain
    # unreachable: its role is last seen, never "master" under the verdict of now (issue 25 point 7)
    assert "plot1 was master when last seen (unreachable) ← plot2 plot3 plot4 plot5 plot6 plot7 plot8" in text
    assert "plot1 unreachable (plot1: no answer in 3 s)" in text


async def test_the_highlight_follows_the_proposal_until_the_admin_moves_it() -> None:
    async with sample_pane("master-lost", "r", RecoverScreen) as (app, pilot, pane):
        ol = pane.query_one("#candidates")

        def highlighted() -> str | None:
            return ol.get_option_at_index(ol.highlighted).id if ol.highlighted is not None else None

        assert pane.plan.candidate == "plot4" and highlighted() == "plot4"
        source = app._given_sources[0]
        plot4 = source.facts["plot4"].model_copy(update={"db_generation": 4800})
        source.publish(plot4)  # plot4's copy is now the oldest: the diagnosis proposes another
        await until(lambda: pane.plan.candidate != "plot4", 5, "a new proposal")
        await pilot.pause(0.1)
        assert highlighted() == pane.plan.candidate  # followed: the admin had not moved it
        await pilot.press("down")
        await pilot.pause(0.1)
        looking_at = highlighted()
        assert looking_at != pane.plan.candidate
        source.publish(plot4.model_copy(update={"latency_ms": 5.0}))
        await pilot.pause(0.5)
        assert highlighted() == looking_at  # the admin's place is kept
