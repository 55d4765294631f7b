"""The watcher loop on a real OpenSSH sshd (issue 24 points 2 and 3).

* Orphans: the loop runs under sshd as it would on dom0; the client is SIGKILLed at a random
  moment of a pass; the processes left in the loop's session on the server side are counted
  until none is left: within one pass (the loop's longest gap) plus a few seconds, also when
  the master is silent and the local toolstack accepts but never answers.
* Fallback: an sshd whose ForceCommand answers instead of the loop makes the host "polled",
  with what it said as the reason.

Needs /usr/sbin/sshd (openssh-server); skipped cleanly without it.
"""

from __future__ import annotations

import asyncio
import random
import shlex
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from helpers.sshd import OpenSshServer, find_session, session_processes
from xentui.core.config import Settings
from xentui.engine.sessions import HostSession, HostTarget
from xentui.engine.watcher import HostWatch, StreamEnd, WatchMode
from xentui.xe.watch import max_gap, watcher_script

pytestmark = pytest.mark.skipif(OpenSshServer.available() is not None, reason=str(OpenSshServer.available()))

R, T, P = 2.0, 1.0, 1.0
FEW = 3.0  # "plus a few seconds": sshd noticing the client's end, the kernel's SIGPIPE


@pytest.fixture
def sshd(tmp_path: Path):
    server = OpenSshServer(tmp_path / "sshd").start()
    yield server
    server.stop()


def _full_listener(address: str, port: int) -> list[socket.socket]:
    """A TCP listener whose accept queue is full: SYNs to it are dropped silently (a pulled cable)."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((address, port))
    ls.listen(0)
    held = [ls]
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect((address, port))
        except BlockingIOError:
            pass
        held.append(c)
    time.sleep(0.2)
    return held


def _mute_listener() -> tuple[socket.socket, int]:
    """Accepts and never answers: a hung toolstack."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    return ls, ls.getsockname()[1]


@pytest.mark.parametrize("case", ["healthy", "master-silent-toolstack-hung"])
def test_the_loop_dies_with_its_session(sshd: OpenSshServer, tmp_path: Path, case: str) -> None:
    held: list[socket.socket] = []
    script = watcher_script(R, T, P)
    conf = tmp_path / "pool.conf"
    if case == "healthy":
        conf.write_text("master\n")
        slave = False
    else:
        try:
            held = _full_listener("127.0.0.7", 443)
        except OSError as e:
            pytest.skip(f"cannot listen on 127.0.0.7:443 here ({e})")
        mute, port = _mute_listener()
        held.append(mute)
        conf.write_text("slave:127.0.0.7\n")
        script = script.replace(" XP=80 ", f" XP={port} ")
        slave = True
    script = script.replace("PC=/etc/xensource/pool.conf", f"PC={conf}")
    marker = f"xentui-orphan-{uuid.uuid4().hex[:12]}"
    client = subprocess.Popen(sshd.ssh_argv(f"sh -c {shlex.quote(script)} {marker}"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert client.stdout is not None
        deadline = time.monotonic() + 20
        lines = []
        while not any(line.startswith(b"C xapi") for line in lines):
            assert time.monotonic() < deadline, lines
            lines.append(client.stdout.readline())
            assert lines[-1], client.stderr.read() if client.stderr else b""
        assert lines[0] == b"W xentui-watch 1\n"
        found = find_session(marker)
        assert found is not None
        _, sid = found
        assert session_processes(sid)
        time.sleep(random.uniform(0, P + T))  # a random moment of a pass
        client.kill()  # SIGKILL: no word to sshd but the TCP close
        killed = time.monotonic()
        while session_processes(sid):
            took = time.monotonic() - killed
            assert took <= max_gap(P, T, R, slave) + FEW, (took, session_processes(sid))
            time.sleep(0.05)
    finally:
        client.kill()
        client.wait()
        for s in held:
            s.close()


async def test_a_force_command_makes_the_host_polled(tmp_path: Path) -> None:
    server = OpenSshServer(tmp_path / "sshd", force_command='echo "This account is restricted"; exit 1').start()
    try:
        target = HostTarget(name="restricted", host="127.0.0.1", port=server.port, user="root",
                            identity=str(server.client_key), known_hosts=str(server.known_hosts),
                            ssh_config="/dev/null")
        session = HostSession(target, connect_timeout=5)
        assert await session.connect(), session.error
        published: list[str | None] = []
        watch = HostWatch(session, Settings(), publish=lambda: published.append(None), wants_read=lambda: None)
        end = await asyncio.wait_for(watch.run(), 20)
        assert end is StreamEnd.CANNOT_RUN and watch.mode is WatchMode.POLLED
        assert watch.detail is not None and "This account is restricted" in watch.detail
        assert published  # the engine was told (its row now says polled)
        # the probe's own commands get the same answer: polled as today, and the reason shown
        r = await session.run("head -v -c 10 /etc/hostname", 5)
        assert r.stdout.strip() == "This account is restricted" and r.exit_status == 1
        await session.close()
    finally:
        server.stop()
