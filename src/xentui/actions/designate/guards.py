"""The runner's guard rails for a handover, registered with `guards.register_step` on import."""

from __future__ import annotations

from collections.abc import Mapping

from xentui.diagnosis import Diagnosis, Verdict
from xentui.facts_rules import host_is_live
from xentui.model import HostFacts
from xentui.xe import commands as xc

from ..guards import register_step
from ..plan import Step, StepAction


def _designate_late(step: Step, facts: Mapping[str, HostFacts], diagnosis: Diagnosis | None) -> str | None:
    if diagnosis is not None and diagnosis.verdict is Verdict.SPLIT_BRAIN:
        return "two hosts hold master: heal the split brain first"
    down = [why for f in facts.values() for live, why in [host_is_live(f)] if not live]
    if down:
        return "; ".join(down) + ": the handover needs every host and would abort with HOST_OFFLINE"
    return None


register_step(
    StepAction.DESIGNATE_NEW_MASTER, lambda s: xc.pool_designate_new_master(s.target_uuid or ""), late=_designate_late
)
