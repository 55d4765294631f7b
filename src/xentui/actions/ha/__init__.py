"""HA wedged: disarm every survivor, then the normal promote and recover (issue 27).

When the pool's HA cannot elect a master (diagnosis `ha-wedged`), xapi refuses the emergency
commands on every armed host (HA_IS_ENABLED: its own local.db ``ha.armed``), and
``pool-recover-slaves`` skips armed slaves silently.  The way out (XCP-ng's HA troubleshooting,
xapi_ha.ml ``emergency_ha_disable``): ``xe host-emergency-ha-disable --force`` on every surviving
host, each read back (local.db ``ha.armed=false``, re-read over SSH); only then the normal
promote + recover (actions/recover), proposed by the next diagnosis; then re-enable HA with
``xe pool-ha-enable heartbeat-sr-uuids=<sr>`` once the pool is healthy.  The order matters:
a disarmed slave whose xapi restarts while the master's database still says ``ha_enabled``
lands in emergency mode for good (xen-api issue 7177), so the promote comes after every
survivor is disarmed, and recover-slaves after it.

* `plan` — `plan_ha_disable`, `HaDisablePlan`;
* `guards` — the ha-disable step kind: its command, guard rails (only while wedged, only on an
  armed host) and its read-back (registered on import).  The pane is `xentui.ui.panes.ha`.
"""

from __future__ import annotations

from xentui.actions.ha import guards as _guards  # noqa: F401  (registers the ha-disable step's rules)
from xentui.actions.ha.plan import HaDisablePlan, plan_ha_disable

__all__ = ["HaDisablePlan", "plan_ha_disable"]
