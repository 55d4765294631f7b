"""The local storage pane (`d`) on the live console against the simulator, over real SSH.

plot3 has a spare `sdb`/`sdb1`, plot4 `sdb1` + `sdb2`, plot5 a whole `sdb`; every host's
system disk `sda` (six partitions: root, backup root, the default SR's PV, boot, /var/log,
swap) must never be offered.  Keys are sent the way the terminal driver sends them
(`helpers.keys`): Pilot.press waits for an idle loop that never comes next to 8 sshds.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from helpers.sim import run_on
from helpers.settings import CONSOLE_FAST
from xentui.core.config import Config, Settings, load_config
from xentui.diagnosis import Verdict
from xensim.server import Simulator
from xentui.ui.app import XentuiApp
from xentui.ui.confirm import ConfirmScreen
from xentui.ui.panes.storage import PoolStorageScreen, StorageScreen
from xentui.ui.screens.pool import PoolScreen
from helpers.keys import key_takes_effect, send_key, until
from xentui.ui.widgets import HostTable
from xentui.xe.records import parse_records

SimFactory = Callable[..., Awaitable[Simulator]]
SHORT = CONSOLE_FAST
SYSTEM = ("sda", "sda1", "sda2", "sda3", "sda4", "sda5", "sda6")


def _config(sim: Simulator) -> Config:
    config = load_config(sim.dir / "pools.toml")
    return config.model_copy(update={"settings": Settings(audit_file=sim.dir / "audit.jsonl", **SHORT)})


def _ready(app: XentuiApp) -> bool:
    slot = app.current_slot
    if slot is None or slot.diagnosis is None or slot.diagnosis.verdict is not Verdict.HEALTHY:
        return False
    facts = slot.source.facts
    return len(facts) == 8 and all(f.uuid and f.hostname for f in facts.values())


async def _select_host(app: XentuiApp, host: str) -> None:
    table = app.screen.query_one(HostTable)
    while table.selected_host != host:
        row = table.cursor_row + 1
        await key_takes_effect(app, "down", lambda row=row: table.cursor_row == row)


async def _pick_device(app: XentuiApp, pane: StorageScreen, name: str) -> None:
    names = [d.name for d in pane.devices]
    want = names.index(name)
    for _ in range(len(names) + 1):
        cur = pane.selected_device
        if cur is not None and cur.name == name:
            await until(lambda: pane.shown_device == name, 2, f"the command for {name}")
            return
        i = names.index(cur.name) if cur is not None else 0
        key = "down" if i < want else "up"
        nxt = names[i + 1] if key == "down" else names[i - 1]
        await key_takes_effect(app, key, lambda nxt=nxt: (d := pane.selected_device) is not None and d.name == nxt)
    raise AssertionError(f"could not move to {name}")


async def _sr_names(sim: Simulator, host: str) -> list[str]:
    out = await run_on(sim, host, "xe sr-list params=name-label,host")
    return [r["name-label"] for r in parse_records(str(out.stdout)) if r.get("host") == host]


async def test_plot3_sdb1_becomes_an_sr_through_the_pane(sim_factory: SimFactory) -> None:
    sim = await sim_factory(scenario="healthy", fuse=0.3)
    app = XentuiApp(config=_config(sim))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(lambda: _ready(app), 20, "a healthy pool with every UUID")
        await _select_host(app, "plot3")
        await key_takes_effect(app, "d", lambda: isinstance(app.screen, StorageScreen))
        pane = app.screen
        assert isinstance(pane, StorageScreen) and pane.host == "plot3"
        await until(lambda: pane.reads >= 1, 10, "plot3's disks")
        assert pane.storage is not None and pane.storage.error is None, pane.storage

        # every disk and partition, the system disk's with why it is not free
        devs = {d.name: d for d in pane.devices}
        assert set(SYSTEM) | {"sdb", "sdb1"} <= set(devs)
        assert set(pane.offered) == {"sdb", "sdb1"}
        for name in SYSTEM:
            assert not devs[name].free and devs[name].reasons, name
        assert "mounted on /" in " ".join(devs["sda1"].reasons)
        assert "system disk" in " ".join(devs["sda"].reasons)
        assert devs["sdb1"].size.endswith("GiB")  # human units

        # a system partition is never offered: no command, `c` does nothing
        await _pick_device(app, pane, "sda3")
        assert pane.plan is None and "not offered" in pane.command_text
        assert pane.query_one("#st-label").disabled
        send_key(app, "c")
        await pilot.pause(0.3)
        assert app.screen is pane

        # the free partition: proposed label, exact command, shown live as the label is edited
        await _pick_device(app, pane, "sdb1")
        assert pane.label == "Local storage 2 on plot3"
        f3 = app.current_slot.source.facts["plot3"]
        expected = (f"/opt/xensource/bin/xe sr-create content-type=user device-config:device=/dev/sdb1 "
                    f"host-uuid={f3.uuid} 'name-label=Local storage 2 on plot3' shared=false type=lvm")
        assert pane.plan is not None and pane.plan.command == expected
        assert expected in pane.command_text
        await key_takes_effect(app, "enter", lambda: pane.focused is pane.query_one("#st-label"))
        await key_takes_effect(app, "end", lambda: True)
        await key_takes_effect(app, "!", lambda: "on plot3!'" in pane.command_text)
        await key_takes_effect(app, "backspace", lambda: pane.command_text.count(expected) == 1)
        await key_takes_effect(app, "escape", lambda: pane.focused is pane.query_one("#st-devices"))

        # c → the confirmation names the host and the exact command; F8 runs it
        await key_takes_effect(app, "c", lambda: isinstance(app.screen, ConfirmScreen))
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.request.host == "plot3" and confirm.request.command == expected
        await key_takes_effect(app, "f8", lambda: bool(pane.outcomes), within=20)
        out = pane.outcomes[-1]
        assert out.status == "created", out
        assert out.sr_uuid and out.sr_uuid in pane.result_text
        assert out.listed is True and "listed by xe sr-list" in pane.result_text
        assert app.screen is pane

        # re-read: sdb1 is now the SR's, and so is its disk; the next label is proposed
        devs = {d.name: d for d in pane.devices}
        assert not devs["sdb1"].free and not devs["sdb"].free
        assert any("Local storage 2 on plot3" in r or "LVM physical volume" in r for r in devs["sdb1"].reasons)
        assert pane.offered == []
        assert pane.label == "Local storage 3 on plot3"
        assert "/dev/sdb1 now: in use" in pane.result_text

        # the host agrees, and the sr-create is audited (probe commands are not)
        assert "Local storage 2 on plot3" in await _sr_names(sim, "plot3")
        records = [json.loads(line) for line in (sim.dir / "audit.jsonl").read_text().splitlines()]
        # audited by the runner, as sent: bounded on the host by `timeout`
        assert len(records) == 1 and records[0]["command"].endswith(" " + expected), records
        assert records[0]["host"] == "plot3" and records[0]["outcome"] == "ok"
        assert out.sr_uuid in (records[0].get("detail") or "")
        await key_takes_effect(app, "escape", lambda: isinstance(app.screen, PoolScreen))
        assert list(app.errors) == []


async def test_pool_view_one_pass_one_confirmation_per_host(sim_factory: SimFactory) -> None:
    sim = await sim_factory(scenario="healthy", fuse=0.3)
    app = XentuiApp(config=_config(sim))
    async with app.run_test(size=(120, 36)) as pilot:
        await until(lambda: _ready(app), 20, "a healthy pool with every UUID")
        await key_takes_effect(app, "d", lambda: isinstance(app.screen, StorageScreen))  # plot1 selected
        host_pane = app.screen
        assert isinstance(host_pane, StorageScreen) and host_pane.host == "plot1"
        await until(lambda: host_pane.reads >= 1, 10, "plot1's disks")
        assert host_pane.offered == []  # plot1: only its system disk
        assert "no free disk" in host_pane.command_text

        await key_takes_effect(app, "a", lambda: isinstance(app.screen, PoolStorageScreen))
        pane = app.screen
        assert isinstance(pane, PoolStorageScreen)
        await until(lambda: pane.reads >= 1, 15, "every host's disks")
        spare = pane.spare
        assert set(spare) == {"plot3", "plot4", "plot5"}
        assert {d.name for d in spare["plot4"]} >= {"sdb1", "sdb2"}
        assert pane.picks == {"plot3": "sdb1", "plot4": "sdb1", "plot5": "sdb"}

        # pick sdb2 on plot4 instead (space on its row)
        table = pane.query_one("#ps-table")
        target = table.get_row_index("plot4/sdb2")
        while table.cursor_row != target:
            row = table.cursor_row + (1 if table.cursor_row < target else -1)
            await key_takes_effect(app, "down" if row > table.cursor_row else "up", lambda row=row: table.cursor_row == row)
        await key_takes_effect(app, "space", lambda: pane.picks.get("plot4") == "sdb2")

        # one pass: plot3 confirmed, plot4 cancelled, plot5 confirmed
        asked: list[tuple[str, str]] = []
        send_key(app, "c")
        for key in ("f8", "escape", "f8"):
            await until(lambda: isinstance(app.screen, ConfirmScreen), 15, "the next confirmation")
            confirm = app.screen
            assert isinstance(confirm, ConfirmScreen)
            asked.append((confirm.request.host, confirm.request.command))
            send_key(app, key)
            await until(lambda confirm=confirm: app.screen is not confirm, 5, "the confirmation to close")
        await until(lambda: not pane.busy and len(pane.outcomes) == 3, 20, "the pass to end")
        assert [h for h, _ in asked] == ["plot3", "plot4", "plot5"]
        assert "device-config:device=/dev/sdb2" in asked[1][1]
        assert [(o.host, o.status) for o in pane.outcomes] == [
            ("plot3", "created"), ("plot4", "cancelled"), ("plot5", "created")]
        assert all(o.listed for o in pane.outcomes if o.status == "created")
        assert "Local storage 2 on plot3" in await _sr_names(sim, "plot3")
        assert "Local storage 2 on plot5" in await _sr_names(sim, "plot5")
        assert await _sr_names(sim, "plot4") == ["Local storage", "DVD drives", "Removable storage"]  # a fresh install's SRs
        assert set(pane.spare) == {"plot4"}  # plot3 and plot5 have no spare device left
        records = [json.loads(line) for line in (sim.dir / "audit.jsonl").read_text().splitlines()]
        assert [(r["host"], r["outcome"]) for r in records] == [("plot3", "ok"), ("plot4", "declined"), ("plot5", "ok")]
        assert list(app.errors) == []


async def test_dry_run_audits_but_runs_nothing(sim_factory: SimFactory) -> None:
    sim = await sim_factory(scenario="healthy", fuse=0.3)
    app = XentuiApp(config=_config(sim), dry_run=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: _ready(app), 20, "a healthy pool with every UUID")
        await _select_host(app, "plot5")
        await key_takes_effect(app, "d", lambda: isinstance(app.screen, StorageScreen))
        pane = app.screen
        assert isinstance(pane, StorageScreen)
        await until(lambda: pane.reads >= 1 and pane.shown_device == "sdb", 10, "plot5's disks")
        assert pane.offered == ["sdb"] and pane.plan is not None  # a whole spare disk is offered too
        # the runner's dry run: nothing asked, nothing run, the command audited as dry-run
        await key_takes_effect(app, "c", lambda: bool(pane.outcomes), within=10)
        assert not isinstance(app.screen, ConfirmScreen)
        assert pane.outcomes[-1].status == "dry-run" and "dry run" in pane.result_text
        records = [json.loads(line) for line in (sim.dir / "audit.jsonl").read_text().splitlines()]
        assert [(r["host"], r["outcome"]) for r in records] == [("plot5", "dry-run")]
        assert records[0]["command"] == pane.plan.command
        assert not any("sr-create" in argv for _h, argv in sim.received)  # nothing reached a host
        assert await _sr_names(sim, "plot5") == ["Local storage", "DVD drives", "Removable storage"]
