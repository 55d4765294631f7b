"""The real OpenSSH client against the simulator, with the files it writes."""

from __future__ import annotations

import asyncio

import pytest

from helpers.sim import SSH, openssh
from xensim.server import Simulator

pytestmark = pytest.mark.skipif(SSH is None, reason="the OpenSSH client `ssh` is not on PATH")


async def test_openssh_runs_xe_on_every_host(sim: Simulator) -> None:
    expected = (",".join(h.uuid for h in sim.pool.host("plot1").db.hosts.values()) + "\n").encode()
    results = await asyncio.gather(*(openssh(sim, f"plot{i}", "xe host-list --minimal") for i in range(1, 9)))
    for i, (status, stdout, stderr) in enumerate(results, start=1):
        assert (status, stdout) == (0, expected), (f"plot{i}", stderr)
    assert {h for h, argv in sim.received if argv == ["xe", "host-list", "--minimal"]} == {f"plot{i}" for i in range(1, 9)}


async def test_openssh_exit_status_and_stderr(sim: Simulator) -> None:
    status, stdout, stderr = await openssh(sim, "plot2", "xe", "pool-frobnicate")
    assert (status, stdout) == (1, b"")
    assert stderr == b"Unknown command: pool-frobnicate\nFor usage run: 'xe help'\n"
    status, stdout, _ = await openssh(sim, "plot2", "/opt/xensource/bin/xe host-is-in-emergency-mode")
    assert (status, stdout) == (0, b"false\n")


async def test_openssh_refuses_a_changed_host_key(sim: Simulator) -> None:
    await sim.fault("rekey", "plot3")
    status, stdout, stderr = await openssh(sim, "plot3", "hostname")
    assert status == 255 and stdout == b""
    assert b"Host key verification failed" in stderr


async def test_openssh_connection_refused_on_shutdown(sim: Simulator) -> None:
    await sim.fault("shutdown", "plot4")
    status, _, stderr = await openssh(sim, "plot4", "hostname")
    assert status == 255
    assert b"Connection refused" in stderr
