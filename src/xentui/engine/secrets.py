"""A pool's password: from the environment, a password manager's command, or a prompt.

The password is held in this process's memory only (`hold_password`), once
per pool: a `password_command` runs once, a prompt asks once.  It is handed to
asyncssh (password / keyboard-interactive auth) and to the XenAPI login
through the SSH forwarding; never to a remote command line, a file or a log.

`password_command` follows git's credential helpers and Ansible's vault
password scripts: a command (split like a shell would, run without a shell)
whose first line of stdout is the password, e.g. ``pass show xen/prod``,
``op read op://ops/xen-prod/password``, ``bw get password xen-prod``,
``vault kv get -field=password secret/xen/prod``.  It is bounded by
``settings.password_command_timeout``; when it fails, its stderr is shown,
never its stdout.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import Awaitable, Callable

from xentui.core.config import ConfigError, PoolConfig, Settings

__all__ = ["PasswordError", "ask_on_terminal", "fetch_password", "hold_password", "password_from_command", "pool_password"]

_held: dict[str, str] = {}  # pool name -> password from a command or a prompt (memory only)


class PasswordError(ConfigError):
    """The password could not be obtained; the message never holds it."""


def hold_password(pool: str, password: str) -> None:
    """Keep *password* for *pool* for the rest of this process (never written anywhere)."""
    _held[pool] = password


def forget_passwords() -> None:
    _held.clear()


def pool_password(pool: PoolConfig) -> str | None:
    """The password held for the pool (command or prompt), else its `password_env` variable."""
    return _held.get(pool.name) or pool.password()


async def password_from_command(command: str, timeout: float, pool: str = "") -> str:
    """Run *command* and return the first line of its stdout (raises PasswordError)."""
    what = f"pool {pool}: password_command `{command}`" if pool else f"password_command `{command}`"
    try:
        argv = shlex.split(command)
    except ValueError as e:
        raise PasswordError(f"{what}: {e}") from None
    if not argv:
        raise PasswordError(f"{what}: empty command")
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
    except OSError as e:
        raise PasswordError(f"{what}: cannot run: {e.strerror or e}") from None
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except (asyncio.TimeoutError, TimeoutError):
        proc.kill()
        await proc.wait()
        raise PasswordError(f"{what}: no answer in {timeout:g} s (password_command_timeout)") from None
    stderr = err.decode(errors="replace").strip()
    if proc.returncode != 0:
        raise PasswordError(f"{what}: exit {proc.returncode}" + (f": {stderr}" if stderr else ""))
    lines = out.decode(errors="replace").splitlines()
    password = lines[0].rstrip("\r") if lines else ""
    if not password:
        raise PasswordError(f"{what}: printed no password on its first line" + (f" ({stderr})" if stderr else ""))
    return password


async def fetch_password(pool: PoolConfig, settings: Settings) -> str | None:
    """The pool's password: held, else `password_command` (run once, then held), else `password_env`."""
    held = _held.get(pool.name)
    if held:
        return held
    if pool.password_command:
        password = await password_from_command(pool.password_command, settings.password_command_timeout, pool.name)
        hold_password(pool.name, password)
        return password
    return pool_password(pool)


def ask_on_terminal(pool: str) -> Callable[[], Awaitable[str | None]] | None:
    """A prompt on the controlling terminal, without echo (None when there is no terminal)."""
    if not sys.stdin.isatty():
        return None

    async def ask() -> str | None:
        import getpass

        try:
            return await asyncio.to_thread(getpass.getpass, f"Password for pool {pool}: ") or None
        except (EOFError, KeyboardInterrupt):
            return None

    return ask
