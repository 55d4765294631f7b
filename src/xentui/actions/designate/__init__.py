"""Planned maintenance: move the master role to another host (pure planning).

`plan_designate_master(facts, diagnosis, target_host)` runs
`xe pool-designate-new-master host-uuid=<uuid>` on the current master, the
orderly handover of reference §3.  The target proposes itself to every host
and any host that cannot be contacted aborts the handover with HOST_OFFLINE,
so every host is checked to be live (reachable from the jump box, toolstack
answering) first and the ones that are not are named before anything runs.

The UUID is the target's own `INSTALLATION_UUID` (read from its
`/etc/xensource-inventory`), never a name looked up in the pool database:
host names can be duplicated or stale, the inventory cannot be wrong about
its own host.

`explain_designate_error(stderr, facts)` turns xe's error into plain words
with the host named (HOST_OFFLINE prints `host: <uuid> (plotN)`).

The package, side by side (the console's pane is `xentui.ui.panes.designate`):

* `plan` — `plan_designate_master`, `DesignatePlan`;
* `errors` — `explain_designate_error` (registered with the kind: the runner
  explains a refused handover with it);
* `guards` — the runner's guard rails for a handover, registered with
  `kinds.register_step` when the package is imported, with how each is read back.
"""

from __future__ import annotations

from xentui.actions.designate import guards as _guards  # noqa: F401  (registers the handover step's rules)
from xentui.actions.designate.errors import explain_designate_error
from xentui.actions.designate.plan import DesignatePlan, plan_designate_master

__all__ = ["DesignatePlan", "explain_designate_error", "plan_designate_master"]
