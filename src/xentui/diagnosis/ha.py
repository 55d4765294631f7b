"""HA on top of the diagnosis: when the pool's own HA is electing, has recovered, or is wedged (pure).

The facts come from each host itself, without xapi (xe/ha.py, engine/ha_probe.py): its local.db
(`ha.armed`), its xhad.conf (T = HeartbeatTimeout) and its HA daemon's liveset.  xapi's rules behind
them (notes/ha-27.md): an armed slave refuses `pool-emergency-transition-to-master` and
`-reset-master` with HA_IS_ENABLED (its own local.db); `pool-recover-slaves` skips an armed slave
*silently*; the survivors of a lost master elect a new one by themselves (``on_master_failure``),
the minority self-fences (watchdog reboot), and the old master rejoins as a slave when it is back.

Rules, applied to the base diagnosis (`diagnoser`), only when a reachable host reads
``ha.armed=true`` (*armed survivors*):

* The election window is a heuristic, not a constant of xapi: the first time a survivor was seen
  to lose its master (the engine keeps it as the ``ha_master_lost`` source) + T + ``margin``
  (60 s by default: T + 60 s is xhad's BootJoinTimeout, and XCP-ng says "about 2 minutes").
  Time is the facts' own: "now" is the newest observation among them (``as_of``), so the
  function stays pure.
* **HA ELECTING**: the base says master-lost, and inside the window, with no statefile or liveset
  fault.  Advice: wait — change nothing until the window ends.  Promote, recover-slaves,
  reset-master and designate are forbidden with the reason and the time left.
* **HA WEDGED**: the base says master-lost and either the window has passed, or an armed survivor's
  daemon reports a broken statefile (statefile_lost, no access, corrupted) or gives no liveset
  (not running, an error exit).  Advice: `xe host-emergency-ha-disable --force` on each armed
  survivor (actions/ha runs them all and reads ``ha.armed=false`` back), then the normal promote and
  recover.  Promote and the rest stay forbidden while any live host is armed.
* **HA RECOVERED**: a master is up and the survivors' livesets show it as the live master, and a
  host is out of the liveset and unreachable (fenced: its watchdog reboots it, or rebooting).
  Nothing is offered: it rejoins as a slave once back.  (A fully healthy pool stays healthy.)
* Whenever any live host is armed: promote, recover-slaves and reset-master are forbidden (HA_IS_ENABLED,
  or skipped silently by recover-slaves), and so is designate.
* Everywhere: a host with ``ha.armed=false`` in emergency mode with
  HA_POOL_IS_ENABLED_BUT_HOST_IS_DISABLED is its own finding (xen-api issue 7177): the pool has HA
  enabled, this host is disarmed, and xapi keeps it in emergency mode for good.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from xentui.core.model import HostFacts
from xentui.diagnosis.commands import _cmd_designate, _cmd_promote, _cmd_recover_slaves
from xentui.diagnosis.verdict import Action, Diagnosis, Forbidden, HaState, HostFlag, Recommendation, Verdict
from xentui.xe import commands as xc

__all__ = ["HA_ELECTION_MARGIN", "STUCK_CODE", "apply_ha", "ha_disable_command", "reenable_advice"]

HA_ELECTION_MARGIN = 60.0
DEFAULT_T = 60.0  # xapi_globs ha_default_timeout_base
STUCK_CODE = "HA_POOL_IS_ENABLED_BUT_HOST_IS_DISABLED"


def ha_disable_command() -> str:
    return xc.host_emergency_ha_disable()


def reenable_advice(timeout: float | None) -> str:
    t = f" ha-config:timeout={int(timeout)}" if timeout and timeout >= 10 else ""
    return (
        "Once every host is back and follows the new master, re-enable HA: "
        f"{xc.XE} pool-ha-enable heartbeat-sr-uuids=<uuid of the heartbeat SR>{t}"
    )


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(at))


def _as_of(facts: Sequence[HostFacts]) -> float | None:
    times = [s.at for f in facts for k, s in f.sources.items() if not s.stale]
    return max(times, default=None)


def _armed(f: HostFacts) -> bool:
    return f.reachable and f.ha_armed is True and not f.last_seen("ha_local")


def _stuck(f: HostFacts) -> bool:
    texts = (f.xapi_detail, f.pool_list_error, f.emergency_error)
    return f.ha_armed is False and any(t and STUCK_CODE in t.upper() for t in texts)


def _liveset_faults(f: HostFacts) -> list[str]:
    out = []
    if f.ha_liveset_status in ("error", "daemon-not-running"):
        out.append(f"{f.name}: no liveset ({f.ha_liveset_error or f.ha_liveset_status})")
        return out
    if "statefile_lost" in f.ha_liveset_warnings:
        out.append(f"{f.name}: its HA daemon reports the statefile lost")
    me = f.ha_liveset.get(f.uuid or "") if f.uuid else None
    if me is not None and me.liveness and (me.statefile_corrupted or not me.statefile_access):
        out.append(f"{f.name}: {'statefile corrupted' if me.statefile_corrupted else 'no statefile access'}")
    return out


def _name_of(uuid: str, facts: Sequence[HostFacts]) -> str:
    """A liveset's host UUID as a configured name; else the address local.db's ha_peers gives it."""
    for f in facts:
        if f.uuid and f.uuid.lower() == uuid.lower():
            return f.name
    for f in facts:
        if uuid in f.ha_peers:
            return f.ha_peers[uuid]
    return uuid[:8]


def apply_ha(base: Diagnosis, facts: Sequence[HostFacts], margin: float = HA_ELECTION_MARGIN) -> Diagnosis:
    """`base` as HA changes it (see the module docstring); unchanged when no host has HA configured."""
    configured = any(f.ha_armed is True or (f.ha_armed is False and "ha_config" in f.sources) for f in facts)
    if not configured and not any(_stuck(f) for f in facts):
        return base  # no HA anywhere: the base diagnosis as it is (no copy: this runs once per burst)
    d = base.model_copy(deep=True)
    _flag_stuck(d, facts)
    if not configured:
        return d
    armed = [f for f in facts if _armed(f)]
    as_of = _as_of(facts)
    t = max((f.ha_timeout for f in armed if f.ha_timeout), default=None)
    lost = [s.at for f in facts if (s := f.sources.get("ha_master_lost")) is not None]
    if not lost:  # no marker kept (a single probe): the first failed reach check of an armed slave
        lost = [s.at for f in armed if f.reaches_master is False and (s := f.sources.get("reaches_master"))]
    lost_since = min(lost, default=None)
    if lost_since is None and base.verdict is Verdict.MASTER_LOST:
        lost_since = as_of
    until = lost_since + (t or DEFAULT_T) + margin if lost_since is not None else None
    left = max(0.0, until - as_of) if until is not None and as_of is not None else None
    views: dict[str, dict[str, str]] = {}
    live_masters: set[str] = set()
    for f in facts:
        if not f.ha_liveset or not f.reachable or f.last_seen("ha_liveset"):
            continue
        views[f.name] = {
            _name_of(u, facts): ("live master" if r.master and r.liveness else "live" if r.liveness else
                                 "dead (holds the lock)" if r.master else "dead")
            for u, r in f.ha_liveset.items()
        }
        if f.ha_armed:
            live_masters |= {_name_of(u, facts) for u, r in f.ha_liveset.items() if r.master and r.liveness}
    broken = [line for f in armed for line in _liveset_faults(f)]
    elected = sorted(live_masters)[0] if len(live_masters) == 1 else None
    d.ha = HaState(
        armed=sorted(f.name for f in armed),
        disarmed=sorted(f.name for f in facts if f.reachable and f.ha_armed is False and "ha_config" in f.sources),
        timeout=t, lost_since=lost_since, electing_until=until, seconds_left=left, as_of=as_of,
        elected=elected, broken=broken, liveset=views,
    )
    if not armed:
        return d
    prefix = f"Pool {d.pool}: " if d.pool else ""
    lost_master = d.majority_master.name if d.majority_master else (d.master.name if d.master else "the master")
    window = (
        f"until {_clock(until)} UTC ({left:.0f} s left; heuristic: first seen lost at {_clock(lost_since)} + "
        f"T {t or DEFAULT_T:g} s + {margin:g} s)" if until is not None and left is not None and lost_since else ""
    )
    electing_now = base.verdict is Verdict.MASTER_LOST and not broken and (left is None or left > 0)
    _forbid_while_armed(d, armed, window if electing_now else "")
    if base.verdict is Verdict.MASTER_LOST:
        if electing_now:
            chose = f" Its daemons show {elected} as the new master; its toolstack is restarting." if elected and elected != lost_master else ""
            d.candidate = None
            return _conclude(
                d, Verdict.HA_ELECTING,
                f"{prefix}HA ELECTING: {lost_master} (master) is lost and HA is armed on "
                f"{len(armed)} of {len(facts)} hosts: HA is electing a master; change nothing {window}.{chose}",
                Recommendation(
                    action=Action.WAIT, host=None, command=None,
                    reason=f"HA is electing a master; change nothing {window}. The old master fences itself "
                    "(watchdog reboot) and rejoins as a slave.",
                ),
            )
        why = "; ".join(broken) if broken else (
            f"no master elected within the window, which ended at {_clock(until)} UTC" if until else "no master"
        )
        first = sorted(armed, key=lambda f: f.name)[0]
        return _conclude(
            d, Verdict.HA_WEDGED,
            f"{prefix}HA WEDGED: {lost_master} (master) is lost and HA cannot elect ({why}); "
            f"{len(armed)} surviving host{'s are' if len(armed) != 1 else ' is'} still armed "
            f"({', '.join(f.name for f in armed)}).",
            Recommendation(
                action=Action.HA_DISABLE, host=first.name, command=ha_disable_command(),
                reason=f"HA is stuck: run host-emergency-ha-disable --force on every surviving host "
                f"({', '.join(f.name for f in armed)}) and read back ha.armed=false on each; then promote "
                f"{d.candidate or 'a survivor'} and recover the slaves. {reenable_advice(t)}.",
            ),
        )
    m = d.master.name if d.master is not None else None
    # hosts out of the liveset: dead in a survivor's view, and not a host the jump box reaches (a host never
    # read is named in the liveset by its ha_peers address, not by its configured name)
    dead = {h for v in views.values() for h, state in v.items() if state.startswith("dead")}
    reached = {f.name for f in facts if f.reachable}
    out = sorted(f.name for f in facts if f.name != m and not f.reachable) if dead - reached else []
    if m is not None and m in live_masters and out and d.verdict in (Verdict.DEGRADED, Verdict.UNKNOWN):
        return _conclude(
            d, Verdict.HA_RECOVERED,
            f"{prefix}HA RECOVERED: {m} is master with HA's lock, live in every survivor's liveset; "
            f"{', '.join(out)} {'is' if len(out) == 1 else 'are'} out of the liveset (fenced by the watchdog, or "
            f"rebooting) and rejoin{'s as a slave' if len(out) == 1 else ' as slaves'} when back. Nothing to do.",
            Recommendation(
                action=Action.NONE, host=None, command=None,
                reason=f"HA elected {m} by itself; nothing to do. Do not promote, recover or forget anything.",
            ),
        )
    return d


def _conclude(d: Diagnosis, verdict: Verdict, summary: str, recommendation: Recommendation) -> Diagnosis:
    """`d` with the verdict HA reaches, its one-line summary and the one safe next step."""
    d.verdict = verdict
    d.summary = summary
    d.recommendation = recommendation
    return d


def _forbid(d: Diagnosis, action: Action, command: str, reason: str) -> None:
    for i, fb in enumerate(d.forbidden):
        if fb.action is action and fb.host is None:
            if reason not in fb.reason:
                d.forbidden[i] = fb.model_copy(update={"reason": f"{reason} {fb.reason}"})
            return
    d.forbidden.append(Forbidden(action=action, host=None, command=command, reason=reason))


def _forbid_while_armed(d: Diagnosis, armed: list[HostFacts], window: str) -> None:
    names = ", ".join(f.name for f in armed)
    wait = f"HA is electing a master: change nothing {window}. " if window else ""
    _forbid(
        d, Action.PROMOTE, _cmd_promote(),
        f"{wait}{names} {'is' if len(armed) == 1 else 'are'} armed for HA (local.db ha.armed=true): "
        "pool-emergency-transition-to-master is refused with HA_IS_ENABLED.",
    )
    _forbid(
        d, Action.RECOVER_SLAVES, _cmd_recover_slaves(),
        f"{wait}pool-recover-slaves skips every armed slave silently (its HA_IS_ENABLED is swallowed): "
        f"{names} would stay behind.",
    )
    _forbid(d, Action.RESET_MASTER, f"{xc.XE} pool-emergency-reset-master master-address=<address>",
            f"{wait}pool-emergency-reset-master is refused with HA_IS_ENABLED on an armed host ({names}).")
    _forbid(d, Action.DESIGNATE_NEW_MASTER, _cmd_designate(),
            f"{wait}HA is enabled: pool-designate-new-master is refused (HA_IS_ENABLED).")
    if d.recommendation is not None and d.recommendation.action in (
        Action.PROMOTE, Action.RECOVER_SLAVES, Action.RESET_MASTER, Action.DESIGNATE_NEW_MASTER
    ):
        d.recommendation = Recommendation(
            action=Action.INVESTIGATE, host=d.recommendation.host, command=None,
            reason=f"The obvious step ({d.recommendation.action}) is refused while HA is armed: "
            + d.recommendation.reason,
        )


def _flag_stuck(d: Diagnosis, facts: Sequence[HostFacts]) -> None:
    for f in facts:
        if not _stuck(f) or f.name not in d.hosts:
            continue
        hv = d.hosts[f.name]
        if HostFlag.HA_DISABLED_IN_HA_POOL not in hv.flags:
            hv.flags.append(HostFlag.HA_DISABLED_IN_HA_POOL)
        note = (
            f"stuck in emergency mode: HA enabled on the pool but disarmed here ({STUCK_CODE}; xen-api issue 7177)"
        )
        hv.note = note + (f"; {hv.note}" if hv.note else "")
        if d.verdict in (Verdict.DEGRADED, Verdict.UNKNOWN) and (
            d.recommendation is None or d.recommendation.host in (None, f.name)
        ):
            d.recommendation = Recommendation(
                action=Action.INVESTIGATE, host=f.name, command=None,
                reason=f"{f.name} is disarmed while the pool has HA enabled: xapi keeps it in emergency mode "
                f"({STUCK_CODE}, xen-api issue 7177). Way out (read from xapi's code, not confirmed in the field): "
                "get Pool.ha_enabled false on the master (xe pool-ha-disable there), then restart the toolstack on "
                f"{f.name}.",
            )
