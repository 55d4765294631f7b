"""Every printing command, run as a user runs it: nothing on stderr, valid JSON where JSON was
asked for, and a quiet end with the shell's status when the reader of its output goes away.

Each command is its own process (`python -m xentui`), with Python's default warning filters
(no -W, no PYTHONWARNINGS) and the locked dependencies, cryptography 51+ among them (whose DSA
deprecation asyncssh trips at import), against the simulator served by this test's loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from xentui.cli.pipes import READER_GONE
from xensim.server import Simulator

XENTUI = [sys.executable, "-m", "xentui"]


def user_env() -> dict[str, str]:
    """The environment of a user's shell: no warning filters of pytest's or anyone's."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS", "PYTHONDEVMODE")}


def config(sim: Simulator, tmp_path: Path) -> Path:
    """The simulator's pools.toml with short waits, and the audit and journal in this test's folder."""
    path = tmp_path / "pools.toml"
    path.write_text(
        "[settings]\nconnect_timeout = 3.0\ncommand_timeout = 4.0\npoll_interval = 1.0\nreader_check_interval = 0.2\n"
        f'audit_file = "{tmp_path / "audit.jsonl"}"\n\n' + (sim.dir / "pools.toml").read_text())
    return path


async def run(*argv: str, timeout: float = 90) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *XENTUI, *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=user_env())
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_the_locked_cryptography_is_one_that_deprecates_dsa() -> None:
    """The control: without our filter, importing asyncssh here prints the DSA deprecation, so the
    quiet tests below prove the filter, not a lucky version."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import asyncssh", stderr=asyncio.subprocess.PIPE, env=user_env())
    _, err = await proc.communicate()
    from cryptography import __version__ as crypto

    if int(crypto.split(".")[0]) >= 51:
        assert b"CryptographyDeprecationWarning" in err, (crypto, err)
    else:  # an older cryptography (pyproject's range allows it): nothing to hide
        assert err == b"", (crypto, err)


async def test_our_own_warnings_still_show() -> None:
    code = ("from xentui.cli.pipes import quiet_third_party_warnings as q; q(); import asyncssh, warnings;"
            "import xentui.cli.pipes as m; warnings.warn_explicit('ours', UserWarning, 'x.py', 1, module='xentui.cli.pipes')")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", code, stderr=asyncio.subprocess.PIPE, env=user_env())
    _, err = await proc.communicate()
    assert b"UserWarning: ours" in err and b"DSA" not in err, err


@pytest.mark.parametrize("argv, is_json, status", [
    (["status"], False, 0),
    (["status", "--json"], True, 0),
    (["check"], False, 0),
    (["plan", "--json"], True, 0),
])
async def test_one_shot_commands_print_nothing_on_stderr(sim_factory, tmp_path: Path, argv: list[str], is_json: bool,
                                                         status: int) -> None:
    sim = await sim_factory("healthy")
    code, out, err = await run("--config", str(config(sim, tmp_path)), *argv)
    assert err == "", err
    assert code == status, out
    if is_json:
        doc = json.loads(out)
        assert isinstance(doc, dict) and doc, out
    else:
        assert "healthy" in out.lower(), out


async def test_onboard_check_json_prints_nothing_on_stderr(sim_factory, tmp_path: Path) -> None:
    sim = await sim_factory("onboarding")
    code, out, err = await run("--config", str(config(sim, tmp_path)), "onboard", "--check", "plot9", "--json")
    assert err == "", err
    assert code == 1, out  # the onboarding scenario's plot9 lacks an update
    doc = json.loads(out)
    assert doc["host"] == "plot9" or "plot9" in json.dumps(doc), doc


async def test_discover_prints_nothing_on_stderr(sim_factory, tmp_path: Path) -> None:
    sim = await sim_factory("healthy")
    target = tmp_path / "discovered.toml"
    code, out, err = await run("discover", "plot3", "--config", str(target), "--ssh-config", str(sim.dir / "ssh_config"))
    assert err == "", err
    assert code == 0 and "8 hosts written" in out, out


async def test_watch_json_then_report_print_nothing_on_stderr(sim_factory, tmp_path: Path) -> None:
    sim = await sim_factory("healthy")
    cfg = config(sim, tmp_path)
    proc = await asyncio.create_subprocess_exec(
        *XENTUI, "--config", str(cfg), "watch", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=user_env())
    assert proc.stdout is not None and proc.stderr is not None
    lines: list[dict] = []
    try:
        while not any(e.get("event") == "verdict" for e in lines):
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line, "watch ended"
            lines.append(json.loads(line))  # every line is one JSON object
    finally:
        proc.send_signal(signal.SIGINT)
        rest, err = await asyncio.wait_for(proc.communicate(), 30)
    assert err == b"", err.decode()
    assert proc.returncode == 0
    for line in rest.decode().splitlines():
        json.loads(line)
    assert [e for e in lines if e["event"] == "verdict"][0]["verdict"] in ("healthy", "unknown")

    code, out, err = await run("--config", str(cfg), "report")
    assert err == "", err
    assert code == 0 and out.startswith("#"), out


# --------------------------------------------------------------------------- pipelines


async def pipeline(command: str, timeout: float) -> tuple[int, str, str, float]:
    """`bash -c 'xentui … 2>ERR | head …'`: xentui's own exit status (PIPESTATUS), what the reader
    got, what xentui wrote on stderr, and how long the whole pipeline took."""
    r_status, w_status = os.pipe()
    script = f'{command}; echo "${{PIPESTATUS[0]}}" >&{w_status}'
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        "bash", "-c", script, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        pass_fds=(w_status,), env={**user_env(), "XENTUI": " ".join(XENTUI)}, )
    os.close(w_status)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    took = time.monotonic() - started
    with os.fdopen(r_status) as f:
        status = int(f.read().strip())
    return status, out.decode(), err.decode(), took


async def no_session_left(sim: Simulator, within: float = 5.0) -> None:
    end = time.monotonic() + within
    while sum(sim.open_connections.values()) and time.monotonic() < end:
        await asyncio.sleep(0.05)
    assert not +sim.open_connections, dict(sim.open_connections)


async def test_watch_json_into_head_ends_quietly_with_141(sim_factory, tmp_path: Path) -> None:
    sim = await sim_factory("healthy")
    cfg = config(sim, tmp_path)
    status, out, err, took = await pipeline(f'$XENTUI --config {cfg} watch --json | head -1', 60)
    assert err == "", err
    assert status == READER_GONE == 141
    (line,) = out.splitlines()
    json.loads(line)
    assert took < 30, took  # it noticed; it did not go on probing
    await no_session_left(sim)


async def test_watch_notices_a_reader_that_left_while_nothing_changed(sim_factory, tmp_path: Path) -> None:
    """The reader leaves after the pool has settled: watch has nothing to print, and still ends."""
    sim = await sim_factory("healthy")
    cfg = config(sim, tmp_path)
    # the reader drains every event for 4 s (the pool settles in ~1 s), then leaves while watch is quiet
    reader = "timeout 4 cat >/dev/null"
    status, _, err, took = await pipeline(f"$XENTUI --config {cfg} watch --json | {reader}", 60)
    assert err == "", err
    assert status == READER_GONE
    assert took < 4 + 5, took  # noticed within a few reader checks, without an event to print
    await no_session_left(sim)


async def test_status_into_head_ends_quietly(sim_factory, tmp_path: Path) -> None:
    sim = await sim_factory("healthy")
    status, out, err, _ = await pipeline(f"$XENTUI --config {config(sim, tmp_path)} status | head -1", 60)
    assert err == "", err
    assert status in (0, READER_GONE)  # the table may fit the pipe before head leaves
    assert len(out.splitlines()) == 1, out
    await no_session_left(sim)


async def test_report_into_head_ends_quietly(sim_factory, tmp_path: Path) -> None:
    """A long journal: the report is far more than a pipe holds, so the reader leaving is felt."""
    sim = await sim_factory("healthy")
    cfg = config(sim, tmp_path)
    from xentui.core.config import load_config
    from xentui.trail.journal import Journal, journal_path

    journal = Journal(journal_path(load_config(cfg).settings.audit_path, "sim"))
    for i in range(3000):  # each host's reach flips at each of its events: 3000 timeline rows, ~300 kB
        journal.append({"at": f"2026-12-06T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z", "event": "host",
                        "pool": "sim", "host": f"plot{i % 8 + 1}", "ssh": "up", "role": "slave", "follows": "plot1",
                        "reaches_master": i // 8 % 2 == 0, "toolstack": "slave", "flags": []})
    status, out, err, _ = await pipeline(f"$XENTUI --config {cfg} report | head -2", 60)
    assert err == "", err
    # 141 when a write meets the closed pipe; 0 when the kernel took the report in one partial write
    # before head left and CPython dropped the rest with the SIGPIPE it ignores (seen under strace)
    assert status in (0, READER_GONE), status
    assert len(out.splitlines()) == 2, out


async def test_exporter_survives_scrapes_that_drop_mid_answer(sim_factory, tmp_path: Path) -> None:
    sim = await sim_factory("healthy")
    cfg = config(sim, tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        *XENTUI, "--config", str(cfg), "exporter", "--listen", f"127.0.0.1:{port}",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=user_env())
    assert proc.stdout is not None
    try:
        await asyncio.wait_for(proc.stdout.readline(), 30)  # "serving … /metrics"

        async def scrape(drop_after: int | None) -> bytes:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            await writer.drain()
            if drop_after is None:
                body = await asyncio.wait_for(reader.read(), 20)
                writer.close()
                return body
            if drop_after:
                await reader.read(drop_after)
            sock = writer.get_extra_info("socket")  # an abrupt end: RST, not FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            writer.transport.abort()
            return b""

        for i in range(30):
            await scrape(drop_after=i % 3 * 100)
        body = await scrape(None)
        assert b"200 OK" in body.split(b"\r\n", 1)[0] and b"xentui_pool_hosts" in body, body[:300]
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert err == b"", err.decode()
    await no_session_left(sim)
