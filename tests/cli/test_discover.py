"""`xentui discover HOST` against the simulator: the pool's own name-label, the hosts as the
member reported them, an existing file's comments and layout kept (the file is diffed),
and no silent overwrite of a pool of the same name."""

from __future__ import annotations

import asyncio
import difflib
import json
from pathlib import Path

import pytest

from xentui.cli.main import main
from xentui.core.config import load_config
from xentui.cli.discover import DiscoveredHost, DiscoveredPool, PoolExistsError, add_pool, pool_from_records
from xensim.server import Simulator

EXISTING = """\
# Our pools. Ask #infra before changing timeouts.
[settings]
connect_timeout = 4.0   # the VPN is slow
# poll_interval = 5.0

[[pool]]
name = "lab"            # the old lab pool
hosts = ["lab1",
         "lab2"]        # odd layout, kept as is
user = "root"
"""


def added_lines(before: str, after: str) -> list[str]:
    """The lines *after* adds to *before*; fails if any line of *before* changed or went."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    assert not [d for d in diff if d.startswith("- ")], "\n".join(diff)
    return [d[2:] for d in diff if d.startswith("+ ")]


def reported(sim: Simulator, member: str) -> tuple[str, list[tuple[str, str]]]:
    """The pool's name-label and (name-label, address) of every host, from the member's own database."""
    db = sim.pool.host(member).db
    return db.pool_name, [(h.name_label, h.address) for h in db.hosts.values()]


async def discover(sim: Simulator, config: Path, *extra: str) -> int:
    argv = ["discover", "plot3", "--config", str(config), "--ssh-config", str(sim.dir / "ssh_config"), *extra]
    return await asyncio.to_thread(main, argv)


async def test_discover_names_the_pool_and_keeps_the_file(sim: Simulator, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "pools.toml"
    config.write_text(EXISTING)
    assert await discover(sim, config) == 0
    name, hosts = reported(sim, "plot3")
    assert name and name != "default"
    after = config.read_text()
    added = added_lines(EXISTING, after)
    assert after.startswith(EXISTING)  # comments and layout above: byte for byte
    assert f'name = "{name}"' in added
    for label, address in hosts:  # as the member reported them: the address, its name-label beside it
        assert f'    "{address}", # {label}' in added
    cfg = load_config(config)
    assert cfg.pool_names == ["lab", name]
    assert [h.name for h in cfg.pool(name).hosts] == [a for _, a in hosts]
    assert cfg.pool(name).ssh_config == str(sim.dir / "ssh_config")
    capsys.readouterr()

    # the same pool again: refused, file untouched
    assert await discover(sim, config, "--host-names") == 2
    err = capsys.readouterr().err
    assert "exists already" in err and "--force" in err
    assert config.read_text() == after

    # --force: its hosts replaced in place (now by name, for the ssh_config aliases), nothing else
    assert await discover(sim, config, "--host-names", "--force") == 0
    forced = config.read_text()
    assert forced.startswith(EXISTING)
    assert [h.name for h in load_config(config).pool(name).hosts] == [label for label, _ in hosts]
    capsys.readouterr()

    # and the file it wrote works: one status of the discovered pool over SSH
    rc = await asyncio.to_thread(main, ["status", "--json", "--config", str(config), "--pool", name,
                                        "--connect-timeout", "3", "--command-timeout", "3"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0 and doc["verdict"] == "healthy" and len(doc["hosts"]) == len(hosts)


async def test_discover_creates_a_missing_file(sim: Simulator, tmp_path: Path) -> None:
    config = tmp_path / "new" / "pools.toml"
    assert await discover(sim, config, "--name", "prod") == 0
    cfg = load_config(config)
    assert cfg.pool_names == ["prod"] and len(cfg.pools[0].hosts) == len(reported(sim, "plot3")[1])
    assert config.stat().st_mode & 0o777 == 0o600


def test_pool_from_records_falls_back_to_the_uuid_when_the_pool_has_no_name() -> None:
    p = pool_from_records([{"uuid": "4d6a0bb2-1111-2222-3333-444455556666", "name-label": ""}],
                          [{"uuid": "u1", "name-label": "xcp1", "address": "10.0.0.1"}])
    assert p.name == "pool-4d6a0bb2" and p.hosts == (DiscoveredHost("xcp1", "10.0.0.1", "u1"),)
    with pytest.raises(Exception, match="2 pools"):
        pool_from_records([{}, {}], [])


def test_add_pool_is_case_insensitive_about_existing_names() -> None:
    pool = DiscoveredPool("LAB", "", (DiscoveredHost("a", "10.0.0.9", "u"),))
    with pytest.raises(PoolExistsError):
        add_pool(EXISTING, pool)
    text = add_pool(EXISTING, pool, force=True)
    assert "# the old lab pool" in text and "# the VPN is slow" in text and '"10.0.0.9", # a' in text


from hypothesis import given, settings, strategies as st  # noqa: E402

_label = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=20)
_address = st.ip_addresses(v=4).map(str)


@settings(max_examples=60, deadline=None)
@given(name=_label.filter(lambda s: s.strip() and s.casefold() != "lab"),
       hosts=st.lists(st.tuples(_label, _address), min_size=1, max_size=6, unique_by=lambda h: h[1]))
def test_add_pool_keeps_the_file_and_round_trips(name: str, hosts: list[tuple[str, str]]) -> None:
    """Any pool name, any name-labels (quotes, '#', unicode): the old text is kept byte for byte and the
    result reads back with the pool and every address (tomllib, the reader xentui uses)."""
    import tomllib

    pool = DiscoveredPool(name.strip(), "", tuple(DiscoveredHost(label, addr, "") for label, addr in hosts))
    text = add_pool(EXISTING, pool)
    assert text.startswith(EXISTING)
    data = tomllib.loads(text)
    assert [p["name"] for p in data["pool"]] == ["lab", name.strip()]
    assert data["pool"][1]["hosts"] == [addr for _, addr in hosts]
    named = tomllib.loads(add_pool(EXISTING, pool, host_names=True))
    assert named["pool"][1]["hosts"] == [label for label, _ in hosts]
