"""A changed host key (issue 25 point 6), through real SSH against the simulator: the console
shows the fingerprint known_hosts holds and the one offered, the exact commands to verify and
replace the entry, and nothing about the host's power (it answered, with another key)."""

from __future__ import annotations

import asyncio
import io
import re

from xentui.diagnosis import Verdict
from xentui.core.facts_rules import host_key_changed_advice
from xentui.core.model import HostFacts, SshState
from xentui.ui.app import XentuiApp
from xentui.ui.screens.host import HostScreen

from helpers.console import fast_config, pool_screen, verdict
from helpers.keys import until


def _text(app: XentuiApp) -> str:
    """The screen as plain text, lines joined (a sentence may wrap)."""
    from rich.console import Console

    console = Console(width=app.size.width, height=app.size.height, record=True, color_system=None, file=io.StringIO())
    console.print(app.screen._compositor.render_update(full=True))  # type: ignore[attr-defined]
    return " ".join(ln.strip(" ▌") for ln in console.export_text().splitlines())


async def test_a_changed_host_key_shows_both_fingerprints_and_how_to_replace_the_entry(sim_factory) -> None:
    sim = await sim_factory("healthy")
    old = {ln.split()[0]: ln for ln in (sim.dir / "known_hosts").read_text().splitlines() if ln.strip()}
    await sim.fault("rekey", "plot3")
    app = XentuiApp(config=fast_config(sim))
    async with app.run_test(size=(160, 48)) as pilot:
        await until(lambda: verdict(app) is Verdict.DEGRADED and app.current_slot.diagnosis.recommendation is not None
                    and app.current_slot.diagnosis.recommendation.host == "plot3", 30, "plot3 flagged")
        f = app.current_slot.source.facts["plot3"]
        assert f.ssh is SshState.HOST_KEY_CHANGED
        assert f.known_host_keys and f.host_key_fingerprint and f.host_key_fingerprint not in f.known_host_keys
        reason = app.current_slot.diagnosis.recommendation.reason
        assert f"known {f.known_host_keys[0]}, offered {f.host_key_fingerprint}" in reason
        assert "power" not in reason.lower()
        assert "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub" in reason
        # known_hosts names plot3 as ssh really reaches it (ssh_config's HostName and Port), not by its alias
        entry = f"[127.0.0.1]:{sim.pool.hosts['plot3'].ssh_port}"
        assert entry in old, old
        assert f"`ssh-keygen -R '{entry}' -f {sim.dir / 'known_hosts'}`" in reason, reason
        assert f"`ssh-keyscan -t ed25519 -p {sim.pool.hosts['plot3'].ssh_port} 127.0.0.1 >> " in reason, reason
        # the banner says it (160 columns: the whole sentence) ...
        await pilot.pause(0.3)
        shown = _text(app)
        assert "offered SHA256:" in shown and "power" not in shown.lower()
        # ... and the host pane, with both keys on its SSH row
        table = pool_screen(app).table
        table.move_cursor(row=2)
        await pilot.pause()
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, HostScreen), 5, "the host pane")
        await pilot.pause(0.3)
        shown = _text(app)
        assert "Host key changed" in shown and f"known_hosts has {f.known_host_keys[0]}" in shown
        assert "power" not in shown.lower()
        # the steps are exact: run as written (after the verification on the host), the console logs in again
        steps = re.findall(r"`([^`]+)`", reason)
        remove, scan, check = steps[1], steps[2], steps[3]
        for cmd in (remove, scan):
            proc = await asyncio.create_subprocess_shell(cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            out, err = await asyncio.wait_for(proc.communicate(), 20)
            assert proc.returncode == 0, (cmd, out, err)
        proc = await asyncio.create_subprocess_shell(check, stdout=asyncio.subprocess.PIPE)
        out, _ = await asyncio.wait_for(proc.communicate(), 20)
        assert f.host_key_fingerprint in out.decode(), out
        await until(lambda: app.current_slot.source.facts["plot3"].ssh is SshState.UP, 30, "plot3 up with its new key")
    assert list(app.errors) == []


def test_the_advice_quotes_what_it_must_and_names_a_non_default_port() -> None:
    f = HostFacts(name="plot3", address="10.0.0.3", port=2222, ssh=SshState.HOST_KEY_CHANGED,
                  host_key_fingerprint="SHA256:new", host_key_type="ecdsa-sha2-nistp256",
                  known_host_keys=["SHA256:old"], known_hosts_file="/tmp/my hosts")
    text = host_key_changed_advice(f)
    assert "known SHA256:old, offered SHA256:new (ecdsa-sha2-nistp256)" in text
    assert "`ssh-keygen -lf /etc/ssh/ssh_host_ecdsa_key.pub`" in text
    assert "`ssh-keygen -R '[10.0.0.3]:2222' -f '/tmp/my hosts'`" in text
    assert "`ssh-keyscan -t ecdsa -p 2222 10.0.0.3 >> '/tmp/my hosts'`" in text
    assert not re.search(r"power|console; ", text)
