"""Master lost: promote a slave, then recover the other slaves onto it (pure planning).

`plan_promote_and_recover(facts, diagnosis, candidate=None)` builds the two
steps of reference §3 for a pool whose master is gone:

1. `xe pool-emergency-transition-to-master` on the candidate; its toolstack
   restarts after the fuse (~10 s) and pool.conf must then say `master`;
2. `xe pool-recover-slaves` on it; the UUIDs it prints are compared with
   every other host of the pool whose UUID is known, and the pool is
   re-probed until every reachable host follows the new master.

Preconditions (all must hold, or the plan is blocked):

* the current master is unreachable from the jump box AND from the slaves:
  at least one slave's own TCP 443 check of it failed (`reaches_master`
  False) and none reached it or got an `xe pool-list` answer through it
  (a master that is merely slow is not gone: promoting then makes a second
  master);
* HA is not armed (unknown -> a warning: HA_IS_ENABLED would refuse it);
* the candidate is reachable, its toolstack answers, it is not orphaned and
  its pool.conf is not broken.

The candidate is the diagnosis's (freshest database, then lowest latency)
unless the admin picks another: the plan then says what that costs (an older
database generation loses the changes made since; a host that cannot reach
the old master's address either…), in `notes` and as a warning.

The package, side by side (the console's pane is `xentui.ui.panes.recover`):

* `candidates` — `candidate_options`: every host, whether it could be
  promoted and what choosing it costs (the pane's picker);
* `plan` — `plan_promote_and_recover`, `expected_recovered` (the UUIDs
  recover-slaves should print; the split-brain heal uses it too);
* `readback` — how a promotion and a recover-slaves are read back from the
  hosts: the fuse waited out, pool.conf re-read, the printed UUIDs compared
  with the hosts expected (`compare_recovered`, pure);
* `guards` — the promotion as a kind of step (command, guard rails,
  read-back), registered when the package is imported.
"""

from __future__ import annotations

from xentui.actions.recover import guards as _guards  # noqa: F401  (registers the promote step's rules)
from xentui.actions.recover.candidates import CandidateOption, candidate_options
from xentui.actions.recover.plan import PromoteAndRecoverPlan, expected_recovered, plan_promote_and_recover

__all__ = [
    "CandidateOption",
    "PromoteAndRecoverPlan",
    "candidate_options",
    "expected_recovered",
    "plan_promote_and_recover",
]
