"""The simulator's ground truth, with timestamps: what really is, whatever any client believes.

`TruthLog` keeps one `PoolTruth` per change of the pool (power, cable, a hung
toolstack, added latency, a toolstack (re)start that took a role, a pool.conf
written): each host's real role (the one its running xapi took), its pool.conf,
its cable, power, hung toolstack and latency, and who really reaches whom
(`SimPool.can_reach`).  A checker asks `at(t)` for the truth at an instant and
`changes_between(a, b)` for what changed in a window.

It is the oracle of `xentui.devtools.truth_check`: it only reads the
simulator's state, it never shapes it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import SimPool


@dataclass(frozen=True)
class HostTruth:
    name: str
    address: str
    powered: bool
    cable: bool
    xapi_hung: bool
    latency: float  # seconds added to every chunk either way
    xapi_state: str  # running | restarting | stopped
    running_role: str  # the role the running xapi took
    running_master_address: str | None
    emergency: str | None
    pool_conf: str

    @property
    def is_master(self) -> bool:
        """Its running xapi acts as master (not in emergency, running)."""
        return self.xapi_state == "running" and self.running_role == "master" and not self.emergency

    @property
    def claims_master(self) -> bool:
        """It holds master by its running xapi or by its pool.conf (what a read of it would say)."""
        return self.is_master or (self.powered and self.pool_conf == "master")


@dataclass(frozen=True)
class PoolTruth:
    at: float  # time.monotonic()
    wall: float  # time.time()
    why: str
    hosts: dict[str, HostTruth]
    reach: frozenset[tuple[str, str]]  # (a, b): a really reaches b

    def reaches(self, a: str, b: str) -> bool:
        return (a, b) in self.reach

    def masters(self) -> list[str]:
        return sorted(n for n, h in self.hosts.items() if h.is_master)

    def by_address(self, address: str | None) -> str | None:
        for n, h in self.hosts.items():
            if h.address == address:
                return n
        return None

    def followers(self, master: str) -> list[str]:
        addr = self.hosts[master].address
        return sorted(
            n for n, h in self.hosts.items()
            if n != master and h.powered and h.pool_conf == f"slave:{addr}"
        )

    def key(self) -> tuple[Any, ...]:
        return (tuple(sorted(self.hosts.items())), self.reach)


@dataclass
class TruthLog:
    """Every state the pool has really been in, in order (one entry per change)."""

    states: list[PoolTruth] = field(default_factory=list)

    def record(self, pool: "SimPool", why: str) -> None:
        hosts = {
            name: HostTruth(
                name=name,
                address=h.address,
                powered=h.powered,
                cable=h.cable,
                xapi_hung=h.xapi_hung,
                latency=h.latency,
                xapi_state=h.xapi_state,
                running_role=h.running_role,
                running_master_address=h.running_master_address,
                emergency=h.emergency_error,
                pool_conf=h.pool_conf,
            )
            for name, h in pool.hosts.items()
        }
        reach = frozenset(
            (a.name, b.name) for a in pool.hosts.values() for b in pool.hosts.values()
            if a is not b and pool.can_reach(a, b)
        )
        now = PoolTruth(at=time.monotonic(), wall=time.time(), why=why, hosts=hosts, reach=reach)
        if self.states and self.states[-1].key() == now.key():
            return
        self.states.append(now)

    def at(self, t: float) -> PoolTruth:
        """The truth at monotonic time `t` (the first state when `t` is earlier)."""
        current = self.states[0]
        for s in self.states:
            if s.at > t:
                break
            current = s
        return current

    def window(self, start: float, end: float) -> list[PoolTruth]:
        """Every state that held at some instant of [start, end]."""
        out = [self.at(start)]
        out += [s for s in self.states if start < s.at <= end]
        return out

    def last_change_before(self, t: float) -> float:
        """When the state holding at `t` began."""
        return self.at(t).at
