#!/usr/bin/env python3
"""Proof under load: how fast xentui's engine gets a pool's full picture, against the field notes.

Runs the simulator in SEPARATE processes (`xentui sim --hosts N --dir D`), so
its CPU does not count against the engine, puts 50 ms (±10 ms jitter) of
latency on every host, pulls cables, and measures for 8 and 64 hosts (and
256 as four pools of 64, unless --no-256):

* time to a full picture (every host probed, every host a verdict row) with
  1/8 of the hosts' cables pulled, and its ratio to the time for probing ONE
  healthy host (target: within 1.5x + the connect timeout);
* the same picture the way the field notes gather it -- `ssh -F D/ssh_config
  HOST 'cat /etc/xensource/pool.conf; xe pool-list'` one host after another
  (`-o ConnectTimeout=5`, each in `timeout 15`) and with parallel-ssh;
* time from start to the `master-lost` verdict with the master's cable pulled
  (target 3 s), against the sequential loop and parallel-ssh on the same
  hosts (which give no verdict: only outputs an admin still has to read);
* the longest event-loop stall during a probe (a watchdog measuring the
  overshoot of `asyncio.sleep(0.01)`), peak RSS, and CPU seconds per minute of
  steady-state polling (`PoolEngine.start()` for --duration s, default 60,
  --quick for 15);
* event-loop responsiveness (watchdog p99 / max) while 64 hosts are polled:
  the console shares that loop, so it bounds how late a key press is handled.

Writes bench/results.md and bench/results.json.  This is a script, not a
test: nothing here asserts a time.  Needs `parallel-ssh` (Debian: pssh) and
the OpenSSH client.

    python bench/probe_bench.py            # full run, ~10 minutes on 2 cores
    python bench/probe_bench.py --quick    # 15 s of steady-state polling
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

# The engine remembers addresses in the user's cache: keep the benchmark's apart.
_CACHE = tempfile.mkdtemp(prefix="xentui-bench-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE

from xentui.config import PoolConfig, Settings, load_config  # noqa: E402
from xentui.diagnosis import Verdict  # noqa: E402
from xentui.engine.pool import PoolEngine  # noqa: E402
from xentui.loopwatch import LoopWatch  # noqa: E402
from xentui.sim.server import send_control  # noqa: E402

LATENCY_MS, JITTER_MS = 50, 10
FIELD_COMMAND = "cat /etc/xensource/pool.conf; xe pool-list"
SSH_TIMEOUT = 15  # `timeout 15 ssh ...`: it hangs on slaves of a dead master
SSH_CONNECT_TIMEOUT = 5


# --------------------------------------------------------------------------- measuring


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return round(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None else round(x, nd)


# --------------------------------------------------------------------------- simulators


@dataclass
class Sim:
    index: int
    n: int
    dir: Path
    proc: subprocess.Popen[bytes]
    pool: PoolConfig = field(init=False)
    settings: Settings = field(init=False)

    @property
    def names(self) -> list[str]:
        return [f"plot{i}" for i in range(1, self.n + 1)]

    def alias(self, name: str) -> str:
        return f"p{self.index}-{name}"

    async def ctl(self, fault: str, host: str, *args: str) -> None:
        # The protocol `xentui sim ctl` speaks; one process per call would cost ~0.4 s each.
        reply = await send_control(self.dir, fault, host, *args)
        if not reply.get("ok"):
            raise RuntimeError(f"sim ctl {fault} {host}: {reply.get('error')}")

    def cpu(self) -> float:
        return cpu_of(self.proc.pid)


async def start_sims(count: int, n: int, base: Path) -> list[Sim]:
    sims = []
    for k in range(count):
        d = base / f"sim{k}"
        d.mkdir(parents=True)
        log = open(d / "sim.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "xentui", "sim", "--hosts", str(n), "--dir", str(d)],
            stdout=log, stderr=subprocess.STDOUT, cwd=base, start_new_session=True,
        )
        sims.append(Sim(k, n, d, proc))
    deadline = time.monotonic() + 120
    for s in sims:
        while b"Ctrl-C stops" not in (s.dir / "sim.log").read_bytes():
            if s.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"simulator {s.dir} did not start:\n{(s.dir / 'sim.log').read_text()}")
            await asyncio.sleep(0.1)
        config = load_config(s.dir / "pools.toml")
        s.pool = config.pools[0].model_copy(update={"name": f"bench{k}"})
        s.settings = config.settings
    for s in sims:
        await asyncio.gather(*(s.ctl("latency", h, str(LATENCY_MS), str(JITTER_MS)) for h in s.names))
    return sims


def stop_sims(sims: list[Sim]) -> None:
    for s in sims:
        if s.proc.poll() is None:
            s.proc.send_signal(signal.SIGTERM)
    for s in sims:
        try:
            s.proc.wait(10)
        except subprocess.TimeoutExpired:
            s.proc.kill()


def ssh_config_for(sims: list[Sim], base: Path) -> Path:
    """One ssh_config for every simulator, aliases p<k>-plotN (pools reuse host names)."""
    path = base / f"ssh_config_{len(sims)}x{sims[0].n}"
    blocks = []
    for s in sims:
        for block in (s.dir / "ssh_config").read_text().split("Host ")[1:]:
            name, rest = block.split("\n", 1)
            blocks.append(f"Host {s.alias(name.strip())}\n{rest.rstrip()}\n")
    path.write_text("\n".join(blocks))
    return path


# --------------------------------------------------------------------------- the engine


def one_host_pool(s: Sim, name: str) -> PoolConfig:
    return s.pool.model_copy(update={"hosts": [h for h in s.pool.hosts if h.name == name], "name": f"one{s.index}"})


async def engine_probe(sims: list[Sim], pools: list[PoolConfig] | None = None, watch_master_lost: bool = False) -> dict[str, Any]:
    pools = pools or [s.pool for s in sims]
    engines = [PoolEngine(p, sims[0].settings) for p in pools]
    firsts: dict[int, float] = {}
    dirty: set[int] = set()
    started = time.monotonic()

    def listener(k: int):
        return lambda _facts: dirty.add(k)

    async def judge() -> None:
        # Debounced, as a console must: diagnose_pool on 64 hosts costs ~5 ms, and facts arrive ~100 times a second.
        while len(firsts) < len(engines):
            for k in list(dirty):
                dirty.discard(k)
                if k not in firsts and engines[k].diagnose().verdict is Verdict.MASTER_LOST:
                    firsts[k] = time.monotonic() - started
            await asyncio.sleep(0.02)

    cpu0, sim0 = time.process_time(), sum(s.cpu() for s in sims)
    gc.collect()  # the previous phase's engines, thrown away at once (see the notes)
    with LoopWatch() as wd:
        started = time.monotonic()
        judging = asyncio.get_running_loop().create_task(judge()) if watch_master_lost else None
        ds = await asyncio.gather(*(
            e.probe_once(listener(k) if watch_master_lost else None) for k, e in enumerate(engines)
        ))
        seconds = time.monotonic() - started
        if judging is not None:
            judging.cancel()
    cpu, sim_cpu = time.process_time() - cpu0, sum(s.cpu() for s in sims) - sim0
    t = time.perf_counter()
    for _ in range(5):
        engines[0].diagnose()
    out: dict[str, Any] = {
        "seconds": r(seconds),
        "diagnose_ms": r((time.perf_counter() - t) / 5 * 1000, 1),
        "verdicts": sorted({d.verdict.value for d in ds}),
        # when the last host the jump box reaches had its probe complete (the pulled ones end at the connect timeout)
        "reachable_done_s": r(max((f.probe_seconds or 0 for e in engines for f in e.facts.values() if f.reachable), default=0)),
        "hosts_with_verdict_row": sum(len(d.hosts) for d in ds),
        "engine_cpu_s": r(cpu),
        "sim_cpu_s": r(sim_cpu),
        "loop": wd.stats(),
        "peak_rss_mb": peak_rss_mb(),
        "summary": ds[0].summary,
    }
    if watch_master_lost:
        out["master_lost_s"] = r(max(firsts.values())) if len(firsts) == len(engines) else None
        out["recommendation"] = ds[0].recommendation.action.value if ds[0].recommendation else None
    await asyncio.gather(*(e.stop() for e in engines))
    return out


async def one_host(sims: list[Sim], repeat: int = 3) -> dict[str, Any]:
    times = []
    for _ in range(repeat):
        times.append((await engine_probe(sims[:1], [one_host_pool(sims[0], "plot2")]))["seconds"])
    return {"seconds": r(statistics.median(times)), "runs": times}


async def steady_state(sims: list[Sim], duration: float) -> dict[str, Any]:
    engines = [PoolEngine(s.pool, s.settings) for s in sims]
    t_start = time.monotonic()
    for e in engines:
        e.start()
    first = time.time()

    def fresh(f: Any) -> bool:  # this host's first probe is complete: all of its concurrent queries answered
        return all((f.sources[k].at if k in f.sources else 0) >= first for k in ("xapi", "emergency_mode", "pool_list"))

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(fresh(f) for e in engines for f in e.facts.values()):
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)  # the last final publishes
    first_round = time.monotonic() - t_start
    rounds0 = sum(len(a.recent) for e in engines for a in e.activity.values())
    cpu0, sim0, t0 = time.process_time(), sum(s.cpu() for s in sims), time.monotonic()
    verdicts: dict[str, int] = {}

    async def sample() -> None:  # what a console would show, 4 times a second
        while True:
            for e in engines:
                v = e.diagnose().verdict.value
                verdicts[v] = verdicts.get(v, 0) + 1
            await asyncio.sleep(0.25)

    gc.collect()  # the previous phase's engines, thrown away at once (see the notes)
    with LoopWatch() as wd:
        sampler = asyncio.get_running_loop().create_task(sample())
        await asyncio.sleep(duration)
        sampler.cancel()
    elapsed = time.monotonic() - t0
    cpu, sim_cpu = time.process_time() - cpu0, sum(s.cpu() for s in sims) - sim0
    rss = rss_mb()
    commands = sum(len(a.recent) for e in engines for a in e.activity.values()) - rounds0
    await asyncio.gather(*(e.stop() for e in engines))
    return {
        "duration_s": r(elapsed, 1),
        "first_round_s": r(first_round, 1),
        "poll_interval_s": sims[0].settings.poll_interval,
        "engine_cpu_s_per_min": r(cpu / elapsed * 60),
        "sim_cpu_s_per_min": r(sim_cpu / elapsed * 60),
        "loop": wd.stats(),
        "rss_mb": rss,
        "peak_rss_mb": peak_rss_mb(),
        "verdicts_sampled": verdicts,
        "commands_kept": commands,
    }


# --------------------------------------------------------------------------- the field notes' way


async def sequential(config: Path, hosts: list[str]) -> dict[str, Any]:
    started = time.monotonic()
    per_host, outputs, failed = [], 0, 0
    for h in hosts:
        t = time.monotonic()
        p = await asyncio.create_subprocess_exec(
            "timeout", str(SSH_TIMEOUT), "ssh", "-F", str(config), "-o", f"ConnectTimeout={SSH_CONNECT_TIMEOUT}",
            "-o", "BatchMode=yes", h, FIELD_COMMAND,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
        )
        out, _ = await p.communicate()
        per_host.append(time.monotonic() - t)
        outputs += 1
        failed += p.returncode != 0
    return {"seconds": r(time.monotonic() - started), "outputs_to_read": outputs, "failed_or_timed_out": failed,
            "slowest_host_s": r(max(per_host))}


async def parallel_ssh(config: Path, hosts: list[str], base: Path) -> dict[str, Any]:
    hostsfile = base / f"hosts_{len(hosts)}"
    hostsfile.write_text("\n".join(hosts) + "\n")
    started = time.monotonic()
    p = await asyncio.create_subprocess_exec(
        "parallel-ssh", "-h", str(hostsfile), "-p", str(len(hosts)), "-t", str(SSH_TIMEOUT), "-i",
        "-x", f"-F {config} -o ConnectTimeout={SSH_CONNECT_TIMEOUT} -o BatchMode=yes", FIELD_COMMAND,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
    )
    out, _ = await p.communicate()
    text = out.decode(errors="replace")
    return {"seconds": r(time.monotonic() - started),
            "outputs_to_read": text.count("[SUCCESS]") + text.count("[FAILURE]"),
            "failed_or_timed_out": text.count("[FAILURE]"), "output_lines": len(text.splitlines())}


# --------------------------------------------------------------------------- one size


async def measure(sims: list[Sim], base: Path, args: argparse.Namespace) -> dict[str, Any]:
    n = sum(s.n for s in sims)
    config = ssh_config_for(sims, base)
    aliases = [s.alias(h) for s in sims for h in s.names]
    res: dict[str, Any] = {"hosts": n, "pools": len(sims), "loadavg_before": [round(x, 2) for x in os.getloadavg()]}
    log = lambda msg: print(f"[{n:>3} hosts] {msg}", flush=True)  # noqa: E731

    log("warm-up probe (fills the address book, as a console that ran before)")
    res["warmup"] = await engine_probe(sims)
    res["one_host"] = await one_host(sims)
    log(f"one healthy host: {res['one_host']['seconds']} s")

    pulled = [(s, h) for s in sims for h in s.names[7::8]]  # 1/8 of the hosts, never a master
    for s, h in pulled:
        await s.ctl("cable-pull", h)
    res["pulled"] = len(pulled)
    res["full_picture"] = fp = await engine_probe(sims)
    log(f"full picture: {fp['seconds']} s ({fp['verdicts']}), loop max {fp['loop']['max_ms']} ms")
    res["parallel_ssh"] = await parallel_ssh(config, aliases, base)
    log(f"parallel-ssh: {res['parallel_ssh']['seconds']} s")
    if len(sims) == 1 or args.seq_256:
        res["sequential"] = await sequential(config, aliases)
        log(f"sequential ssh: {res['sequential']['seconds']} s")
    for s, h in pulled:
        await s.ctl("cable-restore", h)
    await asyncio.sleep(1)

    for s in sims:
        await s.ctl("cable-pull", "plot1")
    res["master_lost"] = ml = await engine_probe(sims, watch_master_lost=True)
    log(f"master-lost verdict at {ml['master_lost_s']} s (probe done {ml['seconds']} s)")
    res["master_lost_parallel_ssh"] = await parallel_ssh(config, aliases, base)
    log(f"master-lost parallel-ssh: {res['master_lost_parallel_ssh']['seconds']} s")
    if n <= 8:
        res["master_lost_sequential"] = await sequential(config, aliases)
        log(f"master-lost sequential ssh: {res['master_lost_sequential']['seconds']} s")
    for s in sims:
        await s.ctl("cable-restore", "plot1")
    await asyncio.sleep(2)

    duration = args.duration if n <= 64 else max(15.0, args.duration / 2)
    log(f"steady-state polling for {duration:g} s")
    res["steady_state"] = ss = await steady_state(sims, duration)
    log(f"steady state: {ss['engine_cpu_s_per_min']} CPU-s/min, loop p99 {ss['loop']['p99_ms']} ms max {ss['loop']['max_ms']} ms")
    return res


# --------------------------------------------------------------------------- report


def ratio(a: float | None, b: float | None) -> str:
    return "–" if not a or not b else f"{a / b:.1f}x"


def report(results: dict[str, Any]) -> str:
    meta = results["meta"]
    st = meta["settings"]
    lines = [
        "# Proof under load: probe benchmark",
        "",
        f"Measured {meta['date']} on {meta['machine']} ({meta['cpus']} CPUs, Python {meta['python']}), "
        f"one run of `python bench/probe_bench.py{meta['argv']}` ({meta['wall_s']:.0f} s wall). "
        "The machine is shared and noisy (2 cores; other sessions' tests ran at the same time: see the load "
        "averages), so read the figures as one run's, and compare ratios measured in the same run.",
        "",
        f"Every simulated host has {LATENCY_MS} ms ±{JITTER_MS} ms of latency on every packet (each direction). "
        "The simulator runs in separate processes (`xentui sim`), so its CPU is not counted as the engine's "
        "(it is shown apart). Engine settings are the shipped defaults: "
        f"connect {st['connect_timeout']:g} s, command {st['command_timeout']:g} s, reach {st['reach_timeout']:g} s, "
        f"poll every {st['poll_interval']:g} s, at most {st['max_concurrency']} connects at once.",
        "",
        "## Full picture (1/8 of the cables pulled) and master lost",
        "",
        "| hosts | one healthy host | engine: full picture | vs one host (target ≤ 1.5x + connect timeout) | "
        "engine: every reachable host done | vs one host | "
        "parallel-ssh | sequential ssh | master-lost verdict (target 3 s) | parallel-ssh, master lost | "
        "sequential ssh, master lost |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for res in results["sizes"]:
        n = res["hosts"]
        one, fp = res["one_host"]["seconds"], res["full_picture"]["seconds"]
        target = 1.5 * one + st["connect_timeout"]
        seq = res.get("sequential", {}).get("seconds")
        seq_s = f"{seq} s" if seq else f"not run (≈ {res['sequential_estimate_s']:.0f} s)"
        ml = res["master_lost"]["master_lost_s"]
        mls = res.get("master_lost_sequential", {}).get("seconds")
        mls_s = f"{mls} s" if mls else f"not run (≥ {res['master_lost_sequential_estimate_s']:.0f} s)"
        lines.append(
            f"| {n}{' (' + str(res['pools']) + ' pools)' if res['pools'] > 1 else ''} | {one} s | {fp} s | "
            f"{fp / one:.1f}x (1.5 × {one} + {st['connect_timeout']:g} = {target:.1f} s: "
            f"{'met' if fp <= target else 'missed'}) | {res['full_picture']['reachable_done_s']} s | "
            f"{res['full_picture']['reachable_done_s'] / one:.1f}x | "
            f"{res['parallel_ssh']['seconds']} s | {seq_s} | {ml} s (probe done {res['master_lost']['seconds']} s) | "
            f"{res['master_lost_parallel_ssh']['seconds']} s | {mls_s} |"
        )
    lines += [
        "",
        "Ratios (same run):",
        "",
    ]
    for res in results["sizes"]:
        fp = res["full_picture"]["seconds"]
        seq = res.get("sequential", {}).get("seconds") or res["sequential_estimate_s"]
        ml = res["master_lost"]["master_lost_s"]
        mls = res.get("master_lost_sequential", {}).get("seconds") or res["master_lost_sequential_estimate_s"]
        est = "" if res.get("sequential") else " (estimated)"
        lines.append(
            f"* {res['hosts']} hosts: full picture — parallel-ssh takes {ratio(res['parallel_ssh']['seconds'], fp)} "
            f"the engine's time, sequential ssh {ratio(seq, fp)}{est}; master lost — the verdict comes "
            f"{ratio(res['master_lost_parallel_ssh']['seconds'], ml)} sooner than parallel-ssh finishes and "
            f"{ratio(mls, ml)} sooner than the sequential loop{'' if res.get('master_lost_sequential') else ' (estimated)'}; "
            f"parallel-ssh then leaves {res['master_lost_parallel_ssh']['outputs_to_read']} outputs "
            f"({res['master_lost_parallel_ssh']['output_lines']} lines, "
            f"{res['master_lost_parallel_ssh']['failed_or_timed_out']} timed out) for an admin to read and judge; "
            f"the engine's answer is the verdict `{res['master_lost']['verdicts'][0]}` with "
            f"`{res['master_lost']['recommendation']}`."
        )
    lines += [
        "",
        "## Event loop, memory, CPU",
        "",
        "| hosts | loop stall during the full-picture probe (p99 / max) | its own part (p99 / max; target 50 ms) "
        "| during the master-lost probe (p99 / max) | its own part (p99 / max) | "
        "engine CPU for one full probe | simulator CPU for it | peak RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for res in results["sizes"]:
        fp, ml = res["full_picture"], res["master_lost"]
        lines.append(
            f"| {res['hosts']} | {fp['loop']['p99_ms']} / {fp['loop']['max_ms']} ms | "
            f"{fp['loop']['own_p99_ms']} / {fp['loop']['own_max_ms']} ms | "
            f"{ml['loop']['p99_ms']} / {ml['loop']['max_ms']} ms | "
            f"{ml['loop']['own_p99_ms']} / {ml['loop']['own_max_ms']} ms | {fp['engine_cpu_s']} s | {fp['sim_cpu_s']} s | "
            f"{res['steady_state']['peak_rss_mb']} MB |"
        )
    lines += [
        "",
        "Steady-state polling (`PoolEngine.start()`, every host re-probed every "
        f"{st['poll_interval']:g} s over its open connection; measured from the end of the first complete round, "
        "which connects every host):",
        "",
        "| hosts | duration | engine CPU per minute | simulator CPU per minute | loop p50 / p99 / max "
        "(how late a key press can be handled) | samples over 100 ms | RSS | verdicts sampled every 250 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for res in results["sizes"]:
        ss = res["steady_state"]
        lines.append(
            f"| {res['hosts']} | {ss['duration_s']} s | {ss['engine_cpu_s_per_min']} s | {ss['sim_cpu_s_per_min']} s | "
            f"{ss['loop']['p50_ms']} / {ss['loop']['p99_ms']} / {ss['loop']['max_ms']} ms | "
            f"{ss['loop']['over_100ms']} of {ss['loop']['samples']} | {ss['rss_mb']} MB | "
            f"{', '.join(f'{k}: {v}' for k, v in sorted(ss['verdicts_sampled'].items()))} |"
        )
    k64 = next((x for x in results["sizes"] if x["hosts"] == 64), None)
    if k64:
        lp = k64["steady_state"]["loop"]
        lines += [
            "",
            f"**Key press while 64 hosts are polled:** the loop ran a ready callback within {lp['p99_ms']} ms "
            f"at p99 and {lp['max_ms']} ms at worst ({lp['over_100ms']} of {lp['samples']} samples over 100 ms): "
            f"{'within' if lp['p99_ms'] <= 100 else 'NOT within'} the 100 ms target at p99"
            f"{'' if lp['max_ms'] <= 100 else ', not at the worst moment'}.",
        ]
    lines += ["", "## Notes", ""]
    lines += [f"* {note}" for note in results["notes"]]
    lines += [
        "",
        "## How to reproduce",
        "",
        "```sh",
        "apt-get install -y pssh openssh-client   # parallel-ssh, ssh",
        ". .venv/bin/activate",
        "python bench/probe_bench.py              # full run (~10 min): 8, 64 and 4x64 hosts, 60 s of polling",
        "python bench/probe_bench.py --quick      # 15 s of polling",
        "python bench/probe_bench.py --no-256     # skip the four-pool run",
        "```",
        "",
        "It writes this file and `bench/results.json` (every figure, per phase). Each size gets fresh simulator "
        "processes in a temporary directory; latency is set through the simulator's control socket (the "
        "protocol `xentui sim ctl` speaks: one `xentui sim ctl` process per host would take ~0.4 s each).",
        "",
    ]
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    wall0 = time.monotonic()
    sizes = [int(x) for x in args.sizes.split(",")] if args.sizes else [8, 64] + ([256] if not args.no_256 else [])
    results: dict[str, Any] = {"sizes": [], "notes": []}
    base = Path(tempfile.mkdtemp(prefix="xentui-bench-"))
    settings = None
    try:
        for n in sizes:
            count, per = (1, n) if n <= 64 else (n // 64, 64)
            sims = await start_sims(count, per, base / f"n{n}")
            settings = sims[0].settings
            try:
                res = await measure(sims, base / f"n{n}", args)
            finally:
                stop_sims(sims)
            results["sizes"].append(res)
    finally:
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(_CACHE, ignore_errors=True)
    by_n = {x["hosts"]: x for x in results["sizes"]}
    for res in results["sizes"]:
        n = res["hosts"]
        seq64 = by_n.get(64, {}).get("sequential", {}).get("seconds")
        res["sequential_estimate_s"] = (seq64 or 0) * n / 64
        per_host = by_n.get(8, {}).get("master_lost_sequential", {}).get("seconds", 0) / 8
        res["master_lost_sequential_estimate_s"] = per_host * n
    assert settings is not None
    results["meta"] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.system()} {platform.machine()}",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "argv": "".join(" " + a for a in sys.argv[1:]),
        "wall_s": time.monotonic() - wall0,
        "settings": settings.model_dump(mode="json"),
        "ssh": subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip(),
    }
    results["notes"] = notes(results)
    return results


def notes(results: dict[str, Any]) -> list[str]:
    by_n = {x["hosts"]: x for x in results["sizes"]}
    out = [
        "Full picture = `PoolEngine.probe_once()` returned: every host has a verdict row and every probe is done "
        "(the pulled hosts end at the connect timeout, which is why the target allows one timeout on top).",
        "Hosts pulled for the full picture: every 8th (plot8, plot16, …), never the master, so the verdict is "
        "`degraded`. For master lost only plot1 is pulled (in every pool); the engine had probed the pool before "
        "(its address book names the lost master), as a console that was already running would have.",
        f"Field-notes loop: `timeout {SSH_TIMEOUT} ssh -F D/ssh_config -o ConnectTimeout={SSH_CONNECT_TIMEOUT} "
        f"-o BatchMode=yes HOST '{FIELD_COMMAND}'` one host after another; parallel-ssh: `parallel-ssh -h hostsfile "
        f"-p N -t {SSH_TIMEOUT} -i -x \"-F D/ssh_config -o ConnectTimeout={SSH_CONNECT_TIMEOUT} -o BatchMode=yes\"` "
        "(-p N: every host at once, its best case; its default is 32). "
        f"{results['meta']['ssh']}.",
        "With the master's cable pulled, every slave's `xe pool-list` hangs (it waits for the master forever), "
        f"so the field notes' command only ends when `timeout {SSH_TIMEOUT}` / `-t {SSH_TIMEOUT}` kills it; "
        "the engine's master-lost verdict comes from the slaves' own TCP check of the master (reach timeout) "
        "and needs no `xe` answer.",
        "Sequential ssh with the master lost is only run for 8 hosts (the rest would take over 15 minutes); the "
        "larger sizes show an estimate from the 8-host run's time per host. The sequential full picture of the "
        "4x64 run is estimated from the 64-host run (4x).",
        "Loop stall = how much later than asked `asyncio.sleep(0.01)` returned; the console's key handling runs "
        "on the same loop, so the p99 / max is how late a key press can be handled. 'Its own part' takes off the "
        "time the kernel kept the loop's thread waiting for a CPU (`/proc/thread-self/schedstat`): the simulator "
        "processes share the 2 cores, a jump box has no such neighbour; a blocking call or one of the engine's "
        "threads holding the GIL still counts in full.",
        "Each measured phase starts with `gc.collect()`: every phase builds its own engines and drops the last "
        "phase's (64 sessions with their connections at once, which a running console never does), and that "
        "garbage, collected in the middle of the next probe, stalled the loop 86 ms in one gen-2 pass "
        "(22,489 objects; found with per-iteration timing and `gc.callbacks`).",
        "256 hosts run as four pools of 64: four simulator processes, four `PoolEngine`s on one event loop (the "
        "console's way with several pools); its steady-state polling runs for half the duration.",
    ]
    if 64 in by_n and 8 in by_n:
        a, b = by_n[8]["steady_state"], by_n[64]["steady_state"]
        out.append(
            f"Steady-state CPU scales with hosts: {a['engine_cpu_s_per_min']} s/min for 8, "
            f"{b['engine_cpu_s_per_min']} s/min for 64 hosts, with a probe of every host every "
            f"{b['poll_interval_s']:g} s (about {b['engine_cpu_s_per_min'] / 60 * 100:.0f}% of one core at 64)."
        )
    if 64 in by_n:
        out.append(
            f"`diagnose_pool` over 64 hosts takes {by_n[64]['full_picture']['diagnose_ms']} ms here; facts arrive "
            "about a hundred times a second while 64 hosts are probed, so the verdict is recomputed debounced, not "
            "on every update: every 20 ms when something changed here, every 0.2 s in the console (`ui/app.py`)."
        )
    if 8 in by_n:
        ml8 = by_n[8]["master_lost"]["master_lost_s"]
        out.append(
            f"Master lost in {ml8} s on 8 hosts ({'met' if ml8 <= 3 else 'just over the 3 s target'}): an SSH login "
            "(about seven round trips, ~0.8 s at 100 ms RTT), then the slaves' own TCP check of the master address "
            "remembered from the last probe (started at once, alongside the pool.conf read) runs out its reach "
            f"timeout ({results['meta']['settings']['reach_timeout']:g} s). More margin needs a shorter reach timeout "
            "(a setting)."
        )
    if 64 in by_n:
        x = by_n[64]
        out.append(
            f"64 hosts: the engine spends {x['full_picture']['engine_cpu_s']} s of CPU on one full probe, on one core "
            "(one event loop; the simulator has the other); every reachable host is done at "
            f"{x['full_picture']['reachable_done_s']} s. Before this run's engine (bench/results-before-tuning.md "
            "and the previous run: 2.1-2.5 s of CPU, loop stalls of 330-510 ms during the first probe), stack dumps "
            "taken during the stalls showed asyncssh re-parsing the whole ssh_config (576 lines for 64 hosts, "
            "~11 ms of pure-Python shlex per host) on every connect in the default executor: 64 threads holding the "
            "GIL, so every socket call of the loop waited out a switch interval. The engine now builds each host's "
            "options once, on the loop, one host per loop iteration, with the line splitting memoized (2.4 ms a "
            "host), and prefers aes128-gcm (asyncssh builds chacha20 cipher objects per packet). parallel-ssh "
            "spreads 64 OpenSSH processes over both cores; it answers less (one command, no XenAPI, no reach check) "
            "and gives no verdict."
        )
    if 256 in by_n:
        x = by_n[256]
        fp = x["full_picture"]
        cores = (fp["engine_cpu_s"] + fp["sim_cpu_s"]) / fp["seconds"]
        out.append(
            f"256 hosts: the run completes, but this 2-core machine does not cope: one full probe costs "
            f"{fp['engine_cpu_s']} s of engine CPU and {fp['sim_cpu_s']} s of simulator CPU in {fp['seconds']} s "
            f"({cores:.1f} cores on average, with other sessions' load {x['loadavg_before'][0]} on top), and "
            f"steady-state polling of 256 hosts every {x['steady_state']['poll_interval_s']:g} s needs "
            f"{x['steady_state']['engine_cpu_s_per_min']} + {x['steady_state']['sim_cpu_s_per_min']} CPU-s per "
            "minute (engine + simulator). The 256-host figures measure CPU saturation (loop stalls of "
            f"{x['steady_state']['loop']['p99_ms']:.0f} ms p99), not the engine's latency; they need a machine with "
            "more cores, or the simulators on another machine."
        )
    out.append(
        "Engine fixes an earlier run of this benchmark led to: the XenAPI login built a TLS context with the "
        "system CA store for every login (~45 ms of CPU each, GIL held) although it never verifies, and ran in a "
        "4-thread pool, so 64 logins queued in 16 waves (8.3 s to the last answer instead of 5 s) and hung "
        "toolstacks starved healthy hosts into `toolstack-hung`; every new probe's partial facts replaced the "
        "last complete ones, so the verdict flickered (a healthy 8-host pool read `degraded` on 115 of 220 "
        "updates). The 'verdicts sampled' column above checks the last one."
    )
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=60.0, help="seconds of steady-state polling (default 60)")
    p.add_argument("--quick", action="store_true", help="15 s of steady-state polling")
    p.add_argument("--no-256", action="store_true", help="skip 256 hosts (four pools of 64)")
    p.add_argument("--seq-256", action="store_true", help="also run the sequential ssh loop on 256 hosts (~5 min)")
    p.add_argument("--sizes", help="comma-separated host counts (multiples of 64 above 64), e.g. 8 for a dry run")
    p.add_argument("--out", type=Path, default=HERE / "results.md")
    p.add_argument("--report-only", action="store_true", help="rewrite the .md from the .json of the last run")
    args = p.parse_args()
    if args.report_only:
        results = json.loads(args.out.with_suffix(".json").read_text())
        results["notes"] = notes(results)
        args.out.write_text(report(results))
        print(f"wrote {args.out}")
        return 0
    if args.quick:
        args.duration = 15.0
    for tool in ("ssh", "parallel-ssh", "timeout"):
        if shutil.which(tool) is None:
            print(f"probe_bench: {tool} not found (apt-get install -y pssh openssh-client)", file=sys.stderr)
            return 2
    results = asyncio.run(main_async(args))
    args.out.write_text(report(results))
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1))
    print(f"wrote {args.out} and {args.out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
