"""The simulated dom0 shell runs xentui's watcher loop as bash does (issue 24).

The constructs the loop needs are compared line by line with the machine's own bash;
the loop itself runs over real SSH: it streams from inside `while`, sees a pulled cable
and a hung toolstack, and ends when the channel closes.
"""

from __future__ import annotations

import asyncio
import subprocess
import time

import pytest

from helpers.sim import run_on, ssh_connect
from xensim.server import Simulator
from xentui.xe.watch import Beat, Change, Started, StreamView, WatchParser, watcher_command

LINES = [
    "c=slave:10.0.0.1; a=${c#slave:}; echo \"[$a]\"",
    "c=master; a=${c#slave:}; echo \"[$a]\"",
    "r='bash: connect: Connection refused'; echo \"fail ${r##*: }\"",
    "r='a: b: c'; echo \"${r#*: }|${r##*: }|${r%: *}|${r%%: *}\"",
    "x='ok 200'; [ \"$x\" = \"${x#ok }\" ] && echo same || echo ok-prefix",
    "printf 'a b  c d\\n' > /tmp/w24; read -r p q < /tmp/w24; echo \"[$p][$q]\"",
    "printf 'one\\n' > /tmp/w24; read -r p q < /tmp/w24; echo \"[$p][$q]\"",
    "bash --norc -c 'echo \"$0 $1 $2\"' zero one two",
    "sh -c 'echo \"[$1]\"' x 'a b'",
    "printf 'x\\r\\n' | tr '\\r' R",
    "sleep 0.1 && echo slept",
    "sleep; echo rc=$?",
    "sleep abc; echo rc=$?",
    "bash -c 'exec 2>&1; echo err >&2' | tr e E",
    "bash -c 'exec 3<>/dev/tcp/127.0.0.1/1 || echo nope' 2>/dev/null",
]


def real_bash(line: str) -> tuple[int, str, str]:
    r = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=10,
                       env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    return r.returncode, r.stdout, r.stderr


@pytest.mark.parametrize("line", LINES)
async def test_the_loops_constructs_answer_as_bash(sim: Simulator, line: str) -> None:
    expected = await asyncio.to_thread(real_bash, line)
    r = await run_on(sim, "plot2", line)
    assert (r.exit_status, r.stdout, r.stderr) == expected


async def test_a_construct_still_not_simulated_is_refused_with_bash_status(sim: Simulator) -> None:
    r = await run_on(sim, "plot2", "x=abc; echo ${x/a/b}")
    assert r.exit_status == 2 and "bash: sim: only ${NAME}" in r.stderr


async def _read_until(proc, view: StreamView, parser: WatchParser, check, timeout: float) -> list:
    seen = []
    deadline = time.monotonic() + timeout
    while not check(seen):
        left = deadline - time.monotonic()
        assert left > 0, seen
        chunk = await asyncio.wait_for(proc.stdout.read(4096), left)
        assert chunk, ("stream ended", seen, await proc.stderr.read())
        for ev in parser.feed(chunk):
            view.apply(ev)
            seen.append(ev)
    return seen


async def test_the_watcher_loop_streams_and_sees_faults(sim: Simulator) -> None:
    master = sim.pool.host("plot1")
    conn = await ssh_connect(sim, "plot2")
    try:
        proc = await conn.create_process(watcher_command(reach_seconds=1, xapi_seconds=1), encoding=None)
        view, parser = StreamView(), WatchParser()
        seen = await _read_until(proc, view, parser, lambda s: view.ready and view.beats >= 3, 10)
        assert seen[0] == Started("1")
        assert view.values == {"conf": f"slave:{master.address}", "gen": view.values["gen"], "reach": "ok",
                               "xapi": "ok 404"}
        assert view.values["gen"].isdigit()
        beats = [e.uptime for e in seen if isinstance(e, Beat)]
        assert all(0.5 < b - a < 2.5 for a, b in zip(beats, beats[1:])), beats  # host clock, about 1 s

        await sim.fault("cable-pull", "plot1")
        await _read_until(proc, view, parser, lambda s: Change("reach", "timeout") in s, 6)
        await sim.fault("cable-restore", "plot1")
        await _read_until(proc, view, parser, lambda s: Change("reach", "ok") in s, 6)
        await sim.fault("hang-xapi", "plot2")
        await _read_until(proc, view, parser, lambda s: Change("xapi", "timeout") in s, 6)
        await sim.fault("unhang-xapi", "plot2")
        await _read_until(proc, view, parser, lambda s: Change("xapi", "ok 404") in s, 6)
    finally:
        conn.close()


async def test_the_loop_ends_when_the_channel_closes(sim: Simulator) -> None:
    conn = await ssh_connect(sim, "plot3")
    proc = await conn.create_process(watcher_command(), encoding=None)
    await asyncio.wait_for(proc.stdout.readuntil(b"C xapi"), 5)
    conn.abort()  # the client is gone without a word
    await asyncio.sleep(0.5)
    count = sum(1 for host, _ in sim.received if host == "plot3")
    await asyncio.sleep(2.5)
    assert sum(1 for host, _ in sim.received if host == "plot3") == count  # no pass ran since
    assert sim.open_connections["plot3"] == 0
