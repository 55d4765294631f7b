"""The simulator's VMs over real SSH: vm-list, vm-reset-powerstate, vm-start as xapi prints them,
and the truth table of where each VM really runs (a pulled cable keeps them running)."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers.sim import run_on
from xensim.scenarios import host_uuid, stable_uuid

VMS = (("web1", "plot1", ""), ("db1", "plot1", ""), ("mail1", "plot1", "restart"), ("app2", "plot2", ""))
XE = "/opt/xensource/bin/xe"


def vm(name: str) -> str:
    return stable_uuid("vm", name)


async def promote(sim, new: str = "plot2") -> None:
    await run_on(sim, new, f"{XE} pool-emergency-transition-to-master")
    await sim.pool.wait_for(lambda: sim.pool.host(new).is_master)


async def test_vm_list_filters_minimal_and_records(sim_factory):
    sim = await sim_factory("healthy", hosts=3, vms=VMS)
    r = await run_on(sim, "plot2", f"{XE} vm-list resident-on={host_uuid('plot1')} power-state=running "
                                   "is-control-domain=false --minimal")
    assert r.exit_status == 0
    assert sorted(r.stdout.strip().split(",")) == sorted([vm("web1"), vm("db1"), vm("mail1")])
    r = await run_on(sim, "plot1", f"{XE} vm-list uuid={vm('mail1')} params=uuid,name-label,ha-restart-priority")
    assert r.stdout == (
        f"uuid ( RO)                   : {vm('mail1')}\n"
        "             name-label ( RW): mail1\n"
        "    ha-restart-priority ( RW): restart\n\n\n"
    )
    # control domains are listed (and are VMs of the database like any other)
    r = await run_on(sim, "plot1", f"{XE} vm-list is-control-domain=true params=name-label --minimal")
    assert sorted(r.stdout.strip().split(",")) == [f"Control domain on host: plot{i}" for i in (1, 2, 3)]
    r = await run_on(sim, "plot1", f"{XE} vm-list resident-on=nothing --minimal")
    assert r.stdout == "\n"


async def test_reset_powerstate_needs_force_in_each_release_wording(sim_factory):
    for release, text in (
        ("xcpng-8.3", "This operation is dangerous and may cause data loss."),
        ("xcpng-8.2", "This operation is extremely dangerous and may cause data loss."),
    ):
        sim = await sim_factory("healthy", hosts=2, release=release, vms=VMS[:1])
        r = await run_on(sim, "plot1", f"{XE} vm-reset-powerstate uuid={vm('web1')}")
        assert r.exit_status == 1
        assert r.stderr == (
            "The server failed to handle your request, due to an internal error. The given message may give "
            "details useful for debugging the problem.\n"
            f"message: Failure: {text} This operation must be forced (use --force).\n"
        )
        assert sim.pool.host("plot1").db.vms[vm("web1")].power_state == "running"


async def test_reset_refused_while_the_host_answers_and_control_domains_never_selected(sim_factory):
    sim = await sim_factory("healthy", hosts=3, vms=VMS)
    r = await run_on(sim, "plot1", f"{XE} vm-reset-powerstate uuid={vm('app2')} --force")
    assert r.exit_status == 1
    assert r.stderr == (
        "This operation cannot be completed because the server is still live.\n"
        f"host: {host_uuid('plot2')} (plot2)\n"
    )
    # resident on the master itself with its domain running: DOMAIN_EXISTS, domid not passed
    r = await run_on(sim, "plot1", f"{XE} vm-reset-powerstate uuid={vm('web1')} --force")
    assert r.stderr == (
        "The operation could not be performed because a domain still exists for the specified VM.\n"
        f"vm: {vm('web1')} (web1)\ndomid: <unknown>\n"
    )
    # the CLI never selects a control domain for a reset (select_vms adds is-control-domain=false)
    dom0 = stable_uuid("dom0", "plot2")
    r = await run_on(sim, "plot1", f"{XE} vm-reset-powerstate uuid={dom0} --force")
    assert r.stderr.endswith("message: Failure: No matching VMs found\n")


async def test_pulled_cable_keeps_running_and_an_unfenced_reset_runs_the_vm_twice(sim_factory):
    """xapi's own guard is not a fence: this is the double start xentui must never allow."""
    sim = await sim_factory("master-cable-pulled", hosts=3, vms=VMS)
    assert sim.pool.ledger.where(vm("web1")) == {"plot1"}  # still running behind the pulled cable
    await promote(sim)
    # the new master's database still says running on plot1 (xcp-ng/xcp issue 500)
    r = await run_on(sim, "plot2", f"{XE} vm-start uuid={vm('web1')}")
    assert r.stderr == (
        "You attempted an operation on a VM that was not in an appropriate power state at the time; for example, "
        "you attempted to start a VM that was already running. The parameters returned are the VM's handle, and "
        "the expected and actual VM state at the time of the call.\n"
        f"vm: {vm('web1')} (web1)\nexpected: halted\nactual: running\n"
    )
    r = await run_on(sim, "plot2", f"{XE} vm-reset-powerstate uuid={vm('web1')} --force")
    assert (r.exit_status, r.stdout, r.stderr) == (0, "", "")
    r = await run_on(sim, "plot2", f"{XE} vm-list uuid={vm('web1')} params=power-state,resident-on")
    assert "resident-on ( RO): <not in database>" in r.stdout and "halted" in r.stdout
    r = await run_on(sim, "plot2", f"{XE} vm-start uuid={vm('web1')} on=plot1")
    assert r.stderr == "This operation cannot be completed as the server is not live.\n"
    r = await run_on(sim, "plot2", f"{XE} vm-start uuid={vm('web1')} on=plot9")
    assert r.stderr.endswith("message: Failure: Host plot9 not found\n")
    r = await run_on(sim, "plot2", f"{XE} vm-start uuid={vm('web1')} on=plot3")
    assert (r.exit_status, r.stdout) == (0, "")
    twice = sim.pool.ledger.ran_twice()
    assert [(v, hosts) for _, v, hosts in twice] == [(vm("web1"), ("plot1", "plot3"))]


async def test_power_off_stops_the_domains_and_the_reset_then_is_safe(sim_factory):
    sim = await sim_factory("master-cable-pulled", hosts=3, vms=VMS)
    sim.pool.power_off(sim.pool.host("plot1"))
    assert sim.pool.ledger.where(vm("web1")) == set()
    await promote(sim)
    await run_on(sim, "plot2", f"{XE} pool-recover-slaves")
    await sim.pool.wait_for(lambda: sim.pool.follows(sim.pool.host("plot3"), sim.pool.host("plot2")))
    r = await run_on(sim, "plot3", f"{XE} vm-reset-powerstate uuid={vm('web1')} --force")  # a slave forwards it
    assert r.exit_status == 0, r.stderr
    r = await run_on(sim, "plot2", f"{XE} vm-start uuid={vm('web1')}")
    assert r.exit_status == 0, r.stderr
    rec = sim.pool.host("plot2").db.vms[vm("web1")]
    assert rec.power_state == "running" and rec.resident_on in (host_uuid("plot2"), host_uuid("plot3"))
    assert sim.pool.ledger.ran_twice() == []


@pytest.mark.parametrize("tls", [False, True])
async def test_bmc_speaks_redfish_and_acts_on_the_host(sim_factory, tls):
    import sushy
    from sushy.resources.constants import PowerState, ResetType

    sim = await sim_factory("healthy", hosts=2, vms=VMS[:1], bmc=True, bmc_tls=tls)
    b = sim.bmcs["plot1"]

    def client(password: str, verify: object = True) -> sushy.Sushy:
        return sushy.Sushy(b.url + "/redfish/v1/", auth=sushy.auth.BasicAuth(b.user, password), verify=verify,
                           connect_timeout=3, read_timeout=3, server_side_retries=1)

    verify = str(b.tls[0]) if tls else True

    def fence() -> tuple[object, object]:
        s = client(sim.bmc_password, verify).get_system("/redfish/v1/Systems/1")
        before = s.power_state
        s.reset_system(ResetType.FORCE_OFF)
        s.refresh()
        return before, s.power_state

    before, after = await asyncio.to_thread(fence)
    assert (before, after) == (PowerState.ON, PowerState.OFF)
    assert not sim.pool.host("plot1").powered and sim.pool.ledger.where(vm("web1")) == set()

    def wrong() -> None:
        client("nope", verify).get_system("/redfish/v1/Systems/1")

    with pytest.raises(sushy.exceptions.AccessError):
        await asyncio.to_thread(wrong)
    assert ("GET", "/redfish/v1/Systems/1", 401) in b.requests
    if tls:  # the self-signed certificate is refused unless trusted
        with pytest.raises(sushy.exceptions.ConnectionError):
            await asyncio.to_thread(lambda: client(sim.bmc_password, True).get_system("/redfish/v1/Systems/1"))

    def power_on() -> None:
        client(sim.bmc_password, verify).get_system("/redfish/v1/Systems/1").reset_system(ResetType.ON)

    await asyncio.to_thread(power_on)
    await sim.pool.wait_for(lambda: sim.pool.host("plot1").is_master)


async def test_bmc_faults_unreachable_and_stuck_on(sim_factory):
    import sushy
    from sushy.resources.constants import PowerState, ResetType

    sim = await sim_factory("healthy", hosts=2, bmc=True)
    b = sim.bmcs["plot2"]

    def system() -> object:
        r = sushy.Sushy(b.url + "/redfish/v1/", auth=sushy.auth.BasicAuth(b.user, sim.bmc_password),
                        connect_timeout=2, read_timeout=2, server_side_retries=1)
        return r.get_system("/redfish/v1/Systems/1")

    await sim.fault("bmc-stuck-on", "plot2")
    s = await asyncio.to_thread(system)
    await asyncio.to_thread(s.reset_system, ResetType.FORCE_OFF)
    await asyncio.to_thread(s.refresh)
    assert s.power_state == PowerState.ON and sim.pool.host("plot2").powered
    await sim.fault("bmc-unreachable", "plot2")
    with pytest.raises(sushy.exceptions.ConnectionError):
        await asyncio.to_thread(system)
    await sim.fault("bmc-reachable", "plot2")
    assert (await asyncio.to_thread(system)).power_state == PowerState.ON
    # the pool config names each BMC, its secret by password_command
    text = (sim.dir / "pools.toml").read_text()
    assert f'[pool.bmc.plot2]\nredfish = "{b.url}"' in text and "password_command" in text
