"""The runner's guard rails for sr-create, registered with `guards.register_step` on import."""

from __future__ import annotations

from xentui.xe import commands as xc

from ..guards import register_step
from ..plan import StepAction


register_step(
    StepAction.SR_CREATE,
    lambda s: xc.sr_create_local(s.device or "", s.target_uuid or "", s.name_label or ""),
)
