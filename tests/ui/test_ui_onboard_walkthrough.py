"""Onboarding, as the operator's walk-through hit it (issue 25 points 4 and 5), over real SSH.

* an update file without update.xml (here: the vendor's zip around the ISO) is explained by
  what the file holds, and another file is picked in the same pane, which then applies;
* each step's area shows its latest outcome only; every outcome it replaced is a note in the
  activity view (`l`), by host and time, in order — not in its `a` actions-only view;
* the joined host is named by its hostname, its address kept (config and table);
* F8 on the step "Add to the xentui config" adds it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from types import SimpleNamespace

from xentui.core.config import HostEntry, load_config, write_config
from xentui.actions.onboard.config_file import add_host_to_config_file
from xentui.ui.app import XentuiApp
from xentui.ui.panes.onboard import OnboardScreen

from helpers.onboard import PASSWORD, SimFactory
from helpers.onboard import confirm_with as _confirm
from helpers.onboard import onboarding_config as _config
from helpers.onboard import open_and_connect as _open_and_connect
from helpers.onboard import type_into as _type
from helpers.keys import send_key, until


async def test_a_wrong_update_file_is_explained_another_is_picked_then_join_and_f8_adds_the_config(
        sim_factory: SimFactory, tmp_path: Path) -> None:
    sim = await sim_factory(scenario="onboarding", fuse=0.3)
    config = _config(sim)
    config_file = write_config(config, tmp_path / "pools.toml")
    iso = sim.dir / "updates" / "XS82ECU1003.iso"
    wrapped = tmp_path / "XS82ECU1003.zip"  # what the vendor's site hands out: the ISO inside a zip
    with zipfile.ZipFile(wrapped, "w", compression=zipfile.ZIP_DEFLATED) as z:  # compressed: update.xml not in its bytes
        z.write(iso, "XS82ECU1003.iso")
    app = XentuiApp(config=config)
    app.config_path = config_file  # type: ignore[attr-defined]
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await _open_and_connect(app)
        send_key(app, "enter")
        await until(lambda: pane.profiles_read >= 1, 15, "both hosts read")
        [file_input] = pane.file_inputs()
        file_input.value = str(wrapped)
        file_input.focus()
        await until(lambda: pane.focused is file_input, 2, "focus on the file field")
        send_key(app, "enter")
        await until(lambda: bool(pane.text_of("ob-level-log")) and not pane.busy, 20, "the file read")
        log = pane.text_of("ob-level-log")
        assert "no update.xml in it: it is a zip archive" in log and "holding XS82ECU1003.iso" in log, log
        assert "unzip it and pick the .iso" in log
        # still in the pane, the file field focused: another file is one path and Enter away
        assert isinstance(app.screen, OnboardScreen)
        [again] = pane.file_inputs()
        await until(lambda: pane.focused is again, 5, "the file field focused for another file")
        again.value = str(iso)
        send_key(app, "enter")
        confirm = await _confirm(app)
        assert "update-apply" in confirm.request.command
        await until(lambda: pane.wizard.level_report is not None and pane.wizard.level_report.applied == ["XS82ECU1003.iso"]
                    and not pane.busy, 20, "the update applied")
        # the step shows its latest outcome: the zip's failure is history, not beside the success
        log = pane.text_of("ob-level-log")
        assert "zip archive" not in log and "✗" not in log, log
        assert any("zip archive" in line for line in pane.log_lines)  # kept in the pane's history
        assert "no check blocks the join" in pane.text_of("ob-summary")

        await _type(app, pane, "ob-pool-password", PASSWORD)
        send_key(app, "f8")
        await _confirm(app)
        await until(lambda: pane.wizard.join_report is not None and not pane.busy, 30, "the join")
        assert pane.wizard.join_report.joined
        # F8 on the step the line names: "Add to the xentui config"
        await until(lambda: pane.query_one("#ob-add-config").display, 10, "the config step offered")
        assert "(Add to the xentui config)" in pane.text_of("ob-next")
        send_key(app, "f8")
        await until(lambda: pane.wizard.config_written, 5, "the config written by F8")
        assert "plot9" in load_config(config_file).pool("sim").host_names
    assert list(app.errors) == []


def test_the_joined_host_is_named_by_its_hostname_with_its_address_kept(tmp_path: Path) -> None:
    """`_joined_entry` (the pane) names the host by the hostname it reported; the config file and the
    engine keep the address it was joined by."""
    from xentui.core.config import Config

    config = Config.model_validate({"pools": [{"name": "sim", "hosts": ["plot1", "plot2"]}]})
    fake = SimpleNamespace(wizard=SimpleNamespace(entry=HostEntry.parse("10.77.0.9"),
                                                  new=SimpleNamespace(hostname="plot9")),
                           ctx=SimpleNamespace(source=SimpleNamespace(facts={"plot1": 0, "plot2": 0}), pool="sim"),
                           _config=lambda: config)
    entry = OnboardScreen._joined_entry(fake)  # type: ignore[arg-type]
    assert (entry.name, entry.host, entry.address) == ("plot9", "10.77.0.9", "10.77.0.9")
    fake.wizard.new.hostname = "plot2"  # a name already taken: the address stays the name
    assert OnboardScreen._joined_entry(fake).name == "10.77.0.9"  # type: ignore[arg-type]
    # the config file gains { name = "plot9", address = "10.77.0.9" }, read back as such
    path = write_config(config, tmp_path / "pools.toml")
    assert add_host_to_config_file(path, "sim", entry)
    assert '{name = "plot9", address = "10.77.0.9"}' in path.read_text().replace(" = ", " = ")
    back = load_config(path).pool("sim").hosts[-1]
    assert (back.name, back.host, back.address) == ("plot9", "10.77.0.9", "10.77.0.9")
    assert not add_host_to_config_file(path, "sim", HostEntry.parse("10.77.0.9"))  # the same host: not again
    # and the config as the console writes it keeps both
    again = write_config(load_config(path), tmp_path / "again.toml")
    assert load_config(again).pool("sim").hosts[-1].address == "10.77.0.9"


def test_an_archive_around_the_iso_is_not_taken_for_the_update(tmp_path: Path) -> None:
    """A zip that stores the ISO uncompressed shows update.xml in its bytes; xapi mounts what it
    is given and an archive does not mount: refused before anything is sent, and said what it is."""
    from xentui.actions.onboard.steps import update_file_identity

    iso = tmp_path / "XS82ECU1003.iso"
    iso.write_bytes(b"\0" * 1024 + b'<update uuid="8a94ae8f-9f92-5fc2-9c66-fc226fa1c544" name-label="XS82ECU1003" '
                    b'version="1.1"></update>')
    assert update_file_identity(iso).name_label == "XS82ECU1003"  # type: ignore[union-attr]
    stored = tmp_path / "stored.zip"
    with zipfile.ZipFile(stored, "w", compression=zipfile.ZIP_STORED) as z:
        z.write(iso, "XS82ECU1003.iso")
    found = update_file_identity(stored)
    assert isinstance(found, str) and "zip archive" in found and "holding XS82ECU1003.iso" in found, found
    text = tmp_path / "notes.txt"
    text.write_text("release notes\n")
    assert "it is text (14 bytes), starting 'release notes'" in str(update_file_identity(text))


async def test_each_step_shows_its_latest_outcome_and_the_activity_view_keeps_them_all(
        sim_factory: SimFactory, tmp_path: Path) -> None:
    """Issue 25 point 5: a failed check and a refused file stayed on screen beside the later success.
    The pane shows each step's latest outcome; every outcome it replaced is in the activity view (`l`),
    named by host and time-stamped, in order, as a note (not a command, not in the `a` actions view)."""
    import re

    from xentui.ui.screens.activity import ActivityScreen
    from xentui.ui.screens.pool import PoolScreen
    from xentui.ui.widgets.activity import ActivityLog, ActivityNote

    sim = await sim_factory(scenario="onboarding", fuse=0.3)
    iso = sim.dir / "updates" / "XS82ECU1003.iso"
    wrapped = tmp_path / "XS82ECU1003.zip"
    with zipfile.ZipFile(wrapped, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.write(iso, "XS82ECU1003.iso")
    app = XentuiApp(config=_config(sim))
    async with app.run_test(size=(200, 50)) as pilot:
        pane = await _open_and_connect(app)
        send_key(app, "enter")
        await until(lambda: pane.profiles_read >= 1, 15, "both hosts read")
        blocked = pane.text_of("ob-summary")
        assert re.search(r"✗ \d+ check\(s\) block the join", blocked), blocked  # the update is missing
        [file_input] = pane.file_inputs()
        file_input.value = str(wrapped)  # first the wrong file: refused before it is sent
        file_input.focus()
        await until(lambda: pane.focused is file_input, 2, "focus on the file field")
        send_key(app, "enter")
        await until(lambda: "zip archive" in pane.text_of("ob-level-log") and not pane.busy, 20, "the zip refused")
        [again] = pane.file_inputs()
        await until(lambda: pane.focused is again, 5, "the file field focused for another file")
        again.value = str(iso)  # then the right one
        send_key(app, "enter")
        await _confirm(app)
        await until(lambda: pane.wizard.level_report is not None and pane.wizard.level_report.applied == ["XS82ECU1003.iso"]
                    and not pane.busy, 20, "the update applied")
        # the pane: the latest outcome of each step only
        summary, level = pane.text_of("ob-summary"), pane.text_of("ob-level-log")
        assert "✓ no check blocks the join" in summary and "block the join:" not in summary, summary
        assert "zip archive" not in level and "✗" not in level, level

        # the activity view: both outcomes of each step, in the order they were shown, by host and time
        await until(lambda: any("no check blocks the join" in n.text for n in app.notes), 2, "the notes flushed")
        send_key(app, "escape")
        await until(lambda: isinstance(app.screen, PoolScreen), 5, "the pool screen")
        send_key(app, "l")
        await until(lambda: isinstance(app.screen, ActivityScreen) and bool(app.screen.query(ActivityLog)), 5,
                    "the activity view")
        log = app.screen.query_one(ActivityLog)
        await until(lambda: log.lines_written > 0 and bool(log.lines), 5, "the activity view written")
        await pilot.pause()

        def shown_lines() -> list[str]:
            """The log's entries as shown: a line that starts with a time starts one; the lines it
            wraps to or adds (a note's further lines) are joined to it."""
            entries: list[str] = []
            for strip in log.lines:
                line = "".join(seg.text for seg in strip).rstrip()
                if re.match(r"\d\d:\d\d:\d\d ", line) or not entries:
                    entries.append(line)
                else:
                    entries[-1] += " " + line.strip()
            return entries

        text = "\n".join(shown_lines())
        notes = [line for line in shown_lines() if " note " in line]

        def index(what: str, after: int = -1) -> int:
            found = [i for i, n in enumerate(notes) if re.search(what, n) and i > after]
            assert found, f"no note matching {what!r} (after {after}): {notes}"
            return found[0]

        first_block = index(r"✗ \d+ check\(s\) block the join:")
        refused = index("zip archive")
        passed = index("✓ no check blocks the join")
        applied = index(r"✓ .*XS82ECU1003", after=refused)
        assert first_block < refused < passed and refused < applied, notes
        for i in (first_block, refused, passed, applied):  # time-stamped, named by host, marked as a note
            assert re.match(r"\d\d:\d\d:\d\d plot9\s+note\s+onboarding: ", notes[i]), notes[i]
        assert "update-apply" in text  # the commands are still there, beside the notes
        assert all(isinstance(n, ActivityNote) and n.host == "plot9" for n in app.notes)
        # the audited actions view shows commands only: a note is not something that ran
        written_all = log.lines_written
        send_key(app, "a")
        await until(lambda: log.actions_only, 5, "the actions-only view")
        await pilot.pause()
        assert not any(" note " in line for line in shown_lines())
        assert 0 < log.lines_written < written_all
        send_key(app, "a")
        await until(lambda: not log.actions_only, 5, "the full view again")
        await pilot.pause()
        assert sum(" note " in line for line in shown_lines()) == len(notes)
    assert list(app.errors) == []
