"""`xentui exporter`: /metrics scraped over HTTP while the simulator's master loses its cable."""

from __future__ import annotations

import asyncio
import socket
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from xentui.core.config import ConfigError, load_config
from xentui.cli.exporter import parse_listen, run_exporter

SHORT = "[settings]\nconnect_timeout = 2.0\ncommand_timeout = 3.0\nreach_timeout = 1.0\npoll_interval = 0.5\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(metrics: dict[Any, float], name: str, **labels: str) -> float | None:
    return metrics.get((name, frozenset(labels.items())))


async def scrape_until(port: int, check: Any, timeout: float, what: str) -> dict[Any, float]:
    started = time.monotonic()
    while True:
        try:
            metrics = await asyncio.to_thread(scrape, port)
        except OSError:  # not listening yet
            metrics = {}
        if metrics and check(metrics):
            return metrics
        if time.monotonic() - started > timeout:
            raise AssertionError(f"no {what} within {timeout:g} s")
        await asyncio.sleep(0.3)


def verdict(metrics: dict[Any, float], pool: str) -> str | None:
    on = [v for v in ("healthy", "master-lost", "split-brain", "degraded", "unknown")
          if value(metrics, "xentui_pool_verdict", pool=pool, xentui_pool_verdict=v) == 1.0]
    return on[0] if len(on) == 1 else None


async def test_verdict_moves_to_master_lost_when_the_cable_is_pulled(sim_factory: Any, tmp_path: Path) -> None:
    a = await sim_factory(hosts=4)
    b = await sim_factory(hosts=3)
    # one exporter, every pool of its config
    text = SHORT
    for name, sim in (("a", a), ("b", b)):
        members = ", ".join(f'"{n}"' for n in sim.pool.hosts)
        text += f'[[pool]]\nname = "{name}"\nhosts = [{members}]\nssh_config = "{sim.dir / "ssh_config"}"\n'
    (tmp_path / "pools.toml").write_text(text)
    config = load_config(tmp_path / "pools.toml")
    port = free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(run_exporter(config, f"127.0.0.1:{port}", stop))
    try:
        def settled(m: dict[Any, float]) -> bool:  # both pools healthy and every fact of a probe in
            return (verdict(m, "a") == "healthy" and verdict(m, "b") == "healthy" and all(
                value(m, "xentui_host_toolstack", pool="a", host=h, xentui_host_toolstack="slave") == 1.0
                and value(m, "xentui_host_reaches_master", pool="a", host=h) is not None
                for h in ("plot2", "plot3", "plot4")))

        m = await scrape_until(port, settled, 20, "two healthy pools, every fact in")
        assert value(m, "xentui_pool_masters", pool="a") == 1.0
        assert value(m, "xentui_pool_hosts_up", pool="a") == 4.0 and value(m, "xentui_pool_hosts", pool="b") == 3.0
        assert value(m, "xentui_host_ssh", pool="a", host="plot2", xentui_host_ssh="up") == 1.0
        assert value(m, "xentui_host_role", pool="a", host="plot1", xentui_host_role="master") == 1.0
        assert value(m, "xentui_host_role", pool="a", host="plot2", xentui_host_role="slave") == 1.0
        assert value(m, "xentui_host_toolstack", pool="a", host="plot2", xentui_host_toolstack="slave") == 1.0
        assert value(m, "xentui_host_follows_master", pool="a", host="plot3", master="plot1") == 1.0
        assert value(m, "xentui_host_reaches_master", pool="a", host="plot3") == 1.0
        gen = value(m, "xentui_host_db_generation", pool="a", host="plot1")
        assert gen == float(a.pool.host("plot1").db.generation)
        assert (value(m, "xentui_host_probe_seconds", pool="a", host="plot2") or 0) > 0

        await a.fault("cable-pull", "plot1")
        m = await scrape_until(port, lambda m: verdict(m, "a") == "master-lost", 30, "master-lost on pool a")
        assert value(m, "xentui_pool_verdict", pool="a", xentui_pool_verdict="healthy") == 0.0
        assert value(m, "xentui_host_ssh", pool="a", host="plot1", xentui_host_ssh="up") == 0.0
        assert value(m, "xentui_host_reaches_master", pool="a", host="plot2") == 0.0
        assert verdict(m, "b") == "healthy"  # the other pool is not disturbed
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 30) == 0
    with pytest.raises(OSError):  # the port is closed with the exporter
        await asyncio.to_thread(scrape, port)


@pytest.mark.parametrize("text, expected", [
    ("127.0.0.1:9781", ("127.0.0.1", 9781)),
    (":9781", ("0.0.0.0", 9781)),
    ("[::1]:9100", ("::1", 9100)),
    ("jump1.example.org:80", ("jump1.example.org", 80)),
])
def test_parse_listen(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["9781", "host:", "host:0", "host:70000", "host:http"])
def test_parse_listen_refuses(text: str) -> None:
    with pytest.raises(ConfigError, match="ADDR:PORT"):
        parse_listen(text)


async def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "pools.toml").write_text('[[pool]]\nname = "a"\nhosts = ["h1"]\n')
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"--listen 127.0.0.1:{port}: Address already in use"):
            await run_exporter(load_config(tmp_path / "pools.toml"), f"127.0.0.1:{port}", asyncio.Event())


@pytest.mark.parametrize("state, verdict_, masters", [
    ("healthy", "healthy", 1),
    ("master-lost", "master-lost", 1),  # the lost master, which the slaves still follow
    ("split-brain", "split-brain", 2),
    ("degraded", "degraded", 1),
])
def test_families_of_each_recorded_state(state: str, verdict_: str, masters: int) -> None:
    """The pure part: recorded facts in, the exposition a scrape would read out."""
    from prometheus_client import CollectorRegistry, generate_latest

    from xentui.diagnosis import diagnose_pool
    from xentui.cli.exporter import PoolSnapshot, pool_families
    from xentui.devtools.samples import FIXED_NOW, sample_facts

    facts = sample_facts(state)
    snap = PoolSnapshot("sim", tuple(facts), diagnose_pool(facts, pool="sim"), FIXED_NOW)

    class Fixed:
        def collect(self) -> Any:
            return pool_families(snap)

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Fixed())  # type: ignore[arg-type]
    text = generate_latest(registry).decode()
    m = {(s.name, frozenset(s.labels.items())): s.value
         for fam in text_string_to_metric_families(text) for s in fam.samples}
    assert verdict(m, "sim") == verdict_
    assert len(snap.diagnosis.masters) == masters
    assert value(m, "xentui_pool_masters", pool="sim") == float(masters)
    assert value(m, "xentui_pool_hosts", pool="sim") == float(len(facts))
    for f in facts:  # exactly one ssh state and one role state is set per host
        assert sum(v for (n, ls), v in m.items() if n == "xentui_host_ssh" and ("host", f.name) in ls) == 1.0
        assert sum(v for (n, ls), v in m.items() if n == "xentui_host_role" and ("host", f.name) in ls) == 1.0
        assert value(m, "xentui_host_ssh", pool="sim", host=f.name, xentui_host_ssh=f.ssh.value) == 1.0
