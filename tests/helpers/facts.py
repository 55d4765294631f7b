"""Hand-made HostFacts of an 8-host pool (plot1..plot8): the builders every pure test uses.

plotN: configured as `plotN.lab`, `hostname -I` 10.0.0.1N, UUID `uuid(N)`,
database generation 4800, HA off (unless a builder says otherwise).
"""

from __future__ import annotations

from pathlib import Path

from xentui.core.model import HostFacts, QueryState, Role, SshState, XapiView

__all__ = [
    "GOLDEN", "N", "PROMOTE", "RECOVER", "XE", "addr", "base", "down", "healthy", "master",
    "master_gone", "pool", "slave", "split", "stranded", "uuid",
]

XE = "/opt/xensource/bin/xe"
PROMOTE = f"{XE} pool-emergency-transition-to-master"
RECOVER = f"{XE} pool-recover-slaves"
N = 8
GOLDEN = Path(__file__).parent.parent / "golden"


def uuid(i: int) -> str:
    return f"5c0ffee0-0c51-4a0c-a3d2-3a3f3e6a{i:04d}"


def addr(i: int) -> str:
    return f"10.0.0.{10 + i}"


def base(i: int, **kw: object) -> HostFacts:
    fields: dict[str, object] = dict(
        name=f"plot{i}",
        address=f"plot{i}.lab",
        ssh=SshState.UP,
        latency_ms=5.0 + i,
        uuid=uuid(i),
        hostname=f"plot{i}",
        own_addresses=[addr(i)],
        db_generation=4800,
        ha_enabled=False,
    )
    fields.update(kw)
    return HostFacts(**fields)  # type: ignore[arg-type]


def master(i: int, **kw: object) -> HostFacts:
    d: dict[str, object] = dict(role=Role.MASTER, xapi=XapiView.MASTER, pool_list=QueryState.ANSWERED)
    d.update(kw)
    return base(i, **d)


def slave(i: int, of: int | str = 1, **kw: object) -> HostFacts:
    """plotN following `of` (a plot number, or an address)."""
    a = addr(of) if isinstance(of, int) else of
    d: dict[str, object] = dict(
        role=Role.SLAVE,
        master_address=a,
        xapi=XapiView.SLAVE,
        xapi_master_address=a,
        pool_list=QueryState.ANSWERED,
        reaches_master=True,
        emergency_mode=False,
    )
    d.update(kw)
    return base(i, **d)


def stranded(i: int, of: int | str = 1, **kw: object) -> HostFacts:
    """A slave of a dead master: HOST_IS_SLAVE at once, pool-list hangs, emergency mode says false,
    the pool record (HA) unreadable."""
    d: dict[str, object] = dict(
        reaches_master=False, pool_list=QueryState.NO_ANSWER, emergency_mode=False, ha_enabled=None
    )
    d.update(kw)
    return slave(i, of, **d)


def down(i: int, ssh: SshState = SshState.REFUSED, keep_identity: bool = True, **kw: object) -> HostFacts:
    """A host the jump box cannot reach: only what the config (and, with `keep_identity`, an earlier probe) knew."""
    d: dict[str, object] = dict(
        name=f"plot{i}",
        address=f"plot{i}.lab",
        ssh=ssh,
        ssh_error=f"plot{i}: {ssh}",
    )
    if keep_identity:
        d.update(uuid=uuid(i), own_addresses=[addr(i)], hostname=f"plot{i}")
    d.update(kw)
    return HostFacts(**d)  # type: ignore[arg-type]


def pool(**special: HostFacts) -> list[HostFacts]:
    """plot1 master, plot2..plot8 healthy slaves, with some hosts replaced: pool(plot7=down(7))."""
    hosts = healthy()
    return [special.get(h.name, h) for h in hosts]


def healthy() -> list[HostFacts]:
    return [master(1)] + [slave(i) for i in range(2, N + 1)]


def master_gone(ssh: SshState = SshState.REFUSED, **over: HostFacts | int) -> list[HostFacts]:
    """plot1 down (`ssh`), plot2..plot8 stranded; `plotN=<HostFacts>` replaces a host, `plotN=<int>` sets its generation."""
    hosts = [down(1, ssh)] + [stranded(i) for i in range(2, N + 1)]
    out = []
    for h in hosts:
        o = over.get(h.name)
        if isinstance(o, HostFacts):
            h = o
        elif isinstance(o, int):
            h.db_generation = o
        out.append(h)
    return out


def split(minority: int = 2, majority: int = 3, gen_min: int = 4700, gen_maj: int = 4900) -> list[HostFacts]:
    """`minority` holds master alone; `majority` holds master and is followed by the other hosts."""
    out = []
    for i in range(1, N + 1):
        if i == minority:
            out.append(master(i, db_generation=gen_min))
        elif i == majority:
            out.append(master(i, db_generation=gen_maj))
        else:
            out.append(slave(i, of=majority))
    return out
