"""The BMC read beside SSH, through sushy over real HTTP(S) to the simulator's Redfish BMCs:
each bad input is one clear sentence, the fact keeps its age, and nothing is changed."""

from __future__ import annotations

import time

import pytest

from helpers.engines import engine_for
from helpers.settings import ENGINE_FAST
from xentui.actions import PlanRunner, StepAction, StepStatus
from xentui.actions.power import plan_power
from xentui.core.config import load_config
from xentui.core.power import PowerState
from xentui.engine.bmc import BmcError, PoolPower
from xentui.trail.audit import AuditLog

FAST = dict(ENGINE_FAST, bmc_timeout=1.0, power_settle_timeout=1.5, power_poll_interval=0.1, power_on_timeout=10.0)


def power_of(sim, config_text: str | None = None) -> PoolPower:  # type: ignore[no-untyped-def]
    path = sim.dir / "pools.toml"
    if config_text is not None:
        path = sim.dir / "other.toml"
        path.write_text(config_text)
    c = load_config(path)
    return PoolPower(c.pools[0], c.settings.model_copy(update=FAST))


async def test_power_is_read_beside_ssh_with_its_age(sim_factory):
    sim = await sim_factory("healthy", hosts=2, bmc=True)
    engine = engine_for(sim, **FAST)
    try:
        before = time.time()
        await engine.probe_once()
        p = engine.facts["plot1"].power
        assert p is not None and p.state is PowerState.ON and p.raw == "On" and p.error is None
        assert before <= p.at <= time.time() and p.age() < 5
        assert p.how.startswith("Redfish GET http://127.0.0.1:")
    finally:
        await engine.stop()


async def test_unreachable_bmc_is_a_clear_error_and_changes_nothing(sim_factory, tmp_path):
    sim = await sim_factory("healthy", hosts=2, bmc=True)
    await sim.fault("bmc-unreachable", "plot2")
    engine = engine_for(sim, **FAST)
    try:
        await engine.probe_once()
        p = engine.facts["plot2"].power
        assert p is not None and p.state is PowerState.UNKNOWN
        assert p.error is not None and "plot2: BMC http://127.0.0.1:" in p.error and "unreachable" in p.error
        assert "nothing was changed" in p.error
        report = await PlanRunner(engine, AuditLog(tmp_path / "a.jsonl"), lambda s: True).run(
            plan_power("plot2", StepAction.POWER_OFF, engine.facts).model_copy(update={"preconditions": []}))
        assert report.results[0].status is StepStatus.FAILED and "unreachable" in report.results[0].explanation
        assert sim.pool.host("plot2").powered
    finally:
        await engine.stop()


async def test_wrong_bmc_password_is_401_in_words(sim_factory):
    sim = await sim_factory("healthy", hosts=2, bmc=True)
    (sim.dir / "bmc-password").write_text("not-the-secret\n")
    power = power_of(sim)
    fact = await power.read("plot1")
    assert fact is not None and fact.error is not None
    assert "refused the credentials (HTTP 401)" in fact.error and "not-the-secret" not in fact.error
    with pytest.raises(BmcError, match="HTTP 401"):
        await power.act("plot1", "off")
    assert sim.pool.host("plot1").powered
    assert any(status == 401 for _m, _p, status in sim.bmcs["plot1"].requests)


async def test_self_signed_tls_refused_unless_trusted_or_turned_off_with_a_warning(sim_factory):
    sim = await sim_factory("healthy", hosts=2, bmc=True, bmc_tls=True)
    b = sim.bmcs["plot1"]
    secret = sim.dir / "bmc-password"
    base = f'[[pool]]\nname = "sim"\nhosts = ["plot1", "plot2"]\nssh_config = "{sim.dir / "ssh_config"}"\n' \
           f'[pool.bmc.plot1]\nredfish = "{b.url}"\nuser = "admin"\npassword_command = "cat {secret}"\n'
    # verification on (the default) against a self-signed certificate: refused, said so, nothing sent
    fact = await power_of(sim, base).read("plot1")
    assert fact is not None and fact.error is not None and "TLS certificate is not trusted" in fact.error
    assert "ca_file" in fact.error and fact.warning is None
    assert b.requests == []
    # trusted through ca_file (what `xentui sim` writes): read, no warning
    fact = await power_of(sim).read("plot1")
    assert fact is not None and fact.error is None and fact.state is PowerState.ON and fact.warning is None
    # verification off where the config says so: read, with the warning on the fact
    fact = await power_of(sim, base + "verify_tls = false\n").read("plot1")
    assert fact is not None and fact.error is None and fact.state is PowerState.ON
    assert fact.warning is not None and "TLS verification is off" in fact.warning


async def test_a_bmc_that_never_answers_costs_one_timeout(sim_factory):
    import socket

    sim = await sim_factory("healthy", hosts=2, bmc=True)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts (the kernel does), never answers
    port = silent.getsockname()[1]
    text = (f'[[pool]]\nname = "sim"\nhosts = ["plot1", "plot2"]\n[pool.bmc.plot1]\nredfish = "http://127.0.0.1:{port}"\n'
            f'user = "admin"\npassword_command = "cat {sim.dir / "bmc-password"}"\n')
    started = time.monotonic()
    try:
        fact = await power_of(sim, text).read("plot1")
    finally:
        silent.close()
    assert fact is not None and fact.error is not None
    assert "no answer in 1 s" in fact.error or "unreachable" in fact.error
    assert time.monotonic() - started < 6


async def test_an_ipmi_bmc_that_does_not_answer_is_a_clear_error_within_its_bound(sim_factory):
    """pyghmi's RMCP+ client to a UDP port where nothing answers: bounded, said in words, nothing sent."""
    import socket

    sim = await sim_factory("healthy", hosts=2)
    quiet = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    quiet.bind(("127.0.0.1", 0))  # receives, never answers
    port = quiet.getsockname()[1]
    (sim.dir / "bmc-password").write_text("secret\n")
    text = (f'[[pool]]\nname = "sim"\nhosts = ["plot1", "plot2"]\n[pool.bmc.plot1]\nipmi = "127.0.0.1"\n'
            f'ipmi_port = {port}\nuser = "admin"\npassword_command = "cat {sim.dir / "bmc-password"}"\n')
    started = time.monotonic()
    try:
        fact = await power_of(sim, text).read("plot1")
    finally:
        quiet.close()
    assert fact is not None and fact.state is PowerState.UNKNOWN and fact.error is not None
    assert fact.error.startswith(f"plot1: BMC ipmi://127.0.0.1:{port}") and "nothing was changed" in fact.error
    assert time.monotonic() - started < 2 * 1.0 + 1 + 1
