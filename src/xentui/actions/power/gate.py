"""Is a lost host known to be off? The one question before its VMs may start elsewhere (pure).

Fenced: its BMC said Off in a reading (`PowerFact.off`), and the jump box does
not reach it over SSH. Attested: an operator typed its name to say it is
physically off (`OffAttestation`): a statement, said as one. Anything else —
no BMC, a BMC that does not answer, a BMC that says On (even after a
ForceOff), a host that answers SSH again — keeps the reset refused: a host
whose cable was pulled keeps running its VMs, and xapi's own guard
(HOST_IS_LIVE) lets the reset through once it thinks the host dead.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from xentui.core.model import HostFacts

__all__ = ["OffGate", "off_gate"]


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S UTC", time.gmtime(at))


@dataclass(frozen=True)
class OffGate:
    """`open`: the host is fenced or attested; `why` says which, or why not (one sentence)."""

    open: bool
    why: str
    fenced: bool = False
    attested: bool = False


def off_gate(facts: Mapping[str, HostFacts], host: str, now: float | None = None) -> OffGate:
    f = facts.get(host)
    now = time.time() if now is None else now
    if f is None:
        return OffGate(False, f"{host} is not a host of this pool's config")
    if f.reachable:
        return OffGate(False, f"{host} answers SSH: it is not lost, and may be running these VMs")
    p = f.power
    if p is not None and p.off:
        return OffGate(True, f"{host} is fenced: its BMC ({p.bmc}) said Off at {_clock(p.at)} ({p.age(now):.0f} s ago)",
                       fenced=True)
    if f.off_attested is not None:
        a = f.off_attested
        by = f" by {a.operator}" if a.operator else ""
        return OffGate(True, f"{host} is attested off{by} at {_clock(a.at)} (typed {a.typed!r}): "
                             "an operator's word, not an observation", attested=True)
    risk = ("a host cut off by its cable keeps running its VMs: a reset and a start would run a second copy "
            "on the same disk")
    if p is None:
        return OffGate(False, f"{host} is neither fenced nor attested off (no BMC configured: attest it by typing its name "
                              f"once it is physically off); {risk}")
    if p.error:
        return OffGate(False, f"{host} is neither fenced nor attested off: its BMC could not be read ({p.error}); {risk}")
    return OffGate(False, f"{host} is not fenced: its BMC ({p.bmc}) says {p.raw or p.state} at {_clock(p.at)}; {risk}")
