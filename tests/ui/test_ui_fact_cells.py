"""The host table and the host pane say the same thing about a host (issue 15).

Recorded facts (`xentui.devtools.samples`): plot3's SSH session is held but the
host has gone silent, its pool.conf and its toolstack answer are from an earlier
probe (last seen).  The table row and the host pane must both say "no answer
for N s" and "was … · age", and neither may present a last-seen fact as current.
"""

from __future__ import annotations

from xentui.devtools.samples import FIXED_NOW, SAMPLE_SETTINGS, sample_activity, sample_facts
from xentui.diagnosis import HostFlag, diagnose_pool
from xentui.core.model import HostFacts, Source, XapiView
from xentui.ui.app import XentuiApp
from xentui.ui.render import fact_cell, row_view
from xentui.ui.screens.host import HostScreen
from xentui.ui.source import StaticSource
from xentui.ui.widgets import HostDetail, HostTable

CELLS = ("ssh", "role", "toolstack")


def _silent_with_last_seen_toolstack() -> list[HostFacts]:
    """plot3: silent for 6 s; its files and its hung toolstack last seen 70 s ago."""
    facts = sample_facts("healthy")
    f = facts[2]
    assert f.name == "plot3"
    seen = FIXED_NOW - 70.0
    for key in ("role", "uuid", "hostname", "db_generation", "own_addresses"):
        f.sources[key] = Source(how=f.sources[key].how, at=seen, stale=True)
    f.xapi = XapiView.NO_ANSWER
    f.xapi_detail = f"no answer in {SAMPLE_SETTINGS.command_timeout:g} s"
    f.sources["xapi"] = Source(how="XenAPI login over an SSH port forward", at=seen, stale=True)
    for key in ("files", "emergency_mode", "pool_list", "reaches_master"):
        f.sources.pop(key, None)
    f.latency_ms = f.emergency_mode = f.reaches_master = f.pool_master_uuid = None
    f.silent_for = 6.0
    f.sources["silent_for"] = Source(how="no answer to the file read over the held SSH session", at=FIXED_NOW - 6.0)
    return facts


def test_fact_cell_says_last_seen_with_its_age() -> None:
    facts = _silent_with_last_seen_toolstack()
    f = facts[2]
    assert fact_cell(f, "ssh", SAMPLE_SETTINGS, FIXED_NOW).plain == "no answer for 6 s"
    assert fact_cell(f, "role", SAMPLE_SETTINGS, FIXED_NOW).plain == "was slave · 1m"
    assert fact_cell(f, "toolstack", SAMPLE_SETTINGS, FIXED_NOW).plain == "was no answer · 1m"
    assert fact_cell(f, "toolstack", SAMPLE_SETTINGS, FIXED_NOW, wide=False).plain == "was no answer"
    # the same host observed now: current values, no "was"
    ok = sample_facts("healthy")[2]
    assert [fact_cell(ok, k, SAMPLE_SETTINGS, FIXED_NOW).plain for k in CELLS] == ["up", "slave", "slave"]
    # a last-seen value is never flagged as a finding of now
    d = diagnose_pool(facts, "sim")
    view = row_view(f, d, {x.name: x for x in facts}, SAMPLE_SETTINGS, FIXED_NOW)
    assert "toolstack" not in view.flagged and "role" not in view.flagged
    assert HostFlag.TOOLSTACK_HUNG not in d.hosts["plot3"].flags


async def test_table_row_and_host_pane_agree_on_a_silent_host() -> None:
    facts = _silent_with_last_seen_toolstack()
    source = StaticSource("sim", facts, settings=SAMPLE_SETTINGS, activity=sample_activity(facts))
    app = XentuiApp([source], clock=lambda: FIXED_NOW)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.3)
        table = app.screen.query_one(HostTable)
        row = {k: table.get_cell("plot3", k).plain for k in CELLS}
        assert row == {"ssh": "no answer for 6 s", "role": "was slave · 1m", "toolstack": "was no answer · 1m"}
        await pilot.press("down", "down")
        await pilot.pause(0.2)
        side = app.screen.query_one("#side", HostDetail)
        assert side.host == "plot3"
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, HostScreen)
        for body in (side.plain(width=120), app.screen.query_one(HostDetail).plain(width=120)):
            for text in row.values():
                assert text in body, (text, body)
            lines = body.splitlines()
            ssh_line = next(line for line in lines if line.startswith("SSH"))
            assert " up" not in ssh_line, ssh_line  # never "SSH up" for a silent host
            assert "6s" in ssh_line  # the age of the silence, not of the session
            assert "toolstack-hung" not in body  # a last-seen hang is not a finding of now
            i = next(i for i, line in enumerate(lines) if line.startswith("toolstack"))
            assert "was no answer · 1m" in lines[i], lines[i]
            assert lines[i + 1].rstrip().endswith("last seen"), lines[i + 1]  # its age cell


def test_a_polled_host_says_so_in_its_row_and_in_status() -> None:
    """A host whose watcher loop cannot run (issue 24) is probed every poll: its SSH cell says it."""
    from xentui.cli.status import status_json, status_table

    facts = sample_facts("healthy")
    f = facts[2]
    f.watch, f.watch_detail = "polled", "the watcher loop cannot run here: bash: sh: command not found (exit 127)"
    assert fact_cell(f, "ssh", SAMPLE_SETTINGS, FIXED_NOW).plain == "up (polled)"
    assert fact_cell(f, "ssh", SAMPLE_SETTINGS, FIXED_NOW, wide=False).plain == "polled"
    streamed = facts[1]
    streamed.watch = "stream"
    assert fact_cell(streamed, "ssh", SAMPLE_SETTINGS, FIXED_NOW).plain == "up"
    d = diagnose_pool(facts, pool="sample")
    doc = status_json("sample", facts, d, 0.1)
    row = next(h for h in doc["hosts"] if h["name"] == f.name)
    assert row["watch"] == "polled" and "command not found" in row["watch_detail"]
    assert f"{f.name}" in status_table(doc) and "up (polled)" in status_table(doc)
