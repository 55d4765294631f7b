"""Two consoles on one pool, one lease; a read-only console refuses every change key.

Both consoles run in this one test process (two Textual apps, each with its own
engine and SSH sessions to the same simulator): they press `r` at the same
moment for different promotions; exactly one takes the pool's lease and runs, the
other is asked a typed take-over (Esc), is refused naming the holder, and its
header shows who holds the pool.
"""

from __future__ import annotations

from textual.widgets import Header
from textual.widgets._header import HeaderTitle

from helpers.console import SimFactory, XE, confirm_f8, fast_config, open_pane, pane_available, pick, run_done, verdict, xe_sent
from helpers.keys import send_key, until
from xentui.diagnosis import Verdict
from xentui.ui.app import XentuiApp
from xentui.ui.confirm import ConfirmScreen
from xentui.ui.panes.recover import RecoverScreen


def header_text(app: XentuiApp) -> str:
    return str(app.screen.query_one(Header).query_one(HeaderTitle).render())


def masters(sim) -> list[str]:
    return sorted(h.name for h in sim.pool.hosts.values() if h.powered and h.pool_conf == "master")


async def test_two_consoles_promote_at_once_one_runs(sim_factory: SimFactory) -> None:
    sim = await sim_factory(scenario="master-shutdown", fuse=0.3)
    a, b = XentuiApp(config=fast_config(sim)), XentuiApp(config=fast_config(sim))
    async with a.run_test(size=(160, 40)), b.run_test(size=(160, 40)):
        for app in (a, b):
            await until(lambda: verdict(app) is Verdict.MASTER_LOST and pane_available(app, "recover"), 20, "master lost")
        pa = await open_pane(a, "r", RecoverScreen)
        pb = await open_pane(b, "r", RecoverScreen)
        await pick(a, "candidates", "plot2", lambda: pa.candidate == "plot2")
        await pick(b, "candidates", "plot3", lambda: pb.candidate == "plot3")
        await until(lambda: not pa.plan.blocked and not pb.plan.blocked, 10, "both plans ready")
        send_key(a, "r")
        send_key(b, "r")
        await until(lambda: isinstance(a.screen, ConfirmScreen) and isinstance(b.screen, ConfirmScreen), 20, "both asked")
        asked = {app: app.screen.request for app in (a, b)}  # type: ignore[attr-defined]
        losers = [app for app, req in asked.items() if req.typed_what == "holder"]
        assert len(losers) == 1, asked
        loser = losers[0]
        winner = b if loser is a else a
        wpane, lpane = (pa, pb) if winner is a else (pb, pa)
        chosen = "plot2" if winner is a else "plot3"
        # the loser is asked to type the holder's login@box to take over; Esc leaves the lease theirs
        holder = asked[loser].host
        assert "@" in holder and asked[loser].command == f"take over the pool's lease from {holder}"
        send_key(loser, "escape")
        await run_done(lpane, 1)
        assert lpane.report is not None and lpane.report.refused == "lease"
        assert f"held by {holder} (plan 'Promote {chosen}" in (lpane.report.stopped or "")
        assert lpane.report.ran == []
        # the loser's header, on whatever screen it shows, names the holder and the plan
        await until(lambda: loser.lease_line is not None, 10, "the lease in the loser's header")
        assert f"LEASE {holder} since " in header_text(loser) and f"plan 'Promote {chosen}" in loser.lease_line
        # the winner runs its plan
        await confirm_f8(winner, chosen, f"{XE} pool-emergency-transition-to-master")
        await confirm_f8(winner, chosen, f"{XE} pool-recover-slaves")
        await run_done(wpane, 1)
        assert wpane.report is not None and wpane.report.complete, wpane.report.text()
        assert xe_sent(sim, "pool-emergency-transition-to-master") == 1
        assert masters(sim) == [chosen]
        assert winner.lease_line is None  # its own lease is never shown as someone else's
        # released: the loser's header clears at its next read
        await until(lambda: loser.lease_line is None, 10, "the lease gone from the loser's header")


async def test_read_only_console_refuses_change_keys(sim_factory: SimFactory) -> None:
    sim = await sim_factory(scenario="master-shutdown", fuse=0.3)
    config = fast_config(sim)
    for app in (XentuiApp(config=config, read_only=True),
                XentuiApp(config=config.model_copy(update={"settings": config.settings.model_copy(update={"read_only": True})}))):
        async with app.run_test(size=(120, 36)):
            await until(lambda: verdict(app) is Verdict.MASTER_LOST and pane_available(app, "recover"), 20, "master lost")
            assert "READ-ONLY" in header_text(app)
            pane = await open_pane(app, "r", RecoverScreen)
            await until(lambda: not pane.plan.blocked, 10, "an unblocked plan")
            assert "READ-ONLY" in header_text(app)
            send_key(app, "r")
            await until(lambda: any("read-only" in n.message for n in app._notifications), 5, "the refusal")
            note = next(n.message for n in app._notifications if "read-only" in n.message)
            assert note.startswith("Refused: running the plan") and "watches and changes nothing" in note
            assert not pane.running and pane.runs == 0 and not isinstance(app.screen, ConfirmScreen)
    # the runner itself refuses too (a key that forgot to ask): nothing reached a host
    assert xe_sent(sim, "pool-emergency-transition-to-master") == 0


def test_cli_hands_read_only_to_the_console_and_the_demo(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import xentui.devtools.demo as demo_module
    import xentui.ui.app as app_module
    from xentui.cli import main as cli

    seen: dict[str, object] = {}
    monkeypatch.setattr(demo_module, "run_demo", lambda **kw: seen.update(kw) or 0)
    monkeypatch.setattr(app_module, "run_console", lambda config, **kw: seen.update(kw) or 0)
    assert cli.main(["--read-only", "demo"]) == 0 and seen["read_only"] is True
    assert cli.main(["demo"]) == 0 and seen["read_only"] is False
    cfg = tmp_path / "pools.toml"
    cfg.write_text('[[pool]]\nname = "p"\nhosts = ["h1"]\n')
    assert cli.main(["--config", str(cfg), "--read-only"]) == 0 and seen["read_only"] is True
