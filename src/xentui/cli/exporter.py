"""`xentui exporter --listen ADDR:PORT`: every pool of the config, as Prometheus/OpenMetrics.

The long-running engine (one supervisor per host, as the console runs it)
watches every pool of the config; `/metrics` is served by the official
client library (`prometheus_client`, its own HTTP server thread).  Each
scrape asks the event loop for one consistent snapshot of the facts and the
diagnosis (`Snapshot`), so a scrape never sees half a probe; the collector
builds fresh families from it, so a host or pool that left leaves no stale
series.

Per host (labels ``pool``, ``host``): ssh state, role and toolstack answer
as state sets, whether it follows the pool's master (label ``master``: whom
it follows), whether it reaches its master on :443, its database generation,
how long its last probe took and how old it is.  Per pool: the verdict as a
state set, the number of hosts acting as master, the hosts configured and up.
Several jump boxes can each export their pools; Prometheus and Alertmanager
do the fleet.
"""

from __future__ import annotations

import argparse

import asyncio
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from xentui.core.config import Config, ConfigError
from xentui.diagnosis import Diagnosis, Verdict
from xentui.engine.pool import PoolEngine
from xentui.engine.secrets import fetch_password
from xentui.core.model import HostFacts, Role, SshState, XapiView

__all__ = ["PoolSnapshot", "parse_listen", "pool_families", "run_exporter"]

DEFAULT_LISTEN = "127.0.0.1:9781"


def parse_listen(text: str) -> tuple[str, int]:
    """``ADDR:PORT``, ``[v6]:PORT`` or ``:PORT`` (all addresses) -> (addr, port); raises ConfigError."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"--listen {text!r}: expected ADDR:PORT, [IPv6]:PORT or :PORT")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return host or "0.0.0.0", int(port)


@dataclass(frozen=True)
class PoolSnapshot:
    """One pool's facts and diagnosis, taken in one step on the event loop."""

    name: str
    facts: tuple[HostFacts, ...]
    diagnosis: Diagnosis
    at: float


def snapshot(engine: PoolEngine) -> PoolSnapshot:
    """The engine's latest observation (the diagnosis every face shows); before the first, one made now."""
    seen = engine.observed.latest or engine.observed.flush()
    if seen is None:  # nothing arrived yet: the configured hosts, unknown
        return PoolSnapshot(engine.pool.name, tuple(engine.facts.values()), engine.diagnose(), time.time())
    return PoolSnapshot(seen.pool, tuple(seen.facts.values()), seen.diagnosis, seen.at)


def pool_families(snap: PoolSnapshot) -> Iterator[Any]:
    """The metric families of one pool (pure: the snapshot in, families out)."""
    from prometheus_client.core import GaugeMetricFamily, StateSetMetricFamily

    pool, d = snap.name, snap.diagnosis
    host_labels = ["pool", "host"]
    ssh = StateSetMetricFamily("xentui_host_ssh", "SSH session from the jump box to the host", labels=host_labels)
    role = StateSetMetricFamily("xentui_host_role", "role the host's pool.conf gives it", labels=host_labels)
    xapi = StateSetMetricFamily("xentui_host_toolstack", "what the host's toolstack answered to a XenAPI login",
                                labels=host_labels)
    follows = GaugeMetricFamily("xentui_host_follows_master",
                                "1 when the host follows the pool's master (label master: whom it follows)",
                                labels=[*host_labels, "master"])
    reaches = GaugeMetricFamily("xentui_host_reaches_master", "1 when the host's own TCP check of its master's :443 "
                                "succeeded (absent: not known)", labels=host_labels)
    generation = GaugeMetricFamily("xentui_host_db_generation", "the host's state.db generation", labels=host_labels)
    probe = GaugeMetricFamily("xentui_host_probe_seconds", "how long the host's last complete probe took",
                              labels=host_labels)
    age = GaugeMetricFamily("xentui_host_probe_age_seconds", "seconds since the host's last complete probe",
                            labels=host_labels)
    pool_master = d.majority_master or d.master
    for f in snap.facts:
        labels = [pool, f.name]
        # a held session that answers nothing (HostFacts.silent_for) is not "up": it is "silent"
        states = {s.value: f.ssh is s and not f.silent for s in SshState}
        ssh.add_metric(labels, {**states, "silent": f.silent})
        role.add_metric(labels, {"unknown": f.role is None, **{r.value: f.role is r for r in Role}})
        xapi.add_metric(labels, {x.value: f.xapi is x for x in XapiView})
        hv = d.hosts.get(f.name)
        followed = hv.follows if hv else None
        if followed is not None:
            follows.add_metric([*labels, followed], float(pool_master is not None and followed == pool_master.name))
        if f.reaches_master is not None:
            reaches.add_metric(labels, float(f.reaches_master))
        if f.db_generation is not None:
            generation.add_metric(labels, float(f.db_generation))
        if f.probe_seconds is not None:
            probe.add_metric(labels, f.probe_seconds)
        if f.probed_at is not None:
            age.add_metric(labels, max(0.0, snap.at - f.probed_at))
    yield from (ssh, role, xapi, follows, reaches, generation, probe, age)
    verdict = StateSetMetricFamily("xentui_pool_verdict", "the diagnosis of the pool", labels=["pool"])
    verdict.add_metric([pool], {v.value: d.verdict is v for v in Verdict})
    yield verdict
    masters = GaugeMetricFamily("xentui_pool_masters", "masters in the pool: hosts whose pool.conf says master or "
                                "that slaves follow, reachable or not (2 or more: split brain)", labels=["pool"])
    masters.add_metric([pool], float(len(d.masters)))
    yield masters
    hosts = GaugeMetricFamily("xentui_pool_hosts", "hosts configured in the pool", labels=["pool"])
    hosts.add_metric([pool], float(len(snap.facts)))
    yield hosts
    up = GaugeMetricFamily("xentui_pool_hosts_up", "hosts the jump box holds an SSH session to", labels=["pool"])
    up.add_metric([pool], float(sum(1 for f in snap.facts if f.reachable)))
    yield up
    yield from ha_families(snap)


def ha_families(snap: PoolSnapshot) -> Iterator[Any]:
    """HA, read on each host without xapi (issue 27): present only where some host has HA configured."""
    from prometheus_client.core import GaugeMetricFamily

    pool, d = snap.name, snap.diagnosis
    if d.ha is None:
        return
    armed = GaugeMetricFamily("xentui_host_ha_armed", "1 when the host's local.db says ha.armed=true (absent: "
                              "not read)", labels=["pool", "host"])
    for f in snap.facts:
        if f.ha_armed is not None and not f.last_seen("ha_local"):
            armed.add_metric([pool, f.name], float(f.ha_armed))
    yield armed
    if d.ha.seconds_left is not None and d.verdict.value == "ha-electing":
        left = GaugeMetricFamily("xentui_pool_ha_election_seconds_left", "seconds left in HA's election window "
                                 "(a heuristic: first seen master loss + T + margin)", labels=["pool"])
        left.add_metric([pool], d.ha.seconds_left)
        yield left


class PoolsCollector:
    """A prometheus_client collector over the engines running on `loop` (called from the HTTP thread)."""

    def __init__(self, engines: list[PoolEngine], loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.engines = engines
        self.loop = loop
        self.timeout = timeout

    async def _snapshots(self) -> list[PoolSnapshot]:
        return [snapshot(e) for e in self.engines]

    def describe(self) -> list[Any]:
        return []  # families depend on the pools: no describe-time collect

    def collect(self) -> Iterator[Any]:
        snaps = asyncio.run_coroutine_threadsafe(self._snapshots(), self.loop).result(self.timeout)
        for snap in snaps:
            yield from pool_families(snap)


async def run_exporter(config: Config, listen: str, stop: asyncio.Event | None = None) -> int:
    """Watch every pool of *config* and serve /metrics on *listen* until *stop* (or SIGINT/SIGTERM)."""
    from prometheus_client import CollectorRegistry, start_http_server

    addr, port = parse_listen(listen)
    if not config.pools:
        raise ConfigError("no [[pool]] in the config: nothing to export (try `xentui discover HOST`)")
    engines = [
        PoolEngine(pool, config.settings, password=await fetch_password(pool, config.settings))
        for pool in config.pools
    ]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PoolsCollector(engines, asyncio.get_running_loop(), config.settings.command_timeout))
    try:
        server, thread = start_http_server(port, addr=addr, registry=registry)
    except OSError as e:
        raise ConfigError(f"--listen {listen}: {e.strerror or e}") from None
    loop = asyncio.get_running_loop()
    handled = []
    if stop is None:  # the command line: SIGINT / SIGTERM end it cleanly
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
    try:
        for engine in engines:
            engine.observed.observers.append(lambda seen: None)  # keep one diagnosis per burst: .latest
            engine.start()
        print(f"xentui exporter: {len(engines)} pool(s) ({', '.join(config.pool_names)}) "
              f"on http://{listen if addr != '0.0.0.0' else f'*:{port}'}/metrics", flush=True)
        await stop.wait()
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        await asyncio.to_thread(server.shutdown)
        server.server_close()
        thread.join(5)
        await asyncio.gather(*(e.stop() for e in engines))
    return 0


def main(args: argparse.Namespace) -> int:
    """`xentui exporter`: watch every pool of the config (or --pool), serve /metrics."""
    from xentui.cli.common import with_overrides
    from xentui.core.config import find_config, load_config

    config = with_overrides(load_config(find_config(args.config)), args)
    if getattr(args, "pool", None):  # one pool only; by default every pool of the config
        config = config.model_copy(update={"pools": (config.pool(args.pool),)})
    return asyncio.run(run_exporter(config, args.listen))
