"""The onboarding pane at xsconsole's 80x24: the checks' verdict, the exact next step and the keys,
without scrolling (issue 13, point 7), pinned by snapshots.

Deterministic: the console runs on the recorded sample pool (`sample_app`, fixed
clock, no engine) and the pane is given two recorded host profiles (fixed UUIDs,
no temporary paths), as if plot9 and the master had just been read — the
connection and the reads themselves are driven over SSH in test_ui_onboard.py.
Update after an intended change with `--snapshot-update` and look at the SVGs in
tests/__snapshots__/test_ui_onboard_snapshot/.
"""

from __future__ import annotations

import io
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from xentui.actions.onboard import HostProfile, SRInfo, UpdateInfo
from xentui.devtools.samples import sample_app
from xentui.ui.panes.onboard import OnboardScreen

XE = "/opt/xensource/bin/xe"
U1 = UpdateInfo(uuid="11111111-1111-4111-8111-111111111111", name_label="XS82ECU1001", version="1.0")
U3 = UpdateInfo(uuid="33333333-3333-4333-8333-333333333333", name_label="XS82ECU1003", version="1.1")


def _profile(name: str, **kw: Any) -> HostProfile:
    master = name == "plot1"
    base: dict[str, Any] = dict(
        name=name, uuid=("1" if master else "9") * 8 + "-0000-4000-8000-000000000000",
        name_label=name, hostname=name, address="127.0.1.11" if master else "127.0.1.19",
        role="master", pool_conf="master", api_major=2, api_minor=21, db_schema="5.602",
        platform_version="3.2.1", product_brand="XCP-ng", product_version="8.2.1", build_number="58",
        network_backend="openvswitch", cpu_vendor="GenuineIntel", external_auth_type="",
        external_auth_service_name="", edition="xcp-ng",
        pool_uuid=("a" if master else "b") * 8 + "-0000-4000-8000-000000000000",
        pool_name="plots" if master else "plot9-pool", ha_enabled=False, tls_verification_enabled=True,
        hosts_in_pool=8 if master else 1, updates=[U1, U3],
    )
    base["pool_master_uuid"] = base["uuid"]
    base.update(kw)
    return HostProfile(**base)


def _screen_text(app: Any) -> str:
    from rich.console import Console

    console = Console(width=80, height=24, record=True, color_system=None, file=io.StringIO())
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


def _read(new: HostProfile, pool: HostProfile, must_show: list[str], must_not_show: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    """Open the pane, hand it the two profiles as its reads would, and check what 80x24 shows."""

    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.pause()
        pilot.app.push_screen(OnboardScreen(pilot.app.pane_context(None)))  # type: ignore[attr-defined]
        for _ in range(100):
            if isinstance(pilot.app.screen, OnboardScreen) and pilot.app.screen.ready:
                break
            await pilot.pause(0.05)
        pane = pilot.app.screen
        assert isinstance(pane, OnboardScreen)
        await pane._set_profiles(new, pool)
        pane._anchor = "ob-step2"  # as after the first read: the checks at the top
        for field in pane.query(Input):
            field.cursor_blink = False
        await pilot.pause(0.3)
        pane._scroll_to_anchor()
        await pilot.pause(0.3)
        shown = _screen_text(pilot.app)
        shown += "\n" + " ".join(line.strip() for line in shown.splitlines())  # a command wrapped at 80 columns
        for words in must_show:
            assert words in shown, (words, shown)
        for words in must_not_show:
            assert words not in shown, (words, shown)

    return run_before


def test_onboard_pane_missing_update_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """plot9 lacks XS82ECU1003: the verdict names the blocking check, the next step uploads and applies it."""
    wait = _read(_profile("plot9", updates=[U1]), _profile("plot1"), [
        "1 check(s) block the join: updates",
        f"next: on plot9: upload XS82ECU1003.iso, {XE} update-upload",
        "then update-apply XS82ECU1003 1.1",
        "f8 Next step", "esc Back",
    ])
    assert snap_compare(sample_app("healthy"), terminal_size=(80, 24), run_before=wait)


def test_onboard_pane_level_host_offers_the_join_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """A level host: no check blocks; the next step is the pool-join with the master's address (never force)."""
    wait = _read(_profile("plot9"), _profile("plot1"), [
        "✓ no check blocks the join",
        "next: on plot9: sh -c 'IFS= read -r XENTUI_PW",
        f"exec {XE} pool-join master-address=127.0.1.11 master-username=root \"master-password=$XENTUI_PW\"'",
        "f8 Next step",
    ], must_not_show=("force=true master",))
    assert snap_compare(sample_app("healthy"), terminal_size=(80, 24), run_before=wait)


def test_onboard_pane_says_why_join_is_disabled_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """A shared NFS SR on plot9 blocks the join: no command is offered, the line says why."""
    nfs = SRInfo(uuid="55555555-5555-4555-8555-555555555555", name_label="backups", type="nfs", shared=True)
    wait = _read(_profile("plot9", shared_srs=[nfs]), _profile("plot1"), [
        "1 check(s) block the join: no shared SRs",
        "next: none: Join is disabled:",
    ], must_not_show=("pool-join master-address",))
    assert snap_compare(sample_app("healthy"), terminal_size=(80, 24), run_before=wait)
