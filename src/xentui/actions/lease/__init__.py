"""The pool's lease: who may change the pool now, held on the hosts themselves (under /run).

* `record` — the lease as data (`LeaseRecord`, `HostLease`) and the shell commands
  that take, renew, release and take it over atomically (pure);
* `pool`   — `PoolLease` (acquire / keep / release over the engine's sessions),
  `read_pool_lease` (what every face shows), `LeaseRefused`.

The runner (`actions.runner.PlanRunner`) takes it before a plan's first change.
"""

from __future__ import annotations

from xentui.actions.lease.pool import LeaseRefused, LeaseView, PoolLease, TakeOverFn, describe, lease_of_others, read_pool_lease
from xentui.actions.lease.record import HostLease, LeaseRecord, LeaseState, parse_listing

__all__ = [
    "HostLease",
    "LeaseRecord",
    "LeaseRefused",
    "LeaseState",
    "LeaseView",
    "PoolLease",
    "TakeOverFn",
    "describe",
    "lease_of_others",
    "parse_listing",
    "read_pool_lease",
]
