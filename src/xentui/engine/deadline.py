"""One probe of a pool that ends at the verdict's speed: `probe_within(engine, deadline)`.

A monitoring check must answer before its own timeout (NRPE's default is
10 s), and the moment it matters most — the master's cable pulled — is when
the slowest answers never come: the master's SSH connect runs into its
timeout, every slave's `xe pool-list` hangs.  So a bounded probe ends at the
first of:

* every host's probe is over (a healthy pool: about one round trip);
* the verdict is settled by the fast signals: it says master-lost or
  split-brain, and every host that holds an SSH session has given its
  fast signals of this probe — its files (pool.conf), its toolstack's answer
  to a XenAPI login (HOST_IS_SLAVE comes back at once) and, on a slave, its
  own TCP check of its master.  Slower answers (the `xe` calls, a connect
  still running into its timeout) would not change such a verdict: it is
  final;
* the deadline.

What has not answered by then is reported per host as "no answer yet after
N s", naming the calls — never guessed.  `deadline=None` waits for every
answer or timeout (`--complete`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Callable

from xentui.diagnosis import Diagnosis, Verdict
from xentui.core.model import HostFacts, Role, SshState
from xentui.engine.pool import PoolEngine, cancel_until_done

SETTLING = (Verdict.MASTER_LOST, Verdict.SPLIT_BRAIN, Verdict.HA_ELECTING, Verdict.HA_WEDGED)

# source key -> the call that learns it (the order of the report)
CALLS: tuple[tuple[str, str], ...] = (
    ("files", "file read"),
    ("xapi", "XenAPI login"),
    ("reaches_master", "TCP check of the master"),
    ("emergency_mode", "xe host-is-in-emergency-mode"),
    ("pool_list", "xe pool-list"),
)
FAST = ("files", "xapi", "reaches_master")

# Facts arrive in bursts (about ten a host a probe, 600+ a second while 64 hosts answer);
# the pool is diagnosed once per burst, this long after its first update, not once per
# update: per update, diagnose_pool was most of a 64-host `check`'s CPU (286 diagnoses,
# 0.9 s); every 20 ms it was still 0.2 s (3 ms each at 64 hosts).
JUDGE_AFTER_S = 0.05

DiagnosisListener = Callable[[Diagnosis], None]


def _learned(f: HostFacts, key: str, since: float) -> bool:
    src = f.sources.get(key)
    if key == "files" and src is None:
        src = f.sources.get("files_error")  # a failed read is an answer too
    return src is not None and not src.stale and src.at >= since


def missing_calls(f: HostFacts, since: float, keys: tuple[str, ...] | None = None) -> list[str]:
    """The calls of this probe (started at wall time `since`) that have not answered for host `f`."""
    if f.ssh is SshState.UNKNOWN:
        return ["SSH connect"]
    if not f.reachable:
        return []  # the connect failed: that is its answer
    wanted = [(k, label) for k, label in CALLS if keys is None or k in keys]
    return [
        label
        for key, label in wanted
        if not _learned(f, key, since)
        and not (key == "reaches_master" and not (f.role is Role.SLAVE and f.master_address))
    ]


def settled(d: Diagnosis, facts: list[HostFacts], since: float) -> bool:
    """The verdict is master-lost or split-brain and no connected host owes a fast signal."""
    if d.verdict not in SETTLING or any(f.reachable and missing_calls(f, since, FAST) for f in facts):
        return False
    # HA's verdicts also rest on each armed survivor's liveset (a broken statefile wedges it at once)
    return not any(f.reachable and f.ha_armed and not _learned(f, "ha_liveset", since) for f in facts)


@dataclass
class BoundedProbe:
    facts: list[HostFacts]
    diagnosis: Diagnosis
    seconds: float
    outstanding: list[str]  # "plot1: no answer yet after 3.0 s (SSH connect)"
    settled_early: bool = False


async def probe_within(
    engine: PoolEngine, deadline: float | None, on_diagnosis: DiagnosisListener | None = None
) -> BoundedProbe:
    """Probe every host of `engine` once, ending as the module docstring says. Never leaves a task behind.

    `on_diagnosis` gets the pool's diagnosis as facts arrive (once per burst of updates)."""
    started, since = time.monotonic(), time.time()
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    judging: list[asyncio.TimerHandle] = []

    def judge() -> None:
        judging.clear()
        d = engine.diagnose()
        if on_diagnosis is not None:
            on_diagnosis(d)
        if deadline is not None and not done.is_set() and settled(d, list(engine.facts.values()), since):
            done.set()

    def listen(_: HostFacts) -> None:
        if not judging and not done.is_set():
            judging.append(loop.call_later(JUDGE_AFTER_S, judge))

    if on_diagnosis is not None or deadline is not None:
        engine.listeners.append(listen)
    tasks = [asyncio.create_task(engine.probe_host(name), name=f"probe:{name}") for name in engine.sessions]
    everything = asyncio.ensure_future(asyncio.gather(*tasks))
    waiter = asyncio.create_task(done.wait())
    try:
        await asyncio.wait({everything, waiter}, timeout=deadline, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if listen in engine.listeners:
            engine.listeners.remove(listen)
        for handle in judging:
            handle.cancel()
        await cancel_until_done([*tasks, waiter])
        everything.cancel()
        await asyncio.gather(everything, return_exceptions=True)
    for t in tasks:
        if not t.cancelled() and t.exception() is not None:
            raise t.exception()  # type: ignore[misc]  # a bug in a probe is not a finding
    seconds = time.monotonic() - started
    facts = list(engine.facts.values())
    cut = [t for t in tasks if t.cancelled()]
    outstanding = []
    if cut:
        for f in facts:
            calls = missing_calls(f, since)
            if calls:
                outstanding.append(f"{f.name}: no answer yet after {seconds:.1f} s ({', '.join(calls)})")
            if f.ssh is SshState.UNKNOWN:
                # Its SSH connect was still running when the deadline cut it: that is an observation
                # (no answer within the check's bound), not "not probed yet".
                unanswered = f.model_copy(
                    update={"ssh": SshState.NO_ANSWER, "ssh_error": f"no answer to the SSH connect within {seconds:.1f} s"}
                )
                unanswered.learned("ssh", "SSH connect from the jump box, cut at the deadline")
                engine.publish(unanswered)
        facts = list(engine.facts.values())
    return BoundedProbe(facts, engine.diagnose(), seconds, outstanding, settled_early=done.is_set())
