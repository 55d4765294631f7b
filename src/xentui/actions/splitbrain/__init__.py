"""Split brain: two hosts hold master; heal it from the master the pool follows (pure planning).

Reference §3: after a partition an old master whose toolstack never
restarted keeps `master` while the rest of the pool follows the promoted
host, and the two databases diverge.  The fix is `xe pool-recover-slaves` on
the master the rest of the pool follows (the majority master): it resets
every other host it reaches, the old master included.  Never on the old
master: that would pull the pool back to the old master's database.

* `check_recover_slaves_target(host, diagnosis)` says whether
  recover-slaves may run on `host`; the minority master is refused with the
  reason.  An override exists only when the admin typed the host's name
  (`override_confirmed_name == host`); the runner writes it to the audit
  log with outcome "override" before it runs the step.
* `plan_heal_split_brain(facts, diagnosis)` shows both masters, which one the
  majority follows, their DB generations, and runs recover-slaves only on
  the majority master.  If recover-slaves cannot reach the old master (still
  partitioned from the new master, yet reachable from the jump box) the plan's
  `contingency` offers `xe pool-emergency-reset-master
  master-address=<majority master address>` on the old master itself.

The package, side by side (the console's pane is `xentui.ui.panes.splitbrain`):

* `target` — `check_recover_slaves_target`, `master_address_for`;
* `plan` — `plan_heal_split_brain`, `HealSplitBrainPlan`, `MasterInfo`;
* `guards` — the runner's guard rails for recover-slaves and reset-master,
  registered with `kinds.register_step` when the package is imported, with how each is read back.
"""

from __future__ import annotations

from xentui.actions.splitbrain import guards as _guards  # noqa: F401  (registers recover-slaves and reset-master)
from xentui.actions.splitbrain.plan import HealSplitBrainPlan, MasterInfo, plan_heal_split_brain
from xentui.actions.splitbrain.target import TargetCheck, check_recover_slaves_target, master_address_for

__all__ = [
    "HealSplitBrainPlan",
    "MasterInfo",
    "TargetCheck",
    "check_recover_slaves_target",
    "master_address_for",
    "plan_heal_split_brain",
]
