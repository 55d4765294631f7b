"""What one probe costs each host: channels and processes, counted by the simulator (issue 16)."""

from __future__ import annotations

from collections import Counter

from xentui.core.config import load_config
from xentui.engine.pool import PoolEngine
from xentui.core.model import QueryState, XapiView

FAST = dict(connect_timeout=2.0, command_timeout=3.0, reach_timeout=1.0)


def engine_for(sim, password: str | None = None) -> PoolEngine:
    config = load_config(sim.dir / "pools.toml")
    return PoolEngine(config.pools[0], config.settings.model_copy(update=FAST), password=password)


def cost(sim, before_channels: Counter, before_received: int) -> tuple[dict[str, Counter], Counter]:
    channels: dict[str, Counter] = {}
    for (host, kind), n in (sim.channels - before_channels).items():
        channels.setdefault(host, Counter())[kind] = n
    processes = Counter(host for host, _ in sim.received[before_received:])
    return channels, processes


async def test_a_poll_on_open_sessions_costs_each_host_three_channels(sim_factory):
    sim = await sim_factory("healthy")
    engine = engine_for(sim)
    try:
        c0, r0 = sim.channels.copy(), len(sim.received)
        await engine.probe_once()  # connects, learns each slave's master
        first, _ = cost(sim, c0, r0)
        c0, r0 = sim.channels.copy(), len(sim.received)
        await engine.probe_once()  # a poll, as the console does every poll_interval
        channels, processes = cost(sim, c0, r0)
    finally:
        await engine.stop()
    for name in [f"plot{i}" for i in range(2, 9)]:
        f = engine.facts[name]
        assert f.reaches_master is True and f.xapi is XapiView.SLAVE and f.pool_list is QueryState.ANSWERED
        # the file read and the reach check share one exec channel; each xe call has its own;
        # the XenAPI channel opened by the first probe is kept for the next
        assert first[name] == Counter({"exec": 4, "direct-tcpip": 1}), (name, first[name])  # no master known yet
        assert channels[name] == Counter({"exec": 3}), (name, channels[name])
    assert first["plot1"] == Counter({"exec": 3, "direct-tcpip": 1}), first["plot1"]
    assert channels["plot1"] == Counter({"exec": 3}), channels["plot1"]
    print("per host per poll:", {k: dict(v) for k, v in sorted(channels.items())}, dict(processes))


async def test_the_shared_channel_still_reports_a_master_nobody_reaches(sim_factory):
    sim = await sim_factory("healthy")
    engine = engine_for(sim)
    try:
        await engine.probe_once()
        await sim.fault("cable-pull", "plot1")
        await engine.probe_once()
    finally:
        await engine.stop()
    f = engine.facts["plot3"]
    assert f.reaches_master is False and f.reaches_master_detail == "no answer in 1 s from the master's :443"
    assert f.role is not None and f.latency_ms is not None and f.latency_ms < 1000  # files taken before the check ended


async def test_a_kept_xenapi_channel_that_was_closed_is_replaced(sim_factory):
    sim = await sim_factory("healthy")
    engine = engine_for(sim)
    try:
        await engine.probe_once()
        await sim.fault("hang-xapi", "plot4")  # its kept channel's next call times out: the channel is dropped
        await engine.probe_once()
        assert engine.facts["plot4"].xapi is XapiView.NO_ANSWER
        await sim.fault("unhang-xapi", "plot4")
        c0 = sim.channels.copy()
        await engine.probe_once()
    finally:
        await engine.stop()
    assert engine.facts["plot4"].xapi is XapiView.SLAVE
    assert (sim.channels - c0)["plot4", "direct-tcpip"] == 1  # a new one, not the one that hung


async def test_a_poll_asks_the_masters_held_session_instead_of_logging_in(sim_factory):
    """Issue 16: no new XenAPI login per poll while the session is valid. The master's session,
    opened by the first probe, is asked with one call per poll; a toolstack restart forgets it
    (sessions are not persisted), so the next poll logs in again; stop() ends it."""
    sim = await sim_factory("healthy")
    engine = engine_for(sim, password=sim.password)  # with the password a master's login opens a session
    master = sim.pool.host("plot1")
    try:
        await engine.probe_once()
        assert sim.xapi_calls["plot1", "session.login_with_password"] == 1
        assert len(master.sessions) == 1
        c0 = sim.xapi_calls.copy()
        await engine.probe_once()
        await engine.probe_once()
        polls = sim.xapi_calls - c0
        assert polls["plot1", "session.login_with_password"] == 0, polls
        assert polls["plot1", "pool.get_all"] == 2, polls
        assert polls["plot1", "session.logout"] == 0, polls
        assert engine.facts["plot1"].xapi is XapiView.MASTER
        for name in [f"plot{i}" for i in range(2, 9)]:  # a slave opens no session: one login call a poll
            assert polls[name, "session.login_with_password"] == 2 and engine.facts[name].xapi is XapiView.SLAVE

        sim.pool.xapi_start(master)  # the toolstack restarts: every session is forgotten
        c0 = sim.xapi_calls.copy()
        await engine.probe_once()
        again = sim.xapi_calls - c0
        assert again["plot1", "pool.get_all"] == 1 and again["plot1", "session.login_with_password"] == 1, again
        assert engine.facts["plot1"].xapi is XapiView.MASTER
    finally:
        await engine.stop()
    assert sim.xapi_calls["plot1", "session.logout"] == 1
    assert master.sessions == set()


async def test_a_held_session_on_a_host_now_a_slave_reads_host_is_slave(sim_factory):
    """The host whose session is held now runs as a slave of a master that does not serve (set in
    the simulator's state, no toolstack restart): xapi's lookup of the session in the master's
    database waits, so the held-session call gets no answer within the reach timeout; a login on a
    new channel answers HOST_IS_SLAVE at once. The probe says what the host says now."""
    sim = await sim_factory("healthy")
    engine = engine_for(sim, password=sim.password)
    try:
        await engine.probe_once()
        plot1 = sim.pool.host("plot1")
        assert plot1.sessions
        plot1.write("/etc/xensource/pool.conf", f"slave:{sim.pool.host('plot2').address}")
        plot1.running_role, plot1.running_master_address = "slave", sim.pool.host("plot2").address
        c0 = sim.channels.copy()
        await engine.probe_once()
    finally:
        await engine.stop()
    assert engine.facts["plot1"].xapi is XapiView.SLAVE
    assert (sim.channels - c0)["plot1", "direct-tcpip"] == 1  # the held one had a request pending
