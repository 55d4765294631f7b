"""The split-brain pane on the simulator: the override behind a typed host name, and the reset-master follow-up.

Scenario `split-brain`: plot1 is the old (minority) master, plot2 the master
the rest of the pool follows.  (The refusal on the minority master and the
heal from the majority one are in test_ui_recover.py's field story.)
"""

from __future__ import annotations

import asyncio

from textual.widgets import Input

from helpers.console import (
    XE,
    SimFactory,
    addr,
    audit_log,
    confirm_f8,
    fast_config,
    open_pane,
    pane_available,
    pick,
    run_done,
    shown,
    verdict,
    xe_sent,
)
from xentui.actions import StepStatus
from xentui.diagnosis import Verdict
from xentui.ui.app import XentuiApp
from xentui.ui.confirm import ConfirmScreen
from xentui.ui.panes.splitbrain import SplitBrainScreen
from helpers.keys import send_key, until


async def typed_confirmation(app: XentuiApp) -> ConfirmScreen:
    """Press `o` and wait for the typed confirmation, its field ready."""
    send_key(app, "o")
    await until(lambda: isinstance(app.screen, ConfirmScreen) and bool(app.screen.query(Input)), 5, "the typed confirmation")
    screen = app.screen
    assert isinstance(screen, ConfirmScreen)
    await until(lambda: app.focused is screen.query_one(Input), 5, "the name field focused")
    return screen


async def test_old_master_still_partitioned_gets_the_reset_master_follow_up(sim_factory: SimFactory) -> None:
    """recover-slaves on plot2 cannot reach plot1 (partitioned from plot2, reachable from the jump box):
    the report offers reset-master on plot1 itself; `f` runs it after the same confirmation."""
    sim = await sim_factory(scenario="split-brain", fuse=0.3)
    sim.pool.partitions.add(frozenset(("plot1", "plot2")))  # the simulator's own model of a partition
    sim.pool.notify()
    app = XentuiApp(config=fast_config(sim))
    async with app.run_test(size=(80, 24)):
        await until(lambda: verdict(app) is Verdict.SPLIT_BRAIN and pane_available(app, "split-brain"), 20, "split brain")
        pane = await open_pane(app, "h", SplitBrainScreen)
        await until(lambda: pane.plan is not None and pane.chosen == "plot2" and not pane.plan.blocked, 10, "plot2 proposed")
        masters = shown(pane, "#sb-masters")
        assert "plot2 the pool follows it" in masters and "database generation" in masters
        assert f"{XE} pool-emergency-reset-master master-address={addr(sim, 'plot2')}" in shown(pane, "#pane-steps")
        assert pane.check_action("follow_up", ()) is False  # nothing offered before the run
        send_key(app, "r")
        await confirm_f8(app, "plot2", f"{XE} pool-recover-slaves")
        await run_done(pane, 1)
        report = pane.report
        assert report is not None and report.recover is not None
        assert list(report.recover.not_recovered) == ["plot1"]
        assert report.results[0].status is StepStatus.UNVERIFIED
        (offer,) = report.offers
        assert (offer.host, offer.command) == ("plot1", f"{XE} pool-emergency-reset-master master-address={addr(sim, 'plot2')}")
        text = shown(pane, "#pane-report")
        assert "Offered next" in text and "f runs it" in text
        assert "plot1 (the old master) does not follow plot2 yet" in shown(pane, "#masters-chosen")
        assert pane.check_action("follow_up", ()) is True

        send_key(app, "f")
        await confirm_f8(app, "plot1", offer.command)
        await run_done(pane, 2)
        again = pane.report
        assert again is not None and again.complete, again.text()
        assert sim.pool.host("plot1").pool_conf == f"slave:{addr(sim, 'plot2')}"
        await until(lambda: "plot1 (the old master) now follows plot2" in shown(pane, "#masters-chosen"), 5, "the check")
    assert list(app.errors) == []
    assert [(h, o) for h, _, o in audit_log(sim)] == [("plot2", "ok"), ("plot1", "ok")]


async def test_override_on_the_minority_master_needs_its_name_typed_and_is_audited(sim_factory: SimFactory) -> None:
    sim = await sim_factory(scenario="split-brain", fuse=0.3)
    app = XentuiApp(config=fast_config(sim))
    async with app.run_test(size=(80, 24)):
        await until(lambda: verdict(app) is Verdict.SPLIT_BRAIN and pane_available(app, "split-brain"), 20, "split brain")
        pane = await open_pane(app, "h", SplitBrainScreen)
        await until(lambda: pane.plan is not None and pane.chosen == "plot2", 10, "plot2 proposed")
        assert pane.check_action("override", ()) is False  # the majority master needs no override
        await pick(app, "masters", "plot1", lambda: pane.chosen == "plot1")
        assert pane.plan.blocked and "not the master the pool follows" in (pane.plan.blocked_reason or "")
        assert "refused" in shown(pane, "#masters-chosen") and "o overrides" in shown(pane, "#masters-chosen")

        # r on the minority master: refused, the reason shown, nothing sent
        send_key(app, "r")
        await until(lambda: pane.refusal is not None, 5, "the refusal")
        assert "plot2 is: 7 of 8 hosts follow it" in (pane.refusal or "")  # counted as the header counts

        # o: a typed confirmation; a wrong name does not confirm; Esc cancels; nothing runs
        confirm = await typed_confirmation(app)
        assert isinstance(confirm, ConfirmScreen) and confirm.request.typed and confirm.request.host == "plot1"
        assert confirm.request.command == f"{XE} pool-recover-slaves"
        for ch in "plot2":
            send_key(app, ch)
        await until(lambda: confirm.query_one(Input).value == "plot2", 5, "typing")
        send_key(app, "f8")
        await asyncio.sleep(0.3)
        assert app.screen is confirm  # the wrong name does not confirm
        send_key(app, "escape")
        await until(lambda: app.screen is pane, 5, "back to the pane")
        assert pane.overrides == 0 and pane.runs == 0

        # typed exactly: the override is written to the audit file, then recover-slaves runs on plot1
        confirm = await typed_confirmation(app)
        for ch in "plot1":
            send_key(app, ch)
        await until(lambda: confirm.query_one(Input).value == "plot1", 5, "typing")
        send_key(app, "f8")
        await run_done(pane, 1)
        assert pane.overrides == 1
        assert not isinstance(app.screen, ConfirmScreen)  # the typed name was the confirmation
        report = pane.report
        assert report is not None and report.results[0].status in (StepStatus.OK, StepStatus.UNVERIFIED), report.text()
        assert "OVERRIDE" in shown(pane, "#pane-steps")
        assert xe_sent(sim, "pool-recover-slaves", "plot1") == 1
    assert list(app.errors) == []
    log = audit_log(sim)
    assert [(h, o) for h, _, o in log] == [("plot1", "refused"), ("plot1", "override"), ("plot1", "ok")]
    assert all(c == "pool-recover-slaves" for _, c, _ in log)


async def test_after_the_heal_the_pane_says_healed_under_the_headers_verdict(sim_factory: SimFactory) -> None:
    """Issue 15: after a successful heal the pane read `Two hosts hold master` under a HEALTHY header.
    The pane renders from the header's diagnosis: its headline says the split brain is healed."""
    sim = await sim_factory(scenario="split-brain", fuse=0.3)
    app = XentuiApp(config=fast_config(sim))
    async with app.run_test(size=(80, 24)):
        await until(lambda: verdict(app) is Verdict.SPLIT_BRAIN and pane_available(app, "split-brain"), 20, "split brain")
        pane = await open_pane(app, "h", SplitBrainScreen)
        await until(lambda: pane.plan is not None and pane.chosen == "plot2" and not pane.plan.blocked, 10, "plot2 proposed")
        assert not pane.query_one("#pane-headline").display  # the problem is current: no headline
        assert shown(pane, "#sb-masters").startswith("Two hosts hold master")
        send_key(app, "r")
        await confirm_f8(app, "plot2", f"{XE} pool-recover-slaves")
        await run_done(pane, 1)
        assert pane.report is not None and pane.report.complete, pane.report.text()
        await until(lambda: verdict(app) is Verdict.HEALTHY, 20, "the header's HEALTHY")
        await until(lambda: "Healed" in shown(pane, "#pane-headline"), 5, "the pane's headline")
        headline = shown(pane, "#pane-headline")
        assert pane.query_one("#pane-headline").display
        assert headline.startswith("Healed: every host follows plot2"), headline
        assert " HEALTHY " in headline  # the header's verdict, not the pane's own memory
        masters = shown(pane, "#sb-masters")
        assert "Two hosts hold master" not in masters and masters.startswith("Before: two hosts held master")
        assert sim.pool.host("plot1").pool_conf == f"slave:{addr(sim, 'plot2')}"  # read back on the host itself
    assert list(app.errors) == []


async def test_every_count_of_a_masters_followers_is_the_headers(sim_factory: SimFactory) -> None:
    """Issue 25 point 7: the header said `7 of 8 hosts follow plot8` while the pane said `followed by 6`.
    Read as the admin reads them — the header, the host pane's note, the pane's masters, its picker,
    its target line and the plan's notes — every count for the same master is the header's."""
    import re

    from textual.widgets import Static

    from helpers.console import pool_screen
    from xentui.ui.render import plain_text
    from xentui.ui.widgets import HostTable

    sim = await sim_factory(scenario="split-brain", fuse=0.3)
    app = XentuiApp(config=fast_config(sim))
    async with app.run_test(size=(160, 48)):
        await until(lambda: verdict(app) is Verdict.SPLIT_BRAIN and pane_available(app, "split-brain"), 20, "split brain")
        home = pool_screen(app)
        # every host probed: plot1 holds master alone, the seven others follow plot2 (itself included)
        await until(lambda: "7 of 8 hosts follow" in shown(home, "#banner"), 20, "every host probed")
        header = shown(home, "#banner")
        found = re.search(r"(\d+) of (\d+) hosts follow (plot\d+)", header)
        assert found, header
        count, hosts, majority = found.groups()
        assert (count, hosts, majority) == ("7", "8", "plot2")
        table = home.query_one(HostTable)
        table.move_cursor(row=[str(k.value) for k in table.rows].index("plot2"))
        side = home.query_one(".detail-body", Static)
        await until(lambda: plain_text(side).startswith("plot2"), 5, "plot2's host pane")
        assert "master, 7 of 8 hosts follow it" in plain_text(side), plain_text(side)

        pane = await open_pane(app, "h", SplitBrainScreen)
        await until(lambda: pane.plan is not None and pane.chosen == "plot2" and not pane.plan.blocked, 10, "plot2 proposed")
        masters = shown(pane, "#sb-masters")
        picker = [str(o.prompt.plain) for o in pane.query_one("#masters").options]  # type: ignore[attr-defined]
        notes = shown(pane, "#pane-guards")
        target = shown(pane, "#masters-chosen")
        assert "plot2 the pool follows it (7 of 8 hosts)" in masters, masters
        assert any(p.startswith("▶ plot2") and "7 of 8 follow" in p for p in picker), picker
        assert "plot2 (generation" in notes and "7 of 8 hosts follow it, the majority" in notes, notes
        assert "7 of 8 hosts follow it" in target, target
        # and the minority master: 1 of 8 (itself) wherever a number is given
        assert any(p.lstrip("▶ ").startswith("plot1") and "1 of 8 follow" in p for p in picker), picker
        assert "1 of 8 hosts follow it: only itself" in notes
        # no other count of followers anywhere on the pane
        every = " ".join([masters, notes, target, *picker])
        assert "followed by 6" not in every and not re.search(r"followed by \d", every), every
    assert list(app.errors) == []
