"""The onboarding pane (`o`) on the live console: plot9 into the simulated pool, over real SSH.

Scenario `onboarding`: plot9 is a standalone host (in the simulator's ssh_config, root password
"xenroot") that lacks XS82ECU1003 (1.1), which every host of the pool has.  The console watches
the eight pool hosts only.  Through the pane: the missing update is listed, applied from a local
file, the checks pass and the join succeeds (plot9 follows plot1, plot1 lists it, the config file
gains it).  Separately: a join without the update is refused and explained, naming the update;
an unknown host key is shown with its fingerprint and trusted only by pressing the button.  The
password never appears in the activity log, the audit file or a screenshot.
"""

from __future__ import annotations

from pathlib import Path

from helpers.sim import run_on
from xentui.core.config import load_config, write_config
from xensim.server import Simulator
from xentui.ui.app import XentuiApp
from xentui.ui.confirm import ConfirmScreen
from xentui.ui.panes.onboard import OnboardScreen
from helpers.keys import key_takes_effect, send_key, until
from helpers.onboard import PASSWORD, SimFactory
from helpers.onboard import confirm_with as _confirm
from helpers.onboard import onboarding_config as _config
from helpers.onboard import open_and_connect as _open_and_connect
from helpers.onboard import type_into as _type


async def _connect_and_submit_the_update_file(app: XentuiApp, sim: Simulator) -> OnboardScreen:
    """Connect to plot9, read both hosts, type the vendor's XS82ECU1003 file and press Enter."""
    pane = await _open_and_connect(app)
    send_key(app, "enter")
    await until(lambda: pane.profiles_read >= 1, 15, "both hosts read")
    [file_input] = pane.file_inputs()
    file_input.value = str(sim.dir / "updates" / "XS82ECU1003.iso")
    file_input.focus()
    await until(lambda: pane.focused is file_input, 2, "focus on the file field")
    send_key(app, "enter")
    return pane


async def _no_password_anywhere(app: XentuiApp, sim: Simulator, pane: OnboardScreen) -> None:
    # The activity log is fed in batches (a short timer): wait for the join to be in it.
    await until(lambda: any("pool-join" in r.command for _p, r, _a in app.command_history), 5, "the join logged")
    shown = app.export_screenshot()
    assert PASSWORD not in shown
    assert PASSWORD not in (sim.dir / "audit.jsonl").read_text()
    for _pool, result, _action in app.command_history:
        for text in (result.command, result.stdout, result.stderr, result.error or ""):
            assert PASSWORD not in text, result.command
    assert any("pool-join" in r.command for _p, r, _a in app.command_history)  # the join is in the log...
    assert not any(PASSWORD in line for line in pane.log_lines)
    assert pane.query_one("#ob-pool-password").value == "" and pane.query_one("#ob-ssh-password").value == ""


async def test_onboarding_plot9_level_then_join_through_the_pane(sim_factory: SimFactory, tmp_path: Path) -> None:
    sim = await sim_factory(scenario="onboarding", fuse=0.3)
    config = _config(sim)
    config_file = write_config(config, tmp_path / "pools.toml")
    # an admin's file: comments and layout that must survive the new host's line
    config_file.write_text("# our pools — edited by hand, keep this comment\n" + config_file.read_text()
                           .replace("hosts = [", "hosts = [  # the members\n    ", 1))
    before_lines = config_file.read_text().splitlines()
    app = XentuiApp(config=config)
    app.config_path = config_file  # type: ignore[attr-defined]  # as `xentui console --config FILE` would
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await _open_and_connect(app)
        send_key(app, "enter")  # connect
        await until(lambda: pane.profiles_read >= 1, 15, "both hosts read")
        assert pane.connected and "connected" in pane.text_of("ob-conn")

        # (2) the checks: only the updates block; the updates table names XS82ECU1003
        status = {c.name: c.status.value for c in pane.wizard.checks}
        assert [n for n, s in status.items() if s == "block"] == ["updates"], status
        assert "1 check(s) block the join: updates" in pane.text_of("ob-summary")
        assert "XS82ECU1003 1.1" in pane.text_of("ob-summary")  # what to do names it
        checks = pane.text_of("ob-checks")
        assert "force=true would skip only: CPU vendor, software version" in checks
        assert "never passes force" in checks
        updates = pane.text_of("ob-updates")
        assert "XS82ECU1003" in updates and "1.1" in updates and "plot9 lacks it" in updates
        assert [u.name_label for u in pane.wizard.missing] == ["XS82ECU1003"]
        assert pane.query_one("#ob-master").value == sim.pool.host("plot1").address

        # (3) bring level from a file on the jump box
        assert "XS82ECU1003 1.1 needs XS82ECU1003.iso (update.xml: name-label XS82ECU1003, version 1.1" in (
            pane.text_of("ob-level-intro"))
        iso = sim.dir / "updates" / "XS82ECU1003.iso"  # the vendor's file
        [file_input] = pane.file_inputs()
        file_input.value = str(iso)
        file_input.focus()
        await until(lambda: pane.focused is file_input, 2, "focus on the file field")
        send_key(app, "enter")
        confirm = await _confirm(app)
        # the runner asks for the apply (the upload only adds the update to plot9's list)
        assert confirm.request.host == "plot9" and "update-apply uuid=" in confirm.request.command
        await until(lambda: pane.wizard.level_report is not None and not pane.busy, 20, "the update applied")
        report = pane.wizard.level_report
        assert report is not None and report.applied == ["XS82ECU1003.iso"] and report.ok, report.failed
        log = pane.text_of("ob-level-log")
        assert "update-upload" in log and "update-apply" in log
        assert "applied — update-list lists it on plot9" in log and "✗" not in log
        bar = pane.query_one("#ob-progress")
        assert bar.progress == bar.total == iso.stat().st_size
        assert all(c.status.value == "pass" for c in pane.wizard.checks)
        assert "no check blocks the join" in pane.text_of("ob-summary")
        assert pane.wizard.missing == () and pane.file_inputs() == []
        nxt = pane.text_of("ob-next")  # the fixed line: the verdict, then the exact pool-join
        assert "✓ no check blocks the join" in nxt and "next: on plot9: sh -c " in nxt, nxt

        # (4) join with the pool password (typed into a password field), F8: the step the line names
        await _type(app, pane, "ob-pool-password", PASSWORD)
        assert PASSWORD not in app.export_screenshot()  # shown as bullets while typed
        send_key(app, "f8")
        await until(lambda: isinstance(app.screen, ConfirmScreen), 10, "the join confirmation")
        assert pane.query_one("#ob-pool-password").value == ""  # cleared at once
        confirm = await _confirm(app)
        assert confirm.request.host == "plot9" and "pool-join" in confirm.request.command and PASSWORD not in confirm.request.command
        assert "master-address=" + sim.pool.host("plot1").address in confirm.request.command
        assert f"on plot9: {confirm.request.command}" in nxt  # what was announced is what ran
        await until(lambda: pane.wizard.join_report is not None and not pane.busy, 30, "the join")
        jr = pane.wizard.join_report
        assert jr is not None and jr.joined, jr.text()
        result = pane.text_of("ob-join-result")
        assert "plot9 joined the pool" in result and "includes plot9" in result

        # the hosts agree: plot9 follows plot1, plot1 lists it
        conf = await run_on(sim, "plot9", "cat /etc/xensource/pool.conf")
        assert str(conf.stdout).strip() == f"slave:{sim.pool.host('plot1').address}"
        listed = await run_on(sim, "plot1", "xe host-list params=name-label --minimal")
        assert "plot9" in str(listed.stdout).strip().split(",")

        # the config file gains plot9
        add = pane.query_one("#ob-add-config")
        assert add.display and str(config_file) in pane.text_of("ob-config")
        add.press()
        await until(lambda: pane.wizard.config_written, 5, "the config written")
        assert load_config(config_file).pool("sim").host_names == [f"plot{i}" for i in range(1, 10)]
        after = config_file.read_text().splitlines()
        assert after[0] == "# our pools — edited by hand, keep this comment" and "# the members" in after[
            [i for i, ln in enumerate(after) if ln.startswith("hosts = [")][0]]
        added = [ln for ln in after if ln not in before_lines]
        assert len(added) == 1 and '"plot9"' in added[0]  # one line more, every other line as it was
        assert [ln for ln in after if ln != added[0]] == before_lines

        # the new host is a row of the console, from the engine's own probe of it
        await until(lambda: any(m.startswith("✓ plot9 is a row of the console") for m in pane.post_join), 20,
                    "plot9 probed by the console")
        assert "plot9" in app.current_slot.source.facts
        assert app.current_slot.source.facts["plot9"].role.value == "slave"
        # the password fields are read while the pane is still mounted (leaving it unmounts them)
        await _no_password_anywhere(app, sim, pane)
        await key_takes_effect(app, "escape", lambda: not isinstance(app.screen, OnboardScreen))
        from xentui.ui.widgets.hosts import HostTable
        table = app.screen.query_one(HostTable)
        await until(lambda: "plot9" in table._views, 10, "plot9 a row of the table")

        audited = (sim.dir / "audit.jsonl").read_text()
        assert "pool-join" in audited and "update-apply" in audited
        assert list(app.errors) == []


async def test_join_without_the_update_is_refused_and_explained(sim_factory: SimFactory) -> None:
    sim = await sim_factory(scenario="onboarding", fuse=0.3)
    # The jump box has never seen plot9: its key is shown and trusted only by the button.
    known = sim.dir / "known_hosts"
    port = sim.pool.host("plot9").ssh_port
    known.write_text("".join(ln + "\n" for ln in known.read_text().splitlines() if f"]:{port} " not in ln))
    app = XentuiApp(config=_config(sim))  # not started from a config file
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await _open_and_connect(app)
        send_key(app, "enter")
        await until(lambda: pane.conn is not None and not pane.busy, 15, "the connection attempt")
        fingerprint = sim.host_keys["plot9"].get_fingerprint()
        assert not pane.connected and pane.conn.needs_trust
        assert fingerprint in pane.text_of("ob-conn") and "host key unknown" in pane.text_of("ob-conn")
        assert f"]:{port} " not in known.read_text()  # nothing trusted by connecting
        assert pane.query_one("#ob-trust").display
        # the fixed line (never scrolled away) names the next step; F8 does it, like the button
        nxt = pane.text_of("ob-next")
        assert "host key is unknown" in nxt and f"next: on this jump box: trust host key {fingerprint}" in nxt, nxt
        send_key(app, "f8")
        confirm = await _confirm(app)  # the runner's confirmation names the fingerprint
        assert fingerprint in confirm.request.command and "trust host key" in confirm.request.command
        await until(lambda: pane.profiles_read >= 1, 15, "both hosts read after trusting the key")
        assert pane.connected and f"]:{port} " in known.read_text()
        assert not pane.query_one("#ob-trust").display

        # Join is disabled while a check blocks, and says why; Enter in the password field runs nothing
        assert [c.name for c in pane.wizard.checks if c.status.value == "block"] == ["updates"]
        assert pane.query_one("#ob-join").disabled
        assert "Join is disabled: a check blocks: updates (HOSTS_NOT_HOMOGENEOUS)" in pane.text_of("ob-join-why")
        nxt = pane.text_of("ob-next")
        assert "✗ 1 check(s) block the join: updates" in nxt, nxt
        assert "next: on plot9: upload XS82ECU1003.iso, /opt/xensource/bin/xe update-upload" in nxt, nxt
        await _type(app, pane, "ob-pool-password", PASSWORD)
        send_key(app, "enter")
        await pilot.pause(0.5)
        assert not isinstance(app.screen, ConfirmScreen) and pane.wizard.join_report is None
        conf = await run_on(sim, "plot9", "cat /etc/xensource/pool.conf")
        assert str(conf.stdout).strip() == "master"  # nothing changed
        assert not any("pool-join" in argv for host, argv in sim.received if host == "plot9")
        assert not pane.query_one("#ob-add-config").display and pane.text_of("ob-config") == ""
        assert list(app.errors) == []


async def test_a_gather_failure_appears_once_and_the_checks_say_not_checked(sim_factory: SimFactory) -> None:
    sim = await sim_factory(scenario="onboarding", fuse=0.3)
    sim.pool.host("plot9").xapi_hung = True  # plot9's toolstack accepts and never answers
    app = XentuiApp(config=_config(sim))
    async with app.run_test(size=(120, 40)):
        pane = await _open_and_connect(app)
        send_key(app, "enter")
        await until(lambda: pane.profiles_read >= 1, 30, "both hosts read")
        summary = pane.text_of("ob-summary")
        causes = [ln for ln in summary.splitlines() if "facts missing: plot9: xe " in ln]
        assert causes, summary
        whole = "\n".join(pane.text_of(w) for w in ("ob-summary", "ob-updates", "ob-checks", "ob-level-intro"))
        for cause in causes:
            text = cause.split("facts missing: ", 1)[1]
            assert whole.count(text) == 1, text  # said once, at the top
        checks = pane.text_of("ob-checks")
        assert "not checked" in checks and "✗ block" not in checks
        assert all(c.status.value in ("not-checked", "pass") for c in pane.wizard.checks)
        assert pane.query_one("#ob-join").disabled and "facts missing" in pane.text_of("ob-join-why")
        assert list(app.errors) == []


async def test_an_apply_the_host_does_not_list_afterwards_is_shown_failed(sim_factory: SimFactory, monkeypatch) -> None:
    sim = await sim_factory(scenario="onboarding", fuse=0.3)

    async def apply_that_does_not_take(self, m, update_uuid, host_uuid):  # exits 0, records nothing
        return None

    monkeypatch.setattr(type(sim.pool), "op_pool_update_apply", apply_that_does_not_take)
    app = XentuiApp(config=_config(sim))
    async with app.run_test(size=(120, 40)):
        pane = await _connect_and_submit_the_update_file(app, sim)
        await _confirm(app)
        await until(lambda: pane.wizard.level_report is not None and not pane.busy, 20, "the apply")
        report = pane.wizard.level_report
        assert report.applied == [] and len(report.failed) == 1 and not report.ok
        log = pane.text_of("ob-level-log")
        assert "✗ failed: XS82ECU1003.iso" in log and "update-list lists it on 0 host(s), not plot9" in log
        assert "✓ XS82ECU1003.iso" not in log
        assert pane.query_one("#ob-join").disabled
        assert list(app.errors) == []


async def test_dry_run_onboarding_sends_no_change_and_audits_each_step(sim_factory: SimFactory) -> None:
    sim = await sim_factory(scenario="onboarding", fuse=0.3)
    app = XentuiApp(config=_config(sim), dry_run=True)
    async with app.run_test(size=(120, 40)):
        pane = await _connect_and_submit_the_update_file(app, sim)
        await until(lambda: pane.wizard.level_report is not None and not pane.busy, 20, "the dry run")
        assert "dry run: nothing was uploaded or applied" in pane.text_of("ob-level-log")
        assert not isinstance(app.screen, ConfirmScreen)  # a dry run asks nothing
        assert not sim.pool.host("plot9").path("/tmp/XS82ECU1003.iso").exists()
        changing = ("update-upload", "update-apply", "pool-join")
        assert not any(any(c in a for c in changing) for _h, argv in sim.received for a in argv)
        dry = [r for r in app.audit.read() if r.outcome == "dry-run"]
        assert [r.command.split()[1] for r in dry] == ["update-upload", "update-apply"]
        assert all(r.host == "plot9" for r in dry)
        assert list(app.errors) == []
