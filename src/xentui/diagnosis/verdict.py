"""What the diagnosis says: the verdict, each host's flags, the recommendation and what is forbidden (data)."""

from __future__ import annotations

from enum import StrEnum
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from xentui.core.model import HostRef

__all__ = [
    "Action", "Diagnosis", "Forbidden", "HaState", "HostFlag", "HostVerdict", "Recommendation", "Verdict",
    "hosts_following",
]


class Verdict(StrEnum):
    HEALTHY = "healthy"
    MASTER_LOST = "master-lost"
    SPLIT_BRAIN = "split-brain"
    DEGRADED = "degraded"
    UNKNOWN = "unknown"
    # HA (diagnosis/ha.py): the pool's own HA is at work, or stuck
    HA_ELECTING = "ha-electing"  # master lost, HA armed, inside the election window: change nothing
    HA_RECOVERED = "ha-recovered"  # HA elected a master; the lost one is fenced or rebooting: nothing to do
    HA_WEDGED = "ha-wedged"  # no master after the window, or the statefile / liveset is broken


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
    # local ha.armed=false, emergency mode with HA_POOL_IS_ENABLED_BUT_HOST_IS_DISABLED while the pool
    # has HA enabled: xapi's stuck state of xen-api issue 7177 (resynchronise_ha_state)
    HA_DISABLED_IN_HA_POOL = "ha-disabled-in-ha-pool"


class Action(StrEnum):
    NONE = "none"
    PROMOTE = "promote"  # xe pool-emergency-transition-to-master
    RECOVER_SLAVES = "recover-slaves"  # xe pool-recover-slaves
    RESET_MASTER = "reset-master"  # xe pool-emergency-reset-master master-address=…
    RESTART_TOOLSTACK = "restart-toolstack"  # xe-toolstack-restart
    INVESTIGATE = "investigate"  # nothing to run: look (power, network, console)
    HOST_FORGET = "host-forget"  # only ever forbidden
    DESIGNATE_NEW_MASTER = "designate-new-master"  # only ever forbidden here
    WAIT = "wait"  # HA is electing: change nothing until the window ends
    HA_DISABLE = "ha-disable"  # xe host-emergency-ha-disable --force (HA wedged; every survivor)


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


class HaState(BaseModel):
    """What the hosts' own HA files and daemons say (diagnosis/ha.py), as of the newest observation."""

    armed: list[str] = Field(default_factory=list)  # reachable hosts whose local.db says ha.armed=true
    disarmed: list[str] = Field(default_factory=list)  # reachable hosts with HA configured but not armed
    timeout: float | None = None  # T (xhad.conf HeartbeatTimeout), seconds
    lost_since: float | None = None  # first seen master loss (epoch s)
    electing_until: float | None = None  # lost_since + T + margin: a heuristic window, not a constant of xapi
    seconds_left: float | None = None  # electing_until - as_of
    as_of: float | None = None  # the newest observation the verdict rests on
    elected: str | None = None  # the host the survivors' livesets show as live master
    broken: list[str] = Field(default_factory=list)  # statefile / liveset faults, one line each
    liveset: dict[str, dict[str, str]] = Field(default_factory=dict)  # observer -> host -> "live master"/"live"/"dead"


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
    ha: HaState | None = None  # set when any host has HA configured

    def report(self) -> dict[str, Any]:
        """The JSON shape of the CLI: like `model_dump(mode="json")`, hosts as a list."""
        out = self.model_dump(mode="json")
        out["hosts"] = list(out["hosts"].values())
        return out
