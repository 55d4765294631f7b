"""Secrets: a password asked once without echo, or read from a password manager's
command; never in a remote argv, a file the product wrote, its output or an exception.

The simulator accepts root / `xenroot` by password; these sessions have no key
(HOME is empty, the ssh_config names none), so password auth is the only way in.
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import os
import sys
import termios
from pathlib import Path
from typing import Any

import pytest

from xentui.cli.main import main
from xentui.core.config import PoolConfig, Settings
from xentui.engine.secrets import PasswordError, fetch_password, forget_passwords, password_from_command
from xensim.server import DEFAULT_PASSWORD, Simulator

PASSWORD = DEFAULT_PASSWORD
# The command that prints it, without the password itself on its command line.
PRINT_IT = f"{sys.executable} -c \"import base64; print(base64.b64decode('{base64.b64encode(PASSWORD.encode()).decode()}').decode())\""
TIMEOUTS = ["--connect-timeout", "3", "--command-timeout", "3", "--reach-timeout", "1"]


@pytest.fixture(autouse=True)
def _nothing_held() -> Any:
    forget_passwords()
    yield
    forget_passwords()


def keyless_config(sim: Simulator, tmp_path: Path, extra: str = "") -> Path:
    """A pool config whose ssh_config offers no key: the hosts can only be logged in by password."""
    conf = "\n".join(
        line for line in (sim.dir / "ssh_config").read_text().splitlines() if "Identit" not in line
    )
    (tmp_path / "ssh_config_nokey").write_text(conf + "\n")
    hosts = ", ".join(f'"{n}"' for n in sim.pool.hosts)
    path = tmp_path / "pools.toml"
    path.write_text(
        f'[[pool]]\nname = "sim"\nhosts = [{hosts}]\nssh_config = "{tmp_path / "ssh_config_nokey"}"\n{extra}'
    )
    return path


def assert_password_nowhere(root: Path, sim: Simulator, *texts: str) -> int:
    """The password is in no file under *root*, no argv the hosts received, none of *texts*."""
    files = [p for p in root.rglob("*") if p.is_file()]
    for p in files:
        assert PASSWORD.encode() not in p.read_bytes(), p
    for host, argv in sim.received:
        assert not any(PASSWORD in a for a in argv), (host, argv)
    for text in texts:
        assert PASSWORD not in text
    return len(files)


async def test_status_asks_once_without_echo(sim_factory: Any, tmp_path: Path) -> None:
    sim = await sim_factory(hosts=3)
    config = keyless_config(sim, tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "PYTHONUNBUFFERED": "1"}
    master, slave = os.openpty()

    def controlling_tty() -> None:  # the child's terminal, as at a jump box: getpass reads /dev/tty
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "xentui", "status", "--config", str(config), *TIMEOUTS,
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, preexec_fn=controlling_tty,
    )
    os.close(slave)
    os.set_blocking(master, False)
    seen = b""
    prompts = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while loop.time() < deadline:
        try:
            chunk = os.read(master, 4096)
        except BlockingIOError:
            await asyncio.sleep(0.05)
            continue
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        if seen.count(b"Password for pool sim: ") > prompts:
            prompts += 1
            os.write(master, PASSWORD.encode() + b"\n")
    os.close(master)
    rc = await asyncio.wait_for(proc.wait(), 30)
    out = seen.decode(errors="replace")
    assert prompts == 1, out  # asked once, for the pool, not once per host
    assert rc == 0, out
    for name in sim.pool.hosts:
        assert any(line.startswith(name) and " up " in line for line in out.splitlines()), out
    assert "HEALTHY" in out
    n = assert_password_nowhere(tmp_path, sim, out)  # not echoed, not written, not sent in an argv
    assert n > 0 and sim.received  # files were written (address book) and commands ran


async def test_status_with_password_command(sim_factory: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    sim = await sim_factory(hosts=3)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = keyless_config(sim, tmp_path, f"password_command = '''{PRINT_IT}'''\n")
    rc = await asyncio.to_thread(main, ["status", "--json", "--config", str(config), *TIMEOUTS])
    cap = capsys.readouterr()
    assert rc == 0, cap
    import json

    doc = json.loads(cap.out)
    assert [h["ssh"] for h in doc["hosts"]] == ["up"] * 3
    assert doc["verdict"] == "healthy"
    assert_password_nowhere(tmp_path, sim, cap.out, cap.err)


async def test_without_password_and_terminal_the_hosts_say_auth_failed(sim_factory: Any, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """No terminal to ask on (cron, a plugin): nothing is asked, the refusal is reported."""
    sim = await sim_factory(hosts=2)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = keyless_config(sim, tmp_path)
    rc = await asyncio.to_thread(main, ["status", "--json", "--config", str(config), *TIMEOUTS])
    import json

    doc = json.loads(capsys.readouterr().out)
    assert rc == 0 and [h["ssh"] for h in doc["hosts"]] == ["auth-failed"] * 2


@pytest.mark.parametrize(
    "command, expected",
    [
        (f"{sys.executable} -c \"import sys; sys.stderr.write('gpg: decryption failed: No secret key'); sys.exit(2)\"",
         "exit 2: gpg: decryption failed: No secret key"),
        (f"{sys.executable} -c \"print()\"", "printed no password on its first line"),
        ("/nonexistent/pass show xen/prod", "cannot run: No such file or directory"),
        ("pass 'unterminated", "No closing quotation"),
        (f"{sys.executable} -c \"import time; time.sleep(30)\"", "no answer in 0.5 s"),
    ],
)
async def test_password_command_failures_say_why(command: str, expected: str) -> None:
    with pytest.raises(PasswordError) as e:
        await password_from_command(command, 0.5, "prod")
    assert expected in str(e.value) and str(e.value).startswith("pool prod: password_command")


async def test_password_command_first_line_held_once(tmp_path: Path) -> None:
    counter = tmp_path / "runs"
    cmd = (f"{sys.executable} -c \"import pathlib; p = pathlib.Path('{counter}'); "
           f"p.write_text(p.read_text() + 'x' if p.exists() else 'x'); print('s3cr et'); print('second line')\"")
    pool = PoolConfig(name="prod", hosts=("a",), password_command=cmd)
    settings = Settings()
    assert await fetch_password(pool, settings) == "s3cr et"
    assert await fetch_password(pool, settings) == "s3cr et"
    assert counter.read_text() == "x"  # run once, then held in memory


def test_password_command_is_not_rejected_as_a_password_in_the_file(tmp_path: Path) -> None:
    from xentui.core.config import ConfigError, load_config

    p = tmp_path / "pools.toml"
    p.write_text('[settings]\npassword_command_timeout = 5.0\n[[pool]]\nname = "a"\nhosts = ["h"]\npassword_command = "pass show xen/a"\n')
    assert load_config(p).pools[0].password_command == "pass show xen/a"
    p.write_text('[[pool]]\nname = "a"\nhosts = ["h"]\npassword = "hunter2"\n')
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "hunter2" not in str(e.value) and "password_command" in str(e.value)


async def test_console_asks_once_in_a_modal_and_logs_in(sim_factory: Any, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The console: the hosts refuse the (absent) keys, a password modal opens once, the typed
    password is never shown (screenshot taken while it is in the field) and logs every host in."""
    from xentui.core.config import load_config
    from xentui.ui.app import XentuiApp
    from xentui.ui.password import PasswordScreen
    from helpers.keys import send_key, until

    sim = await sim_factory(hosts=3)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = keyless_config(sim, tmp_path, "")
    path.write_text(f'[settings]\npoll_interval = 0.5\naudit_file = "{tmp_path / "audit.jsonl"}"\n' + path.read_text())
    app = XentuiApp(config=load_config(path))
    async with app.run_test(size=(120, 36)):
        await until(lambda: isinstance(app.screen, PasswordScreen), 20, "the password modal")
        for ch in PASSWORD:
            send_key(app, ch)
        field = app.screen.query_one("#password-input")
        await until(lambda: field.value == PASSWORD, 5, "the typed password")  # type: ignore[attr-defined]
        shot = app.export_screenshot()
        (tmp_path / "modal.svg").write_text(shot)
        send_key(app, "enter")
        await until(lambda: all(f.ssh.value == "up" for f in app.current_slot.source.facts.values()), 20, "hosts up")
        await asyncio.sleep(1.5)  # a few more polls: the modal is not asked again
        assert not isinstance(app.screen, PasswordScreen)
        assert app._asked_password == {"sim"}
        (tmp_path / "after.svg").write_text(app.export_screenshot())
        assert "Password&#160;for&#160;pool&#160;sim" in shot  # the modal was on screen
    assert_password_nowhere(tmp_path, sim, "\n".join(app.errors))
