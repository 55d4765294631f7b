"""Hand-made HostFacts of an 8-host pool (plot1..plot8): the builders every pure test uses."""

from __future__ import annotations

from pathlib import Path

from xentui.model import HostFacts, QueryState, Role, SshState, XapiView

__all__ = [
    "GOLDEN", "N", "PROMOTE", "RECOVER", "XE", "addr", "base", "down", "healthy", "master",
    "master_gone", "slave", "split", "stranded", "uuid",
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


def slave(i: int, of: int = 1, **kw: object) -> HostFacts:
    d: dict[str, object] = dict(
        role=Role.SLAVE,
        master_address=addr(of),
        xapi=XapiView.SLAVE,
        xapi_master_address=addr(of),
        pool_list=QueryState.ANSWERED,
        reaches_master=True,
        emergency_mode=False,
    )
    d.update(kw)
    return base(i, **d)


def stranded(i: int, of: int = 1, **kw: object) -> HostFacts:
    d: dict[str, object] = dict(
        reaches_master=False, pool_list=QueryState.NO_ANSWER, emergency_mode=False, ha_enabled=None
    )
    d.update(kw)
    return slave(i, of, **d)


def down(i: int, ssh: SshState = SshState.REFUSED, **kw: object) -> HostFacts:
    d: dict[str, object] = dict(
        name=f"plot{i}",
        address=f"plot{i}.lab",
        ssh=ssh,
        ssh_error=f"plot{i}: connection refused",
        uuid=uuid(i),
        own_addresses=[addr(i)],
        hostname=f"plot{i}",
    )
    d.update(kw)
    return HostFacts(**d)  # type: ignore[arg-type]


def healthy() -> list[HostFacts]:
    return [master(1)] + [slave(i) for i in range(2, N + 1)]


def master_gone(**over: HostFacts) -> list[HostFacts]:
    hosts = [down(1)] + [stranded(i) for i in range(2, N + 1)]
    return [over.get(h.name, h) for h in hosts]


def split(minority: int = 2, majority: int = 3) -> list[HostFacts]:
    out = []
    for i in range(1, N + 1):
        if i == minority:
            out.append(master(i, db_generation=4700))
        elif i == majority:
            out.append(master(i, db_generation=4900))
        else:
            out.append(slave(i, of=majority))
    return out
