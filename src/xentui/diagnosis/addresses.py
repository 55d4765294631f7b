"""Address resolution: which configured host an address (pool.conf, HOST_IS_SLAVE) names."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence

from xentui.core.model import HostFacts

__all__ = ["normalize_address", "resolve_address"]


# --------------------------------------------------------------------------
# addresses


@functools.lru_cache(maxsize=4096)
def normalize_address(addr: str | None) -> str:
    """Canonical, comparable form of an address or name ('' for nothing).

    Memoized (a pure function of its string): a diagnosis of 64 hosts asks it
    ~170 times, and `ipaddress` parsing was a third of a 64-host `check`'s CPU."""
    if not addr:
        return ""
    a = addr.strip().lower()
    if a.startswith("["):
        end = a.find("]")
        a = a[1:end] if end >= 0 else a[1:]
    a = a.strip()
    try:
        return ipaddress.ip_address(a).compressed
    except ValueError:
        return a.rstrip(".")


def _host_keys(h: HostFacts) -> set[str]:
    return {k for k in (normalize_address(a) for a in h.addresses()) if k}


def resolve_address(addr: str | None, facts: Sequence[HostFacts]) -> str | None:
    """The name of the configured host that has `addr`, or None."""
    key = normalize_address(addr)
    if not key:
        return None
    for h in facts:
        if key in _host_keys(h):
            return h.name
    return None
