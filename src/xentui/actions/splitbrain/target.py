"""May recover-slaves run on this host? Only on the master the pool follows (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from xentui.diagnosis import Diagnosis, Verdict, hosts_following
from xentui.xe import commands as xc

if TYPE_CHECKING:
    from xentui.core.model import HostFacts

__all__ = ["TargetCheck", "check_recover_slaves_target", "followers_of", "master_address_for"]


class TargetCheck(BaseModel):
    host: str
    ok: bool
    reason: str
    override: bool = False  # allowed only because the admin typed the host name (audited)



def followers_of(diagnosis: Diagnosis, master: str) -> list[str]:
    return sorted(n for n, hv in diagnosis.hosts.items() if hv.follows == master and n != master)


def check_recover_slaves_target(
    host: str,
    diagnosis: Diagnosis,
    *,
    override_confirmed_name: str | None = None,
) -> TargetCheck:
    """May `xe pool-recover-slaves` run on `host` now?

    Only on the master the pool follows (the majority master in a split
    brain, the master otherwise).  Another master is refused with the reason;
    the refusal is overridden only when `override_confirmed_name == host`
    (the admin typed it).  Pure: the runner writes the override to the audit
    log (outcome "override") when it runs the step.  A host that does not
    hold master is always refused.
    """
    maj = diagnosis.majority_master.name if diagnosis.majority_master else None
    if host not in diagnosis.masters:
        return TargetCheck(
            host=host,
            ok=False,
            reason=f"{host} does not hold master: pool-recover-slaves runs on the master the pool follows"
            + (f" ({maj})." if maj else "."),
        )
    if host == maj or (diagnosis.verdict is not Verdict.SPLIT_BRAIN and len(diagnosis.masters) == 1):
        if diagnosis.verdict is Verdict.SPLIT_BRAIN:
            # counted as the header counts: the master follows itself (`7 of 8 hosts follow plot2`)
            why = (f"{host} is the master the pool follows: {hosts_following(host, followers_of(diagnosis, host))} of "
                   f"{len(diagnosis.hosts)} hosts follow it.")
        else:
            why = f"{host} is the pool's master."
        return TargetCheck(host=host, ok=True, reason=why)
    followers = followers_of(diagnosis, maj) if maj else []
    reason = (
        f"{host} is not the master the pool follows"
        + (f" ({maj} is: {hosts_following(maj, followers)} of {len(diagnosis.hosts)} hosts follow it)" if maj else "")
        + f": recover-slaves on {host} would pull the pool back to the old master's database ({host}'s copy) and "
        + (f"throw away everything done on {maj} since the split." if maj else "throw away what the others did since.")
    )
    if override_confirmed_name is not None and override_confirmed_name.strip() == host:
        return TargetCheck(host=host, ok=True, reason=f"OVERRIDDEN by the admin (typed {host!r}): {reason}", override=True)
    return TargetCheck(host=host, ok=False, reason=reason)


def master_address_for(name: str, diagnosis: Diagnosis, facts: dict[str, HostFacts]) -> str | None:
    """The address to point hosts at for master `name`: the one its slaves use, else its own."""
    cands: list[str] = []
    if diagnosis.majority_master is not None and diagnosis.majority_master.name == name and diagnosis.majority_master.address:
        cands.append(diagnosis.majority_master.address)
    if diagnosis.master is not None and diagnosis.master.name == name and diagnosis.master.address:
        cands.append(diagnosis.master.address)
    f = facts.get(name)
    if f is not None:
        cands.extend(f.own_addresses)
        cands.append(f.address)
    for a in cands:
        try:
            return xc.validate_address(a)
        except ValueError:
            continue
    return None
