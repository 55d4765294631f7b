"""The onboarding pane's fixed line, drawn from the wizard's state alone (no app, no host)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.profiles import NFS, U1, host_profile
from xentui.actions.onboard import JoinReport
from xentui.actions.onboard.wizard import Connected, ConnectPressed, HostsRead, JoinPressed, JoinRan, Link, Wizard
from xentui.ui.panes.onboard_render import config_offer_text, files_intro, intro_text, next_text
from xentui.core.config import Config, HostEntry

XE = "/opt/xensource/bin/xe"
MASTER = host_profile("plot1")


def checked(new, config_file: bool = False) -> Wizard:  # type: ignore[no-untyped-def]
    w = Wizard(live=True, config_file=config_file)
    for e in (ConnectPressed("plot9"), Connected(Link("plot9", up=True)),
              HostsRead(new, MASTER)):
        w, _ = w.handle(e)
    return w


JOINED = JoinReport(new_host="plot9", master_address="127.0.1.11", master_username="root", accepted=True,
                    follows_master=True, master_lists_new_host=True)


def joined(config_file: bool) -> Wizard:
    w = checked(host_profile("plot9"), config_file)
    for e in (JoinPressed("127.0.1.11", "root", True), JoinRan(JOINED, "ok")):
        w, _ = w.handle(e)
    return w


@pytest.mark.parametrize(("state", "kw", "says"), [
    (Wizard(live=False), {}, "✗ recorded facts: onboarding needs the live console"),
    (Wizard(live=True), {}, "- no new host connected\nnext: type the new host's ssh alias or address, then F8 (Connect)"),
    (checked(host_profile("plot9", updates=[U1])), {},
     f"✗ 1 check(s) block the join: updates\nnext: on plot9: upload XS82ECU1003.iso, {XE} update-upload "
     "file-name=/tmp/XS82ECU1003.iso, then update-apply XS82ECU1003 1.1"),
    (checked(host_profile("plot9", updates=[U1])), {"first_file": "~/dl/ecu1003.iso"},
     f"next: on plot9: upload ecu1003.iso, {XE} update-upload file-name=/tmp/ecu1003.iso"),
    (checked(host_profile("plot9", shared_srs=[NFS])), {},
     "next: none: Join is disabled: a check blocks: no shared SRs (JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS)"),
    (checked(host_profile("plot9")), {}, "✓ no check blocks the join\nnext: type the pool master's address and user"),
    (checked(host_profile("plot9")), {"master_address": "127.0.1.11", "master_user": "root"},
     "next: on plot9: sh -c 'IFS= read -r XENTUI_PW"),
    (joined(config_file=True), {"config_path": Path("/etc/xentui/pools.toml")},
     "✓ plot9 joined the pool\nnext: add plot9 to /etc/xentui/pools.toml (Add to the xentui config)"),
    (joined(config_file=False), {}, "✓ plot9 joined the pool"),
])
def test_the_fixed_line_from_the_wizard(state: Wizard, kw: dict, says: str) -> None:
    text = next_text(state, None, **kw).plain
    assert says in text, text
    if says == "✓ plot9 joined the pool":
        assert "next:" not in text


def test_the_step_texts() -> None:
    assert "No master is visible" in intro_text("sim", None, live=True, dry_run=False).plain
    dry = intro_text("sim", "plot1", live=False, dry_run=True).plain
    assert "(master plot1)" in dry and "recorded facts" in dry and "[dry run" in dry
    behind = host_profile("plot9", updates=[U1])
    assert "plot9 lacks XS82ECU1003 1.1." in files_intro(behind, [u for u in MASTER.updates if u not in behind.updates]).plain
    assert "nothing to bring level" in files_intro(host_profile("plot9"), []).plain
    config = Config.model_validate({"pools": [{"name": "sim", "hosts": ["plot1", "plot9"]}]})
    entry = HostEntry.parse("plot9")
    assert "already a host of pool sim" in config_offer_text(entry, "sim", config, already=True, path=None).plain
    offer = config_offer_text(entry, "sim", config, already=False, path=Path("/p.toml")).plain
    assert offer.startswith("Add plot9 to pool sim in /p.toml?") and 'hosts = ["plot1", "plot9"]' in offer
    assert "add this to pool sim's entry yourself" in config_offer_text(entry, "sim", config, already=False,
                                                                         path=None).plain
