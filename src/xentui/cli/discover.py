"""`xentui discover HOST`: ask one pool member for its pool and add the pool to the config.

The pool is named from its own ``name-label`` (``xe pool-list``) and its hosts
are written as the member reported them (``xe host-list``: address, with the
name-label beside it as a comment, or the reverse with ``--host-names`` for
~/.ssh/config aliases).  An existing file is edited with tomlkit, which
round-trips: its comments, order and layout are kept; only the new pool's
lines are added.  A pool of the same name is replaced only with ``--force``.
"""

from __future__ import annotations

import argparse

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xentui.core.config import Config, ConfigError, HostEntry, Settings, dump_config, write_text_atomically
from xentui.engine.sessions import HostSession, HostTarget
from xentui.xe import commands as xc
from xentui.xe.records import parse_records

__all__ = ["DiscoveredHost", "DiscoveredPool", "PoolExistsError", "add_pool", "discover_pool", "pool_from_records"]


@dataclass(frozen=True)
class DiscoveredHost:
    name: str  # name-label
    address: str  # management address
    uuid: str


@dataclass(frozen=True)
class DiscoveredPool:
    name: str  # the pool's name-label (or a name made from its UUID when it has none)
    uuid: str
    hosts: tuple[DiscoveredHost, ...]


class PoolExistsError(ConfigError):
    """The config already has a pool of that name (pass --force to replace its hosts)."""


def pool_from_records(pools: list[dict[str, str]], hosts: list[dict[str, str]]) -> DiscoveredPool:
    """The pool as `xe pool-list` and `xe host-list` printed it (pure)."""
    if len(pools) != 1:
        raise ConfigError(f"xe pool-list printed {len(pools)} pools, expected exactly one")
    uuid = pools[0].get("uuid", "")
    name = pools[0].get("name-label", "").strip() or f"pool-{uuid[:8] or 'unnamed'}"
    found = tuple(
        DiscoveredHost(name=h.get("name-label", ""), address=h.get("address", ""), uuid=h.get("uuid", ""))
        for h in hosts
    )
    return DiscoveredPool(name=name, uuid=uuid, hosts=found)


async def discover_pool(target: HostTarget, settings: Settings) -> DiscoveredPool:
    """Ask one member (over SSH) for its pool's name-label and hosts."""
    session = HostSession(target, connect_timeout=settings.connect_timeout)
    records: list[list[dict[str, str]]] = []
    try:
        for command in (xc.pool_list(params=["uuid", "name-label"]), xc.host_list(params=["uuid", "name-label", "address"])):
            r = await session.run(xc.timeout_wrapped(settings.command_timeout, command), settings.command_timeout + 2)
            if not r.ok:
                why = r.error or r.stderr.strip() or ("no answer (timeout)" if r.timed_out else f"exit {r.exit_status}")
                raise ConfigError(f"discover: {target.name}: {command}: {why}")
            records.append(parse_records(r.stdout))
    finally:
        await session.close()
    return pool_from_records(*records)


def _hosts_array(pool: DiscoveredPool, host_names: bool) -> Any:
    import tomlkit

    arr = tomlkit.array()
    arr.multiline(True)
    for h in pool.hosts:
        entry, note = (h.name, h.address) if host_names or not h.address else (h.address, h.name)
        arr.add_line(entry, comment=note or None)
    arr.add_line(indent="")
    return arr


def add_pool(text: str, pool: DiscoveredPool, *, name: str | None = None, host_names: bool = False,
             force: bool = False, options: dict[str, str] | None = None, where: str = "config") -> str:
    """*text* (a config file's content) with *pool* added; everything else kept as written (pure).

    Raises PoolExistsError when a pool of that name exists and not *force*;
    with *force*, that pool's hosts (and the given options) are replaced in
    place, its other keys and comments kept.
    """
    import tomlkit

    name = name or pool.name
    doc = tomlkit.parse(text)
    tables = doc.get("pool")
    existing = None
    for table in tables if tables is not None else []:
        if str(table.get("name", "")).casefold() == name.casefold():
            existing = table
    if existing is not None and not force:
        raise PoolExistsError(f"{where}: a pool named {name!r} exists already; "
                              f"pass --force to replace its hosts, or --name to add it under another name")
    if existing is not None:
        existing["hosts"] = _hosts_array(pool, host_names)
        for key, value in (options or {}).items():
            existing[key] = value
        return tomlkit.dumps(doc)
    table = tomlkit.table()
    if pool.uuid:
        table.add(tomlkit.comment(f"pool {pool.uuid}, {len(pool.hosts)} hosts, as {'its members' if pool.hosts else 'it'} reported"))
    table["name"] = name
    table["hosts"] = _hosts_array(pool, host_names)
    for key, value in (options or {}).items():
        table[key] = value
    added = tomlkit.dumps(_one_pool(table))
    return text.rstrip("\n") + ("\n\n" if text.strip() else "") + added


def _one_pool(table: Any) -> Any:
    import tomlkit

    doc = tomlkit.document()
    aot = tomlkit.aot()
    aot.append(table)
    doc["pool"] = aot
    return doc


def write_pool(path: Path, pool: DiscoveredPool, **kw: Any) -> Path:
    """Add *pool* to the file at *path* (created when missing), validated before it replaces the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = dump_config(Config())
    return write_text_atomically(add_pool(text, pool, where=str(path), **kw), path, check=True)


def target_for(host: str, user: str | None, ssh_config: str | None) -> HostTarget:
    entry = HostEntry.parse(host)
    return HostTarget(name=entry.name, host=entry.host, port=entry.port, user=user, ssh_config=ssh_config)


def main(args: argparse.Namespace) -> int:
    """`xentui discover HOST`: list a pool's hosts from one member and write them to the config."""
    import asyncio

    from xentui.core.config import default_config_path, find_config, load_config

    try:
        path = find_config(args.config)
        settings = load_config(path).settings
    except ConfigError:
        path = Path(args.config) if args.config else default_config_path()
        settings = Config().settings
    pool = asyncio.run(discover_pool(target_for(args.host, args.user, args.ssh_config), settings))
    opts = {k: getattr(args, k) for k in ("user", "ssh_config") if getattr(args, k)}
    write_pool(path, pool, name=args.name, host_names=args.host_names, force=args.force, options=opts)
    print(f"pool {args.name or pool.name!r}: {len(pool.hosts)} hosts written to {path}")
    for h in pool.hosts:
        print(f"  {h.name:12} {h.address:16} {h.uuid}")
    return 0
