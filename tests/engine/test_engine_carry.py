"""What a host's facts show while, and after, a probe could not learn everything (`carry_forward`)."""

from __future__ import annotations

import asyncio

import pytest

from xentui.core.config import load_config
from xentui.diagnosis import Verdict, diagnose_pool
from xentui.engine.carry import FILE_GROUPS, carry_forward
from xentui.engine.pool import PoolEngine
from xentui.core.model import HostFacts, QueryState, Role, Source, SshState, XapiView
from xentui.devtools.samples import FIXED_NOW, sample_facts


def _complete(name: str = "plot2") -> HostFacts:
    return {f.name: f for f in sample_facts("healthy")}[name]


def _fresh(name: str = "plot2", ssh: SshState = SshState.UP) -> HostFacts:
    """The first update of a new probe: only the SSH state is known."""
    f = HostFacts(name=name, address=name, ssh=ssh)
    f.learned("ssh", "SSH connect from the jump box", at=FIXED_NOW + 2)
    return f


def test_pending_values_are_carried_while_the_probe_runs() -> None:
    old = _complete()
    merged = carry_forward(old, _fresh(), complete=False)
    assert merged.role is Role.SLAVE and merged.master_address == old.master_address
    assert merged.xapi is XapiView.SLAVE and merged.pool_list is QueryState.ANSWERED
    assert merged.reaches_master is True and merged.db_generation == old.db_generation
    assert merged.latency_ms == old.latency_ms
    assert merged.sources["role"].at == old.sources["role"].at  # original time: the age shows it
    assert merged.sources["role"].carried and not old.sources["role"].carried  # pending, not observed now
    assert not merged.sources["role"].stale
    assert merged.sources["ssh"].at == FIXED_NOW + 2


def test_newly_learned_values_win() -> None:
    new = _fresh()
    new.pool_list = QueryState.NO_ANSWER
    new.pool_list_error = "no answer (remote timeout)"
    new.learned("pool_list", "xe pool-list (time-bounded)", at=FIXED_NOW + 5)
    merged = carry_forward(_complete(), new, complete=False)
    assert merged.pool_list is QueryState.NO_ANSWER and merged.pool_master_uuid is None
    assert merged.xapi is XapiView.SLAVE  # still pending: carried


@pytest.mark.parametrize("complete", [False, True])
def test_failed_files_are_carried_stale(complete: bool) -> None:
    new = _fresh()
    new.learned("files_error", "no answer in 5 s", at=FIXED_NOW + 5)
    merged = carry_forward(_complete(), new, complete=complete)
    assert merged.role is Role.SLAVE
    assert merged.sources["role"].stale and merged.sources["own_addresses"].stale


def test_a_finished_probe_keeps_file_facts_stale_and_drops_toolstack_answers() -> None:
    """A reachable host whose file read never answered: the old pool.conf, marked stale; no old xapi answer."""
    merged = carry_forward(_complete(), _fresh(), complete=True)
    assert merged.role is Role.SLAVE and merged.sources["role"].stale
    assert merged.xapi is XapiView.UNKNOWN and "xapi" not in merged.sources
    assert merged.pool_list is QueryState.UNKNOWN and merged.reaches_master is None
    assert merged.latency_ms is None


def test_unreachable_host_keeps_only_its_file_facts() -> None:
    for complete in (False, True):
        merged = carry_forward(_complete(), _fresh(ssh=SshState.NO_ANSWER), complete=complete)
        assert merged.role is Role.SLAVE and merged.own_addresses == ["127.0.1.12"]
        known = [key for key in FILE_GROUPS if key in _complete().sources]  # (HA's groups: on HA hosts only)
        assert {"role", "uuid", "own_addresses"} <= set(known)
        assert all(merged.sources[key].stale for key in known)
        assert merged.xapi is XapiView.UNKNOWN and merged.pool_list is QueryState.UNKNOWN
        assert merged.reaches_master is None


def test_a_promoted_host_does_not_keep_its_old_master_or_reach_check() -> None:
    new = _fresh()
    new.role = Role.MASTER
    new.pool_conf_raw = "master"
    for key in ("role", "files"):
        new.learned(key, "cat /etc/xensource/pool.conf", at=FIXED_NOW + 3)
    merged = carry_forward(_complete(), new, complete=False)
    assert merged.role is Role.MASTER and merged.master_address is None
    assert merged.reaches_master is None


def test_remembered_fields_are_carried_one_by_one() -> None:
    """The address book remembers fields, not groups: an unreachable host still shows them, stale."""
    seed = HostFacts(name="plot1", address="plot1", uuid="u-1", hostname="plot1", own_addresses=["10.0.0.1"])
    for name in ("uuid", "hostname", "own_addresses"):
        seed.sources[name] = Source(how="remembered from an earlier probe", at=FIXED_NOW - 60, stale=True)
    merged = carry_forward(seed, _fresh("plot1", ssh=SshState.NO_ANSWER), complete=True)
    assert (merged.uuid, merged.hostname, merged.own_addresses) == ("u-1", "plot1", ["10.0.0.1"])
    assert merged.sources["uuid"].stale and merged.sources["uuid"].at == FIXED_NOW - 60
    assert merged.product_version is None


def test_carried_lists_are_copies() -> None:
    old = _complete()
    merged = carry_forward(old, _fresh(), complete=False)
    merged.own_addresses.append("10.9.9.9")
    assert "10.9.9.9" not in old.own_addresses


def test_nothing_to_carry_from() -> None:
    new = _fresh()
    assert carry_forward(None, new, complete=True) is new and new.role is None
    assert carry_forward(_complete("plot3"), new, complete=False).role is None  # another host's facts


def test_healthy_pool_does_not_flicker_while_probes_run() -> None:
    facts = {f.name: f for f in sample_facts("healthy")}
    for name in list(facts)[:4]:  # half the pool starts a new probe
        facts[name] = carry_forward(facts[name], _fresh(name), complete=False)
    assert diagnose_pool(list(facts.values()), "sim").verdict is Verdict.HEALTHY


async def test_a_polled_healthy_pool_reads_healthy_on_every_update(sim_factory) -> None:
    """Over real SSH: every update published while 8 hosts are re-probed keeps the pool healthy."""
    sim = await sim_factory("healthy")
    config = load_config(sim.dir / "pools.toml")
    settings = config.settings.model_copy(update={"poll_interval": 0.3, "connect_timeout": 3.0, "command_timeout": 3.0})
    engine = PoolEngine(config.pools[0], settings, remember=False)
    verdicts: list[Verdict] = []
    await engine.probe_once()
    assert engine.diagnose().verdict is Verdict.HEALTHY
    engine.listeners.append(lambda _facts: verdicts.append(engine.diagnose().verdict))
    engine.start()
    try:
        for _ in range(6):
            engine.refresh()
            await asyncio.sleep(0.4)
    finally:
        await engine.stop()
    assert len(verdicts) > 8 * 6  # every host published several updates per round
    assert set(verdicts) == {Verdict.HEALTHY}
