"""The simulated dom0 shell's mkdir / rmdir / rm, as bash + coreutils answer, and /run cleared by a reboot.

The lease (xentui/actions/lease) is made of these: `mkdir` of a directory is
atomic (one of two racing clients gets "File exists"), `rm` of a named file is
the compare-and-delete of a takeover, `rmdir` only removes an empty directory.
Each line is run by the machine's own bash (LC_ALL=C, in a scratch directory)
and by the simulator over real SSH; status, stdout and stderr must be equal.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from helpers.sim import run_on
from xensim.server import Simulator

# relative paths: the real bash runs in a scratch directory, the simulator resolves them from /
LINES = [
    "mkdir run/x",
    "mkdir -p run/x/y && mkdir run/x",
    "mkdir -p run/x/y; rmdir run/x",
    "mkdir -p run/x; rm run/x",
    "rm nope",
    "rm -f nope",
    "rm -f",
    "rmdir nope",
    "mkdir",
    "rmdir",
    "mkdir -p run/x && printf '%s\\n' hi > run/x/f && rm run/x/f && rmdir run/x && echo gone",
    "mkdir -p run/l; mkdir run/l || echo taken",
    "mkdir -p run/a -- run/b && rmdir run/a run/b && echo both",
    "mkdir -p run && printf x > run/f && mkdir run/f/g",
    "mkdir -p run && printf x > run/f && rmdir run/f",
]


def real_bash(line: str, cwd: Path) -> tuple[int, str, str]:
    r = subprocess.run(["bash", "-c", line], cwd=cwd, capture_output=True, text=True, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    return r.returncode, r.stdout, r.stderr


@pytest.mark.parametrize("line", LINES)
async def test_same_answers_as_bash(sim: Simulator, line: str, tmp_path: Path) -> None:
    expected = await asyncio.to_thread(real_bash, line, tmp_path)
    r = await run_on(sim, "plot3", line)
    assert (r.exit_status, r.stdout, r.stderr) == expected


async def test_two_racing_mkdirs_one_wins(sim: Simulator) -> None:
    """Many clients at once: exactly one mkdir succeeds, the others get File exists."""
    results = await asyncio.gather(*(run_on(sim, "plot2", "mkdir -p /run/xentui && mkdir /run/xentui/lease") for _ in range(6)))
    assert sorted(r.exit_status for r in results) == [0, 1, 1, 1, 1, 1]
    assert {r.stderr for r in results if r.exit_status} == {"mkdir: cannot create directory '/run/xentui/lease': File exists\n"}


async def test_a_reboot_clears_run_but_not_the_disk(sim: Simulator) -> None:
    h = sim.pool.host("plot4")
    r = await run_on(sim, "plot4", "mkdir -p /run/xentui/lease && printf x > /run/xentui/lease/holder.a && mkdir -p /root/kept")
    assert r.exit_status == 0
    sim.pool.power_off(h)
    sim.pool.power_on(h)
    assert not h.path("/run/xentui").exists()
    assert h.path("/root/kept").is_dir()
    assert h.path("/etc/xensource/pool.conf").exists()
