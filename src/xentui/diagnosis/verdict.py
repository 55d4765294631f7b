"""What the diagnosis says: the verdict, each host's flags, the recommendation and what is forbidden (data)."""

from __future__ import annotations

from enum import StrEnum
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from xentui.core.model import HostRef

__all__ = [
    "Action", "Diagnosis", "Forbidden", "HostFlag", "HostVerdict", "Recommendation", "Verdict", "hosts_following",
]


class Verdict(StrEnum):
    HEALTHY = "healthy"
    MASTER_LOST = "master-lost"
    SPLIT_BRAIN = "split-brain"
    DEGRADED = "degraded"
    UNKNOWN = "unknown"


class HostFlag(StrEnum):
    UNREACHABLE = "unreachable"
    ORPHANED = "orphaned"
    EMERGENCY = "emergency"
    MASTER_UNREACHABLE = "master-unreachable"
    TOOLSTACK_HUNG = "toolstack-hung"
    FOLLOWS_MINORITY = "follows-minority"
    DISAGREES = "disagrees"
    STALE_MASTER_ADDRESS = "stale-master-address"
    BROKEN = "broken"


class Action(StrEnum):
    NONE = "none"
    PROMOTE = "promote"  # xe pool-emergency-transition-to-master
    RECOVER_SLAVES = "recover-slaves"  # xe pool-recover-slaves
    RESET_MASTER = "reset-master"  # xe pool-emergency-reset-master master-address=…
    RESTART_TOOLSTACK = "restart-toolstack"  # xe-toolstack-restart
    INVESTIGATE = "investigate"  # nothing to run: look (power, network, console)
    HOST_FORGET = "host-forget"  # only ever forbidden
    DESIGNATE_NEW_MASTER = "designate-new-master"  # only ever forbidden here


def hosts_following(master: str, followers: Iterable[str]) -> int:
    """How many hosts follow `master`, counted the one way every screen counts them (the header's
    `7 of 8 hosts follow plot8`): the hosts that follow it, and the master itself, which follows itself."""
    return len({name for name in followers if name != master}) + 1


class HostVerdict(BaseModel):
    name: str
    role: str | None = None  # "master" / "slave" / "broken" as diagnosed; None = not known
    flags: list[HostFlag] = Field(default_factory=list)
    follows: str | None = None  # host name (or raw address) of the master it follows
    note: str = ""


class Recommendation(BaseModel):
    action: Action
    host: str | None = None
    command: str | None = None
    reason: str


class Forbidden(BaseModel):
    action: Action
    host: str | None = None
    command: str | None = None
    reason: str


class Diagnosis(BaseModel):
    pool: str = ""
    verdict: Verdict
    summary: str
    master: HostRef | None = None
    majority_master: HostRef | None = None
    masters: list[str] = Field(default_factory=list)
    candidate: str | None = None
    hosts: dict[str, HostVerdict] = Field(default_factory=dict)
    recommendation: Recommendation | None = None
    forbidden: list[Forbidden] = Field(default_factory=list)

    def report(self) -> dict[str, Any]:
        """The JSON shape of the CLI: like `model_dump(mode="json")`, hosts as a list."""
        out = self.model_dump(mode="json")
        out["hosts"] = list(out["hosts"].values())
        return out
