"""The xentui config with a joined host added: in memory, and in the admin's file with its
comments and layout kept."""

from __future__ import annotations

import os
from pathlib import Path

import tomlkit

from xentui.core.config import Config, ConfigError, HostEntry, UnknownPoolError, write_text_atomically
from xentui.core.config import host_entry as parse_host_item


# =========================================================================== 6. config


def config_with_new_host(config: Config, pool_name: str, host_entry: str | HostEntry) -> Config:
    """``config`` with ``host_entry`` appended to pool ``pool_name`` (other options kept).

    Unchanged if the entry is already there. Raises ``UnknownPoolError`` if
    there is no such pool (a new pool is not created from one host), and
    ``ConfigError`` if the result is invalid.
    """
    pool = config.pool(pool_name)
    entry = host_entry if isinstance(host_entry, HostEntry) else HostEntry.parse(host_entry)
    if any(h.key == entry.key for h in pool.hosts):
        return config
    return config.upsert_pool(pool.name, [*pool.hosts, entry])


def add_host_to_config_file(path: str | os.PathLike[str], pool_name: str, host_entry: str | HostEntry) -> bool:
    """Add ``host_entry`` to pool ``pool_name``'s ``hosts`` in the config file, keeping the
    file's comments and layout (tomlkit edits the document in place); the result is
    validated with the config loader before it replaces the file (atomically, mode kept).

    Returns False when the entry was already there (nothing written). Raises
    ``UnknownPoolError`` / ``ConfigError`` when the pool is not in the file or the
    result would not load.
    """
    target = Path(path).expanduser()
    entry = host_entry if isinstance(host_entry, HostEntry) else HostEntry.parse(host_entry)
    doc = tomlkit.parse(target.read_text(encoding="utf-8"))
    pools = doc.get("pool")
    table = next((t for t in (pools or []) if t.get("name") == pool_name), None)
    if table is None:
        raise UnknownPoolError(f"{target}: no [[pool]] named {pool_name!r}")
    hosts = table.get("hosts")
    if hosts is None:
        raise ConfigError(f"{target}: pool {pool_name!r} has no hosts list")
    if any(parse_host_item(h.unwrap() if hasattr(h, "unwrap") else h).key == entry.key for h in hosts):
        return False
    if entry.address is None:
        hosts.append(entry.name)
    else:  # a name for an address: { name = "plot9", address = "10.77.0.9" }
        item = tomlkit.inline_table()
        item.update({"name": entry.name, "address": entry.address})
        hosts.append(item)
    write_text_atomically(tomlkit.dumps(doc), target, check=True)  # a file the console would refuse is never written
    return True
