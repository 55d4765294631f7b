"""Who could be promoted, and what each choice costs (pure: facts + diagnosis in, options out)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from xentui.diagnosis import Diagnosis, HostFlag
from xentui.core.facts_rules import ssh_cause, toolstack_answers_locally
from xentui.core.model import HostFacts, Role

from xentui.actions.plan import FactsLike, facts_by_name

__all__ = ["CandidateOption", "candidate_options"]


class CandidateOption(BaseModel):
    """One host the admin could promote, with what it costs (for the picker)."""

    name: str
    qualifies: bool
    db_generation: int | None = None
    latency_ms: float | None = None
    recommended: bool = False
    reasons: list[str] = Field(default_factory=list)  # why not / what it costs



def _candidate_problems(f: HostFacts, diagnosis: Diagnosis) -> list[str]:
    why: list[str] = []
    hv = diagnosis.hosts.get(f.name)
    if not f.reachable:
        why.append(f"unreachable from the jump box ({ssh_cause(f)})")
    elif not toolstack_answers_locally(f):
        why.append("its toolstack gives no answer" if f.xapi.value == "no-answer" else "its toolstack has not answered")
    if hv is not None and HostFlag.ORPHANED in hv.flags:
        why.append("forgotten by the pool (HOST_UNKNOWN_TO_MASTER)")
    if f.role is Role.BROKEN:
        why.append("pool.conf is broken")
    if f.name in diagnosis.masters:
        why.append("it already holds master")
    return why


def candidate_options(facts: FactsLike, diagnosis: Diagnosis) -> list[CandidateOption]:
    """Every host with whether it could be promoted and what it would cost, best first."""
    fs = facts_by_name(facts)
    gens = [f.db_generation for f in fs.values() if f.db_generation is not None and f.name not in diagnosis.masters]
    best_gen = max(gens) if gens else None
    lats = [f.latency_ms for f in fs.values() if f.latency_ms is not None and f.reachable]
    best_lat = min(lats) if lats else None
    out: list[CandidateOption] = []
    for f in fs.values():
        problems = _candidate_problems(f, diagnosis)
        reasons = list(problems)
        if not problems:
            if best_gen is not None and f.db_generation is not None and f.db_generation < best_gen:
                reasons.append(
                    f"older database (generation {f.db_generation} < {best_gen}): the pool would lose the changes "
                    "made since that copy"
                )
            elif f.db_generation is None:
                reasons.append("database generation unknown: cannot tell whether its copy is the freshest")
            if best_lat is not None and f.latency_ms is not None and f.latency_ms > max(3 * best_lat, best_lat + 50):
                reasons.append(
                    f"slow from the jump box ({f.latency_ms:.0f} ms vs {best_lat:.0f} ms): check its network path"
                )
        out.append(
            CandidateOption(
                name=f.name,
                qualifies=not problems,
                db_generation=f.db_generation,
                latency_ms=f.latency_ms,
                recommended=f.name == diagnosis.candidate,
                reasons=reasons,
            )
        )

    def rank(c: CandidateOption) -> tuple[int, int, int, float, str]:
        g = c.db_generation if c.db_generation is not None else -1
        lat = c.latency_ms if c.latency_ms is not None else float("inf")
        return (not c.qualifies, not c.recommended, -g, lat, c.name)

    return sorted(out, key=rank)
