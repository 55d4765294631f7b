"""The diagnosis: from every host's facts to one verdict and the safe next step.

`diagnose_pool(facts, pool)` is a pure function: no I/O, no clock, no
randomness.  Same facts in, same `Diagnosis` out.  It is the product's brain,
so its rules are written down here and the tests follow them.
(`/work/shared/xapi-reference.md` §2 and §3 are the facts these rules rest on.)

Words
-----
* *reachable*: the jump box holds a working SSH session (`SshState.UP`).
  *unreachable*: SSH was tried and failed (refused, no answer, auth, host key,
  DNS, error).  A host never probed (`SshState.UNKNOWN`) is neither: it is
  "not probed yet".
* *the host's master address*: for a host that does not hold master, the
  `slave:<addr>` of its pool.conf, else the address its toolstack reported with
  HOST_IS_SLAVE (`xapi_master_address`).
* *follows*: the host name that address resolves to (`resolve_address`), or
  the raw address when no configured host has it.  A host holding master
  follows itself.

Address resolution (`resolve_address`)
--------------------------------------
An address is matched, case-insensitively, against `HostFacts.addresses()`
of every configured host (jump-box address, configured name, `hostname -I`,
hostname).  IPv6 brackets are stripped (`[fd00::1]` -> `fd00::1`) and IP
addresses are compared in canonical form (`fd00:0::1` == `fd00::1`); a
trailing dot on a DNS name is ignored.  pool.conf is already split on its
FIRST colon by the parser, so `slave:fd00::1` arrives here as `fd00::1`.  No
match -> None (the host gets `stale-master-address`).  Short names are never
guessed into FQDNs.

Who holds master
----------------
A host holds master when its pool.conf says `master` or its toolstack acts as
master (XenAPI login gave a session).  A host whose own role is not known (it is
unreachable, or pool.conf was not read) still holds master when some host
follows it: it is counted by what its slaves believe.  A host known to be a
slave, or whose pool.conf is broken, never holds master; hosts that follow it
`disagree`.  Only when no configured host holds master do unresolved addresses
stand in as masters (the master is then simply not in the configuration).

Votes and the majority master
-----------------------------
Every reachable host votes for the master it follows (a master for itself);
every master also counts itself even when unreachable.  The majority master
is the master with the most votes; ties go to the higher `db_generation`,
then a configured master, then the name.  Masters that are *down* (see
below) are only considered when no master is up: a master nobody can reach
cannot lead a recovery, so after a promotion the promoted host is the majority
master even while the stranded slaves still point at the dead one.

How a master stands (evidence, strongest first)
-----------------------------------------------
Its *followers* are the reachable hosts that follow it.  A follower is
*served* when its time-bounded `xe pool-list` answered (it is forwarded to
the master, so an answer proves the master works).  A slave's
`xe pool-list` that times out or fails with CANNOT_CONTACT_HOST counts as "no
answer from the master".  A slave's `emergency_mode == False` is NEVER read as "fine": a slave of a dead master
says false for hours (its xapi retries forever, reference §2); likewise an
instant HOST_IS_SLAVE login answer proves the slave's toolstack, not the
master's.

* up: the jump box reaches it and its toolstack answers (`xe pool-list`
  answered, or a XenAPI login gave a master session), or any follower is
  served.  Up but unreachable from the jump box -> the jump box's path is the
  problem: `degraded`, and promote is forbidden.
* cut off: the jump box reaches it, its toolstack answers, but its followers
  cannot reach it (TCP 443 check failed) and none is served: a network
  partition between master and slaves -> `degraded`; promote is forbidden
  (it would create a second master).
* hung: the jump box reaches it, its toolstack does not answer (XenAPI login
  or `xe pool-list` timed out), or its toolstack's state is unknown while its
  followers cannot reach it / get no answer -> `master-lost`; the first step
  is restarting its toolstack (`xe-toolstack-restart`), not a promotion.
* down: not reachable from the jump box, and a follower cannot reach it
  (`reaches_master` False) or gets no answer from `xe pool-list` ->
  `master-lost`, promote the candidate.
* down, unconfirmed: SSH was refused / not answered, and no follower has said
  anything either way -> `master-lost`, but the recommendation is to
  confirm from the slaves before promoting.
* unknown: nothing says either way -> verdict `unknown`.

Verdicts, decided in this order
-------------------------------
1. `unknown`: no hosts, nobody reachable, or no master known anywhere.
2. `split-brain`: two or more hosts hold master (even if one is partitioned),
   which includes slaves following different masters.  Recommendation:
   `recover-slaves` on the majority master, when the jump box reaches it and it
   is up (if it is hung: restart its toolstack first; otherwise investigate).
   Forbidden: `recover-slaves` on every other master — it would pull the pool
   back to that master's database.  Hosts following (or being) another master
   get `follows-minority`.
3. One master: by how it stands (above): `master-lost` (down / hung /
   unconfirmed), `unknown`, or else `healthy` when every host is reachable,
   follows it, and no host has a flag, and `degraded` otherwise.  A host whose
   first answers are still to come (its SSH connect, pool.conf read or XenAPI
   login: `facts_rules.still_to_answer`) is not a host that needs attention:
   with nothing else wrong the verdict is `unknown` ("no answer yet from …"),
   never `degraded` nor `healthy`.  `xentui check` turns a connect its deadline
   cut into what it observed: no answer (engine/deadline.py).

HA (`ha.apply_ha`, on top of the above)
----------------------------------------
When a reachable host's own local.db says ``ha.armed=true``, the pool's HA is at work: a
master-lost becomes `ha-electing` (inside the election window: first seen loss + T + a margin,
a heuristic said as such; advice: wait) or `ha-wedged` (after the window, or a survivor's
statefile / liveset broken; advice: `host-emergency-ha-disable --force` on each survivor, then the
normal promote + recover); a degraded pool whose master holds HA's lock while the lost host is out
of the liveset is `ha-recovered` (nothing to do).  While any live host is armed, promote,
recover-slaves, reset-master and designate are forbidden.  A disarmed host stuck in emergency mode
with HA_POOL_IS_ENABLED_BUT_HOST_IS_DISABLED gets `ha-disabled-in-ha-pool` (xen-api issue 7177).
The module docstring of `ha` has the rules in full.

Per-host flags
--------------
`unreachable` (no SSH from the jump box; the note says the cause),
`orphaned` (HOST_UNKNOWN_TO_MASTER anywhere in the host's toolstack errors:
forgotten by the pool, only a reinstall or a fresh join fixes it),
`emergency` (xapi in an emergency view, or `emergency_mode` True),
`master-unreachable` (the host's own TCP 443 check of its master failed),
`toolstack-hung` (SSH fine but the toolstack gave no answer where it should:
a master's XenAPI login or `xe pool-list`; any slave's XenAPI login, which
answers HOST_IS_SLAVE at once whatever the master; a slave's `xe pool-list`
while its master is up), `follows-minority` (split brain: follows or is a
master other than the majority master), `disagrees` (follows something other
than the pool's master outside split brain: another slave, an unknown
address), `stale-master-address` (its master address is no configured host's),
`broken` (pool.conf says `broken`).

The candidate (master-lost only)
--------------------------------
Among hosts that do not hold master: reachable by SSH, not orphaned, pool.conf
not broken, toolstack answering locally — XenAPI login answered SLAVE or an
emergency error, or else (hardened hosts without the XenAPI channel) the
local `xe host-is-in-emergency-mode` answered.  A hung toolstack never
qualifies.  Best first: highest `db_generation` (the freshest copy of the pool
database), then SSH latency in coarse bands (<0.5 s, <2 s, slower) so
jitter never flips the proposal between probes, then name.  (`HostFacts` carries no
host-to-host reachability beyond the master check, so "reachable by most
others" cannot be weighed.)

Recommendations (one) and forbidden steps (all that apply)
----------------------------------------------------------
* healthy -> `none`.
* master-lost, down -> `promote` the candidate
  (`xe pool-emergency-transition-to-master`), then `pool-recover-slaves` on
  it; no candidate -> `investigate`.  HA enabled -> `investigate` (HA elects a
  master itself; promote would be refused with HA_IS_ENABLED).
* degraded -> the most useful single fix: investigate the network (master cut
  off, or unreachable from the jump box), `reset-master` a slave that follows
  the wrong address or has a broken pool.conf
  (`xe pool-emergency-reset-master master-address=<addr>`), `restart-toolstack`
  on a hung or emergency slave, investigate an orphaned or unreachable host.
* forbidden, whenever it applies: `host-forget` of every unreachable host
  (it orphans the host until a reinstall); `designate-new-master` while any
  host is unreachable (HOST_OFFLINE aborts it), while the master is not up,
  or in split brain; `promote` while the master still answers (its slaves or
  the jump box) and whenever HA is enabled; `recover-slaves` on every
  non-majority master.
* A recommended (action, host) is never also forbidden, and `recover-slaves`
  is only ever recommended on the majority master.

Where it lives
--------------
* `verdict` — what the diagnosis says (`Diagnosis`, `Verdict`, `HostFlag`,
  `Action`, `Recommendation`, `Forbidden`, `HostVerdict`): data;
* `addresses` — `normalize_address`, `resolve_address`;
* `commands` — the commands a recommendation or a "do not" names;
* `ha` — HA's verdicts over the base diagnosis (`apply_ha`);
* `diagnoser` — `diagnose_pool`: the rules above, applied.
"""

from __future__ import annotations

from xentui.diagnosis.addresses import normalize_address, resolve_address
from xentui.diagnosis.diagnoser import diagnose_pool
from xentui.diagnosis.verdict import Action, Diagnosis, Forbidden, HostFlag, HostVerdict, Recommendation, Verdict, hosts_following

__all__ = [
    "Action",
    "Diagnosis",
    "Forbidden",
    "HostFlag",
    "HostVerdict",
    "Recommendation",
    "Verdict",
    "diagnose_pool",
    "hosts_following",
    "normalize_address",
    "resolve_address",
]
