"""`xentui` with no command: the console on the pools of the config."""

from __future__ import annotations

import argparse


def main(args: argparse.Namespace) -> int:
    from xentui.cli.common import with_overrides
    from xentui.core.config import ConfigError, find_config, load_config
    from xentui.ui.app import run_console

    path = find_config(args.config)
    config = load_config(path)
    if not config.pools:
        raise ConfigError(f"{path}: no [[pool]] defined (try `xentui discover HOST`, or `xentui demo`)")
    if args.pool:
        config.pool(args.pool)  # an unknown name is a clear error before the screen opens
    # Several pools: the console watches them all and shows the one in trouble first.
    return run_console(
        with_overrides(config, args), pool_name=args.pool, dry_run=getattr(args, "dry_run", False), config_path=path,
        read_only=getattr(args, "read_only", False),
    )
