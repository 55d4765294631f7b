"""A PoolEngine on a running simulator, with short waits (every wait is a setting)."""

from __future__ import annotations

from typing import Any

from xentui.config import load_config
from xentui.engine.pool import PoolEngine
from xentui.sim.server import Simulator

from .settings import ENGINE_FAST

__all__ = ["ENGINE_FAST", "engine_for"]



def engine_for(sim: Simulator, **settings: Any) -> PoolEngine:
    """The engine of the simulator's pools.toml with `settings` (default `ENGINE_FAST`) over the file's."""
    config = load_config(sim.dir / "pools.toml")
    return PoolEngine(config.pools[0], config.settings.model_copy(update=settings or ENGINE_FAST))
