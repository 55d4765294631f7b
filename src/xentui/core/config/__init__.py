"""The pool configuration file: which pools exist, how to reach their hosts,
and every wait/timeout xentui uses.

The file is TOML, read with :mod:`tomllib` and validated with pydantic
(unknown keys are errors everywhere)::

    [settings]                      # optional, every key optional
    connect_timeout = 5.0           # seconds
    command_timeout = 10.0
    reach_timeout = 2.0             # the host's own TCP check of its master's :443
    poll_interval = 5.0
    keepalive_interval = 15.0
    reconnect_backoff_min = 1.0
    reconnect_backoff_max = 30.0
    toolstack_fuse = 10.0           # how long xapi waits before restarting after a transition
    password_command_timeout = 30.0 # bound of a pool's password_command
    max_concurrency = 64            # cap of concurrent connection attempts
    audit_file = "~/audit.jsonl"    # default: platformdirs user data dir / audit.jsonl

    [[pool]]
    name = "prod"
    hosts = ["plot1", "plot2", "10.0.0.3", "[fd00::1]:2222"]
    user = "root"                   # optional
    port = 22                       # optional
    identity = "~/.ssh/id_ed25519"  # optional
    known_hosts = "~/.ssh/known_hosts"   # optional
    ssh_config = "~/.ssh/config"    # optional
    password_env = "XENTUI_PROD_PASSWORD"  # optional; passwords never live in the file
    password_command = "pass show xen/prod"  # optional: first line of its stdout (else: asked once)

Every problem is reported as a :class:`ConfigError` whose ``str`` is one line
naming the file, the line and the field, e.g.
``pools.toml:7: pool[0].hosts[2]: duplicate host 'plot1'``.
"""

from __future__ import annotations

from xentui.core.config.files import (
    default_config_path,
    dump_config,
    find_config,
    load_config,
    write_config,
    write_text_atomically,
)
from xentui.core.config.messages import ConfigError, UnknownPoolError
from xentui.core.config.schema import APP_NAME, CONFIG_ENV, BmcEntry, Config, HostEntry, PoolConfig, Settings, default_audit_path, host_entry

__all__ = [
    "APP_NAME",
    "BmcEntry",
    "CONFIG_ENV",
    "Config",
    "ConfigError",
    "HostEntry",
    "host_entry",
    "PoolConfig",
    "Settings",
    "UnknownPoolError",
    "default_audit_path",
    "default_config_path",
    "dump_config",
    "find_config",
    "load_config",
    "write_config",
    "write_text_atomically",
]
