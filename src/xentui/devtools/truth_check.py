"""Every claim the engine publishes, checked against the simulator's ground truth (Jepsen's idea).

A *timeline* is a seeded random sequence of faults and operator actions played
against an 8-host simulated pool while the engine runs as it does under the
console (one supervisor per host, `PoolEngine.start`).  Every verdict, every
`Next:` line (the recommendation) and every `Never now:` line (what is
forbidden) the engine publishes is recorded with its instant, and judged
against `SimPool.truth` (`xensim.truth`):

* a claim is *wrong* when the truth contradicts it at every instant of the
  window [t - bound, t] (claims may lag a change by one detection bound, never
  contradict it);
* UNKNOWN is never wrong.

Faults: cable pull / restore, shutdown / boot, toolstack hung / thawed, a slow
host (1-4 s of added round trip, time-scaled with the engine's settings), the
client starved of CPU (the event loop blocked about 1 s, or busy neighbour
processes).  Actions, taken as advised through the one runner (`PlanRunner`):
promote + recover and heal (the console's proposed plan), designate (at random
moments of a healthy pool).  The seed says everything: `run_timeline(seed)`
replays it.

Run it: `python tools/truth_check.py --timelines 300` (figures into
bench/results.md), or `--seed N` to replay one.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xentui.actions import PlanRunner, propose_plan
from xentui.trail.audit import AuditLog
from xentui.core.config import load_config
from xentui.diagnosis import Action, Diagnosis, Verdict
from xentui.engine.observed import PoolObserved
from xentui.engine.pool import PoolEngine
from xentui.core.model import HostFacts, Role, XapiView
from xensim.server import Simulator
from xensim.state import Timing
from xensim.truth import HostTruth, PoolTruth

__all__ = ["CHECK_SETTINGS", "Claim", "Step", "TimelineResult", "judge", "plan_timeline", "run_timeline"]

#: the engine's waits in a timeline: the defaults (connect 5, command 10, reach 2, poll 5) times 0.4,
#: so that a timeline of 2-6 faults runs in about half a minute; faults are scaled the same way
SCALE = 0.4
CHECK_SETTINGS: dict[str, float] = dict(
    connect_timeout=2.0, command_timeout=4.0, reach_timeout=0.8, poll_interval=1.0,
    keepalive_interval=4.0, reconnect_backoff_min=0.4, reconnect_backoff_max=2.0, toolstack_fuse=0.3,
)
SIM_TIMING = dict(fuse=0.3, boot=0.3, emergency_retry=2.0, reach_connect=0.01)

FAULT_KINDS = ("cable", "power", "hang", "slow", "starve-loop", "starve-cpu")
ACTION_KINDS = ("act", "designate")


@dataclass
class Step:
    at: float  # seconds after the timeline's start
    kind: str  # cable-pull, cable-restore, shutdown, boot, hang-xapi, unhang-xapi, latency, block-loop, busy, act, designate
    host: str | None = None
    arg: float = 0.0

    def text(self) -> str:
        extra = f" {self.arg:g}" if self.arg else ""
        return f"{self.at:5.1f}s {self.kind}{' ' + self.host if self.host else ''}{extra}"


@dataclass
class Claim:
    at: float  # monotonic
    verdict: Verdict
    summary: str
    next_line: str
    never: list[str]
    diagnosis: Diagnosis
    facts: dict[str, HostFacts]
    until: float | None = None

    def text(self) -> str:
        return f"{self.verdict.value.upper()} — {self.summary} Next: {self.next_line} Never now: {' · '.join(self.never) or '-'}"


@dataclass
class Wrong:
    seed: int
    at: float  # seconds after the start
    claim: str
    why: str


@dataclass
class TimelineResult:
    seed: int
    steps: list[Step]
    claims: int = 0
    wrong: list[Wrong] = field(default_factory=list)
    time_to_right: dict[str, list[float]] = field(default_factory=dict)
    unknown_seconds: float = 0.0
    seconds: float = 0.0
    verdicts: dict[str, int] = field(default_factory=dict)  # how many claims of each verdict
    forget_advice: int = 0  # claims with a host-forget line (Never now: included)


# ------------------------------------------------------------------ the timeline


def plan_timeline(seed: int, hosts: int = 8, events: tuple[int, int] = (2, 6)) -> list[Step]:
    """The seeded sequence of faults and actions (each fault is undone after a while)."""
    rng = random.Random(seed)
    names = [f"plot{i}" for i in range(1, hosts + 1)]
    n = rng.randint(*events)
    steps: list[Step] = []
    t = 3.0
    for _ in range(n):
        kind = rng.choice(FAULT_KINDS + ACTION_KINDS + ("act",))
        host = rng.choice(names)
        hold = rng.uniform(2.0, 7.0)
        if kind == "cable":
            steps += [Step(t, "cable-pull", host), Step(t + hold, "cable-restore", host)]
        elif kind == "power":
            steps += [Step(t, "shutdown", host), Step(t + hold, "boot", host)]
        elif kind == "hang":
            steps += [Step(t, "hang-xapi", host), Step(t + hold, "unhang-xapi", host)]
        elif kind == "slow":
            steps += [Step(t, "latency", host, round(rng.uniform(1.0, 4.0) * SCALE / 2, 2)), Step(t + hold, "latency", host, 0.0)]
        elif kind == "starve-loop":
            steps += [Step(t, "block-loop", None, round(rng.uniform(0.8, 1.2), 2))]
        elif kind == "starve-cpu":
            steps += [Step(t, "busy", None, round(hold, 1))]
        else:
            steps += [Step(t, kind, host)]
        t += rng.uniform(1.0, 5.0)
    steps.sort(key=lambda s: s.at)
    return steps


def busy_neighbours(seconds: float, procs: int = 2) -> list[subprocess.Popen[bytes]]:
    """Processes that only burn CPU for `seconds` (the jump box's noisy neighbours)."""
    code = f"import time\nend=time.monotonic()+{seconds}\nwhile time.monotonic()<end: pass\n"
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(procs)]


def _next_line(d: Diagnosis) -> str:
    rec = d.recommendation
    if rec is None:
        return "no advice yet (still asking)."
    if rec.action is Action.NONE:
        return "nothing to do."
    return f"{rec.action} on {rec.host or 'the pool'}: {rec.reason}"


def _never_lines(d: Diagnosis) -> list[str]:
    return [f"{fb.action}{' ' + fb.host if fb.host else ''}: {fb.reason}" for fb in d.forbidden]


# ------------------------------------------------------------------ judging one claim


def host_fine(t: PoolTruth, name: str) -> bool:
    """Powered, cabled, toolstack running and not hung, following a live master it reaches (or master)."""
    return not_fine(t, name) is None


def not_fine(t: PoolTruth, name: str) -> str | None:
    """What is wrong with the host in truth state `t` (None: it is fine, slow at most)."""
    h = t.hosts[name]
    for bad, what in ((not h.powered, "off"), (not h.cable, "cable out"), (h.xapi_hung, "toolstack hung"),
                      (h.xapi_state != "running", f"toolstack {h.xapi_state}"), (bool(h.emergency), f"emergency {h.emergency}")):
        if bad:
            return f"{name} {what}"
    if h.is_master:
        return None
    m = t.by_address(h.running_master_address)
    if m is None or not t.hosts[m].is_master or t.hosts[m].xapi_hung:
        return f"{name} follows {m or h.running_master_address}, not a live master"
    if not t.reaches(name, m):
        return f"{name} does not reach {m}"
    return None


def master_lost(t: PoolTruth, name: str) -> bool:
    """The host cannot serve as master now: off, cable pulled, hung, or not master at all."""
    h = t.hosts[name]
    return not h.powered or not h.cable or h.xapi_hung or not h.is_master


def _changed(before: HostTruth, after: HostTruth) -> bool:
    keys = ("powered", "cable", "xapi_hung", "running_role", "pool_conf", "emergency")
    return any(getattr(before, k) != getattr(after, k) for k in keys)


def last_change_of(states: list[PoolTruth], name: str, until: float) -> float:
    """When the host's own state (power, cable, toolstack, role, pool.conf) last changed before `until`."""
    last = states[0].at
    for a, b in zip(states, states[1:]):
        if b.at > until:
            break
        if _changed(a.hosts[name], b.hosts[name]):
            last = b.at
    return last


def _master_read_at(f: HostFacts) -> float | None:
    """When the engine last read, first hand, that this host holds master (None: it did not)."""
    times = []
    src = f.sources.get("role")
    if f.role is Role.MASTER and src is not None:
        times.append(src.at)
    src = f.sources.get("xapi")
    if f.xapi is XapiView.MASTER and src is not None:
        times.append(src.at)
    return max(times, default=None)


_NEED = re.compile(r"need(?:s)? attention \(([^)]*)\)")


def judge_at(c: Claim, t: PoolTruth) -> dict[str, str]:
    """Each part of the claim (verdict, a Next: reason, a Never now: line) that the truth state `t`
    contradicts, with why (empty: it contradicts none)."""
    d = c.diagnosis
    v = d.verdict
    out: dict[str, str] = {}
    if v is Verdict.UNKNOWN:
        return out
    names = list(t.hosts)
    if v is Verdict.HEALTHY:
        # "healthy" says of each host that it is fine: each may lag that host's last change
        for n in names:
            bad = not_fine(t, n)
            if bad is not None:
                out[f"healthy {n}"] = f"healthy while {bad} (truth since: {t.why})"
    if v is Verdict.SPLIT_BRAIN and not all(t.hosts[m].claims_master for m in d.masters if m in t.hosts):
        out["verdict"] = f"split brain between {d.masters}, truth: masters {t.masters()}"
    if v is Verdict.MASTER_LOST and d.majority_master is not None:
        m = d.majority_master.name
        if m in t.hosts and not master_lost(t, m) and all(t.reaches(s, m) for s in t.followers(m)):
            out["verdict"] = f"master lost while {m} is master and every follower reaches it"
    if v is Verdict.DEGRADED:
        match = _NEED.search(d.summary)
        listed = [n.strip() for n in match.group(1).split(",")] if match else []
        if listed and " more" not in listed[-1] and all(n in t.hosts and host_fine(t, n) for n in listed):
            out["verdict"] = f"degraded naming {listed}, all fine (slow at most)"
    m = d.master.name if d.master else None
    rec = d.recommendation
    if m in t.hosts and "serves its slaves" in d.summary:
        fs = t.followers(m)
        if fs and not any(t.reaches(s, m) for s in fs) or master_lost(t, m):
            out["serves"] = f"says {m} serves its slaves; truth: none reaches it (or it is lost)"
    if rec is not None and "while others can" in rec.reason and m in t.hosts:
        others = [s for s in t.followers(m) if s != rec.host]
        if not any(t.reaches(s, m) for s in others):
            out["next"] = f"says others reach {m}; truth: none of {others} does"
    forbids_promote = any(fb.action is Action.PROMOTE and "HA" not in fb.reason for fb in d.forbidden)
    if (forbids_promote or (rec is not None and "do not promote" in rec.reason)) and m in t.hosts and master_lost(t, m):
        out["never promote"] = f"do not promote while {m} is really lost"
    for fb in d.forbidden:
        if fb.action is Action.HOST_FORGET and fb.host in t.hosts and host_fine(t, fb.host):
            out[f"never forget {fb.host}"] = f"forget-advice for {fb.host}, which is fine"
    return out


def judge(c: Claim, states: list[PoolTruth], bound: float) -> str | None:
    """Why the claim is wrong: a part of it that every instant of [t - bound, t] contradicts (None: none)."""
    window = [s for s in states if c.at - bound < s.at <= c.at]
    before = [s for s in states if s.at <= c.at - bound]
    if before:
        window.insert(0, before[-1])
    verdicts = [judge_at(c, s) for s in window]
    for part, why in verdicts[-1].items():
        if all(part in v for v in verdicts):
            return why
    if c.diagnosis.verdict is Verdict.SPLIT_BRAIN:
        # two masters: each one's master role read (first hand) since its own last change — the
        # last one before the detection bound: a claim may lag a change by that much
        for m in c.diagnosis.masters:
            if m not in states[0].hosts:
                continue
            last = last_change_of(states, m, c.at - bound)
            f = c.facts.get(m)
            read = _master_read_at(f) if f is not None else None
            if read is None or _wall_to_mono(read) < last:
                return f"split brain: {m}'s master role not read since the last change ({_when(read)})"
    return None


_MONO_OFFSET = time.time() - time.monotonic()


def _wall_to_mono(wall: float) -> float:
    return wall - _MONO_OFFSET


def _when(wall: float | None) -> str:
    return "never" if wall is None else time.strftime("%H:%M:%S", time.gmtime(wall))


# ------------------------------------------------------------------ playing one timeline


class HostsLoop:
    """The simulated hosts on an event loop (and thread) of their own: blocking the client's loop
    (a starved client) must not stop the hosts' clocks, as it would not on a real jump box."""

    def __init__(self) -> None:
        import threading

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="simulated-hosts", daemon=True)
        self.thread.start()

    async def run(self, coro: Any) -> Any:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()



async def run_timeline(
    seed: int,
    steps: list[Step] | None = None,
    hosts: int = 8,
    settings: dict[str, float] | None = None,
    workdir: Path | None = None,
    tail: float = 6.0,
    log: Any = None,
) -> TimelineResult:
    """Play one timeline and judge every claim; `steps` overrides the seeded plan (a replay)."""
    steps = steps if steps is not None else plan_timeline(seed, hosts)
    settings = {**CHECK_SETTINGS, **(settings or {})}
    own_dir = None
    if workdir is None:
        own_dir = tempfile.TemporaryDirectory(prefix=f"truth-{seed}-")
        workdir = Path(own_dir.name)
    os.environ.setdefault("XDG_CACHE_HOME", str(workdir / "cache"))
    sim = Simulator(workdir / "sim", hosts=hosts, timing=Timing(**SIM_TIMING), seed=seed)
    hosts_side = HostsLoop()
    await hosts_side.run(sim.start())
    config = load_config(sim.dir / "pools.toml")
    engine = PoolEngine(config.pools[0], config.settings.model_copy(update=settings), remember=False)
    audit = AuditLog(workdir / "audit.jsonl")
    result = TimelineResult(seed=seed, steps=steps)
    claims: list[Claim] = []
    last_key: list[Any] = [None]

    def on_observed(seen: PoolObserved) -> None:  # what every face shows: the engine's published diagnosis
        d = seen.diagnosis
        key = (d.verdict, d.summary, _next_line(d), tuple(_never_lines(d)))
        if key == last_key[0]:
            return
        last_key[0] = key
        now = time.monotonic()
        if claims:
            claims[-1].until = now
        claims.append(Claim(now, d.verdict, d.summary, _next_line(d), _never_lines(d), d, dict(seen.facts)))

    engine.observed.observers.append(on_observed)
    rng = random.Random(seed * 7919 + 1)
    runner_tasks: list[asyncio.Task[Any]] = []
    busy: list[subprocess.Popen[bytes]] = []
    faults: list[tuple[str, float]] = []
    started = time.monotonic()
    engine.start()
    try:
        # the healthy start
        deadline = time.monotonic() + 30
        while engine.diagnose().verdict is not Verdict.HEALTHY and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        t0 = time.monotonic()
        for step in steps:
            await asyncio.sleep(max(0.0, t0 + step.at - time.monotonic()))
            if log:
                log(f"seed {seed}: {step.text()}")
            kind = step.kind
            if kind in ("cable-pull", "cable-restore", "shutdown", "boot", "hang-xapi", "unhang-xapi"):
                assert step.host
                await hosts_side.run(sim.fault(kind, step.host))
                faults.append((kind, time.monotonic()))
            elif kind == "latency":
                assert step.host
                host = step.host
                if step.arg and sim.pool.host(host).is_master:
                    # a slow master is one its slaves' own 1 s check of :443 times out on: really
                    # unreachable for them; the slow-host fault is about a host that is only slow
                    host = next(n for n in sorted(sim.pool.hosts) if not sim.pool.host(n).is_master)
                    step.host = host
                await hosts_side.run(sim.fault("latency", host, str(step.arg * 1000)))
                faults.append(("slow" if step.arg else "fast", time.monotonic()))
            elif kind == "block-loop":
                faults.append(("block-loop", time.monotonic()))
                time.sleep(step.arg)  # the client's own event loop, blocked (a sync call on the loop)
            elif kind == "busy":
                faults.append(("busy", time.monotonic()))
                busy += busy_neighbours(step.arg)
            elif kind == "act":
                runner_tasks.append(asyncio.ensure_future(_act_as_advised(engine, audit, settings)))
                faults.append(("act", time.monotonic()))
            elif kind == "designate":
                target = step.host or rng.choice(list(engine.sessions))
                runner_tasks.append(asyncio.ensure_future(_designate(engine, audit, settings, target)))
                faults.append(("designate", time.monotonic()))
        # undo what is left: every cable in, every host on, every toolstack thawed; then settle
        await asyncio.sleep(tail)
        if runner_tasks:
            await asyncio.wait(runner_tasks, timeout=30)
    finally:
        for p in busy:
            p.kill()
        for t in runner_tasks:
            t.cancel()
        await engine.stop()
        await hosts_side.run(sim.stop())
        hosts_side.close()
        if own_dir is not None:
            own_dir.cleanup()
    end = time.monotonic()
    if claims:
        claims[-1].until = end
    result.seconds = end - started
    result.claims = len(claims)
    states = sim.pool.truth.states
    bound = detection_bound(settings)
    for c in claims:
        why = judge(c, states, bound + _slow_extra(states, c.at, bound))
        if why is not None:
            result.wrong.append(Wrong(seed, round(c.at - started, 2), c.text(), why))
        if c.verdict is Verdict.UNKNOWN:
            result.unknown_seconds += (c.until or end) - c.at
        result.verdicts[c.verdict.value] = result.verdicts.get(c.verdict.value, 0) + 1
        if any(fb.action is Action.HOST_FORGET for fb in c.diagnosis.forbidden):
            result.forget_advice += 1
    for kind, at in faults:
        right = next(
            (c.at for c in claims if (c.until or end) > at and c.verdict is not Verdict.UNKNOWN
             and judge(c, states, 0.0) is None and not judge_at(c, sim.pool.truth.at(max(c.at, at)))),
            None,
        )
        if right is not None:
            result.time_to_right.setdefault(kind, []).append(max(0.0, right - at))
    return result


def detection_bound(settings: dict[str, float]) -> float:
    """How long a claim may lag a change of the truth: a poll, the file read's silence, a reach check, slack."""
    return settings["poll_interval"] + 2 * settings["reach_timeout"] + settings["connect_timeout"]


def _slow_extra(states: list[PoolTruth], at: float, bound: float) -> float:
    """A slow host's answers come later by its round trips: the bound grows by them."""
    lat = max((h.latency for s in states if at - bound - 10 < s.at <= at for h in s.hosts.values()), default=0.0)
    return 6 * lat


async def _act_as_advised(engine: PoolEngine, audit: AuditLog, settings: dict[str, float]) -> None:
    """What an operator does: take the console's proposed plan now, run it through the runner."""
    d = engine.diagnose()
    rec = d.recommendation
    if rec is None or rec.action not in (Action.PROMOTE, Action.RECOVER_SLAVES):
        return
    plan = propose_plan(engine.facts, d)
    if not plan.steps:
        return
    runner = PlanRunner(engine, audit, lambda s: True, fuse=settings["toolstack_fuse"], settle_timeout=15.0, poll_interval=0.2)
    await runner.run(plan)


async def _designate(engine: PoolEngine, audit: AuditLog, settings: dict[str, float], target: str) -> None:
    d = engine.diagnose()
    if d.verdict is not Verdict.HEALTHY or (d.master and d.master.name == target):
        return
    from xentui.actions.designate import plan_designate_master  # one feature of several: only where used

    plan = plan_designate_master(engine.facts, d, target)
    if plan.blocked:
        return
    runner = PlanRunner(engine, audit, lambda s: True, fuse=settings["toolstack_fuse"], settle_timeout=15.0, poll_interval=0.2)
    await runner.run(plan)
