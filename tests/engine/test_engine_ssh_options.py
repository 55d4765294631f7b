"""How a session builds its asyncssh options: ssh_config read once per host, the same as asyncssh's own."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import asyncssh.config
import pytest
from asyncssh.config import SSHClientConfig
from hypothesis import given
from hypothesis import strategies as st

from xentui.engine.sessions import PREFERRED_CIPHERS, HostSession, HostTarget, _MemoShlex
from xentui.core.model import SshState


def test_the_engine_gives_asyncssh_the_memoized_tokenizer() -> None:
    assert asyncssh.config.shlex is _MemoShlex


words = st.text(alphabet=st.sampled_from(list("abcXYZ019 =\"'\\#.-_/%\t")), max_size=40)


@given(words)
def test_memoized_split_is_shlex_split(line: str) -> None:
    try:
        expected = shlex.split(line)
    except ValueError as e:
        with pytest.raises(ValueError, match=str(e)):
            _MemoShlex.split(line)
        return
    first = _MemoShlex.split(line)
    assert first == expected
    first.append("changed by the caller")
    assert _MemoShlex.split(line) == expected  # the memo hands out a fresh list every time


CONFIGS = [
    "Host plot1\n    HostName 10.0.0.1\n    Port 2222\n",
    'Host plot1 plot2\n    User "root"\n    IdentityFile "~/keys/pool key"\n',
    "Host=plot1\n  Port=2201\nHost *\n  User admin\n  ConnectTimeout = 7\n",
    "# comment\nHost plot*\n    Port 22\n    UserKnownHostsFile /a/known_hosts '/b/other file'\nHost plot1\n    Port 99\n",
    "Host other\n    Port 1\nHost !other plot1\n    HostName plot1.example\n",
    "Match host plot1\n    Port 2022\nHost *\n    Ciphers aes256-ctr\n",
]


@pytest.mark.parametrize("text", CONFIGS)
def test_a_config_reads_the_same_with_and_without_the_memo(tmp_path: Path, text: str, monkeypatch) -> None:
    path = tmp_path / "ssh_config"
    path.write_text(text)

    def load() -> dict:
        config = SSHClientConfig.load(None, [path], False, False, False, "me", "root", "plot1", 22)
        return dict(config._options)

    with_memo = load()
    monkeypatch.setattr(asyncssh.config, "shlex", shlex)
    assert load() == with_memo
    assert with_memo  # every config above sets something for plot1


def _session(sim, host: str = "plot1", config: Path | None = None, **kw) -> HostSession:
    target = HostTarget(name=host, host=host, ssh_config=str(config or sim.dir / "ssh_config"), **kw)
    return HostSession(target, connect_timeout=3)


async def test_reconnects_reuse_the_parsed_config_until_the_file_changes(sim_factory, tmp_path: Path) -> None:
    sim = await sim_factory("healthy", hosts=2)
    config = tmp_path / "ssh_config"
    config.write_text((sim.dir / "ssh_config").read_text())
    session = _session(sim, config=config)
    assert await session.connect()
    parsed = session._options_cache
    await session.close()
    assert await session.connect()
    assert session._options_cache is parsed  # the reconnect did not parse the file again
    await session.close()

    # plot1 moves to a port where nothing listens: the next connect reads the file again
    port = sim.pool.host("plot1").ssh_port
    config.write_text(config.read_text().replace(f"Port {port}\n", "Port 1\n"))
    stat = config.stat()
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert not await session.connect()
    assert session.state is SshState.REFUSED


async def test_a_port_in_the_pool_config_beats_the_ssh_config(sim_factory, tmp_path: Path) -> None:
    sim = await sim_factory("healthy", hosts=2)
    config = tmp_path / "ssh_config"
    port = sim.pool.host("plot2").ssh_port
    config.write_text((sim.dir / "ssh_config").read_text().replace(f"Port {port}\n", "Port 1\n"))
    assert not await _session(sim, "plot2", config).connect()
    session = _session(sim, "plot2", config, port=port)
    assert await session.connect()
    await session.close()


async def test_aes_gcm_is_preferred_unless_the_ssh_config_names_ciphers(sim_factory, tmp_path: Path) -> None:
    sim = await sim_factory("healthy", hosts=2)
    session = _session(sim)
    assert await session.connect()
    assert session.conn is not None
    assert session.conn.get_extra_info("send_cipher") == PREFERRED_CIPHERS[0]
    await session.close()

    config = tmp_path / "ssh_config"
    config.write_text("Host plot1\n    Ciphers chacha20-poly1305@openssh.com\n" + (sim.dir / "ssh_config").read_text())
    session = _session(sim, config=config)
    assert await session.connect()
    assert session.conn is not None
    assert session.conn.get_extra_info("send_cipher") == "chacha20-poly1305@openssh.com"
    await session.close()


def test_known_hosts_are_parsed_once_while_the_files_do_not_change(tmp_path: Path) -> None:
    from xentui.engine.sessions import _known_hosts_read_once

    one = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    two = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    path = tmp_path / "known_hosts"
    path.write_text(f"plot1 {one}\n")
    first = _known_hosts_read_once(str(path))
    assert first is not None and _known_hosts_read_once([str(path)]) is first  # one parse, however asked
    assert [k.export_public_key().decode().strip() for k in first.match("plot1", "", None)[0]] == [one]
    assert first.match("plot2", "", None)[0] == []

    with path.open("a") as f:  # a key trusted meanwhile (onboarding's trust step): seen at the next connect
        f.write(f"plot2 {two}\n")
    again = _known_hosts_read_once(str(path))
    assert again is not first
    assert [k.export_public_key().decode().strip() for k in again.match("plot2", "", None)[0]] == [two]

    assert _known_hosts_read_once(str(tmp_path / "missing")) is None  # asyncssh's own handling, as before
    assert _known_hosts_read_once(None) is None and _known_hosts_read_once(()) is None
