"""`tools/truth_check.py`: run many seeded timelines (in worker processes) and write the figures."""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from xentui.devtools.truth_check import CHECK_SETTINGS, Step, TimelineResult, plan_timeline, run_timeline


def _one(seed: int) -> dict[str, Any]:
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="truth-cache-")
    r = asyncio.run(run_timeline(seed))
    return _as_dict(r)


def _as_dict(r: TimelineResult) -> dict[str, Any]:
    return {
        "seed": r.seed,
        "steps": [s.text() for s in r.steps],
        "claims": r.claims,
        "wrong": [w.__dict__ for w in r.wrong],
        "time_to_right": r.time_to_right,
        "unknown_seconds": r.unknown_seconds,
        "seconds": r.seconds,
        "verdicts": r.verdicts,
        "forget_advice": r.forget_advice,
    }


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))] if xs else float("nan")


def figures(results: list[dict[str, Any]], wall: float, parallel: int) -> str:
    claims = sum(r["claims"] for r in results)
    wrong = [w for r in results for w in r["wrong"]]
    per_kind: dict[str, list[float]] = {}
    for r in results:
        for k, xs in r["time_to_right"].items():
            per_kind.setdefault(k, []).extend(xs)
    unknown = sum(r["unknown_seconds"] for r in results)
    total = sum(r["seconds"] for r in results)
    lines = [
        f"Timelines run: {len(results)} (seeds {min(r['seed'] for r in results)}–{max(r['seed'] for r in results)}, "
        f"8 hosts, 2–6 faults and actions each), {parallel} at a time, {wall:.0f} s wall.",
        f"Claims checked (each distinct verdict with its Next: and Never now: lines): {claims}.",
        f"Wrong claims: **{len(wrong)}**" + (f" (seeds {sorted({w['seed'] for w in wrong})})" if wrong else "") + ".",
        f"Time spent UNKNOWN: {unknown:.0f} s of {total:.0f} s ({100 * unknown / max(total, 1):.1f} %).",
        "",
        "| fault or action | count | time to the right verdict p50 | p95 |",
        "|---|---|---|---|",
    ]
    for k in sorted(per_kind):
        xs = per_kind[k]
        lines.append(f"| {k} | {len(xs)} | {_pct(xs, 0.5):.1f} s | {_pct(xs, 0.95):.1f} s |")
    return "\n".join(lines)


def starve(seconds: float, seed: int = 1) -> dict[str, Any]:
    """A healthy pool, the client starved of CPU for `seconds`: busy neighbours all along, and the loop
    blocked ~1 s every few seconds. Every claim must be HEALTHY or UNKNOWN, with no forget-advice."""
    rng = random.Random(seed)
    steps: list[Step] = [Step(0.5, "busy", None, seconds)]
    t = 1.0
    while t < seconds:
        steps.append(Step(t, "block-loop", None, round(rng.uniform(0.8, 1.2), 2)))
        t += rng.uniform(3.0, 12.0)
    r = asyncio.run(run_timeline(seed, steps=steps, tail=2.0))
    return _as_dict(r)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seed", type=int, help="replay one timeline")
    p.add_argument("--timelines", type=int, default=300)
    p.add_argument("--first-seed", type=int, default=1)
    p.add_argument("--parallel", type=int, default=max(2, (os.cpu_count() or 2)))
    p.add_argument("--starve", type=float, help="a healthy pool, the client starved of CPU for S seconds")
    p.add_argument("--results", default="bench/results.md", help="where the figures go (a section is replaced)")
    p.add_argument("--json", help="write every timeline's result here")
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args(argv)
    if a.seed is not None:
        print(f"seed {a.seed}:")
        for s in plan_timeline(a.seed):
            print("  " + s.text())
        os.environ.setdefault("XDG_CACHE_HOME", tempfile.mkdtemp(prefix="truth-cache-"))
        r = asyncio.run(run_timeline(a.seed, log=print if a.verbose else None))
        print(f"claims {r.claims}, wrong {len(r.wrong)}, unknown {r.unknown_seconds:.1f} s of {r.seconds:.1f} s")
        for w in r.wrong:
            print(f"  WRONG at {w.at} s: {w.why}\n    {w.claim}")
        return 1 if r.wrong else 0
    if a.starve is not None:
        os.environ.setdefault("XDG_CACHE_HOME", tempfile.mkdtemp(prefix="truth-cache-"))
        r = starve(a.starve)
        others = {v: n for v, n in r["verdicts"].items() if v not in ("healthy", "unknown")}
        ok = not r["wrong"] and not others and not r["forget_advice"]
        text = (
            f"A healthy pool, the client starved of CPU for {a.starve:.0f} s (two busy neighbour processes all "
            f"along, the event loop blocked ~1 s {len(r['steps']) - 1} times): {r['claims']} claims, verdicts "
            f"{r['verdicts']}, forget-advice in {r['forget_advice']} claims, {len(r['wrong'])} wrong, "
            f"{r['unknown_seconds']:.1f} s UNKNOWN of {r['seconds']:.0f} s: **{'met' if ok else 'NOT met'}**."
        )
        print(text)
        for w in r["wrong"][:10]:
            print(f"    at {w['at']} s: {w['why']}\n      {w['claim'][:300]}")
        _write_section(Path(a.results), "Client starved of CPU", text)
        return 0 if ok else 1
    seeds = list(range(a.first_seed, a.first_seed + a.timelines))
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(a.parallel, maxtasksperchild=10) as pool:
        for r in pool.imap_unordered(_one, seeds):
            results.append(r)
            mark = f"WRONG {len(r['wrong'])}" if r["wrong"] else "ok"
            print(f"[{len(results)}/{len(seeds)}] seed {r['seed']}: {r['claims']} claims, {mark} ({r['seconds']:.0f} s)", flush=True)
            for w in r["wrong"]:
                print(f"    at {w['at']} s: {w['why']}\n      {w['claim'][:300]}", flush=True)
    wall = time.monotonic() - started
    text = figures(sorted(results, key=lambda r: r["seed"]), wall, a.parallel)
    print(text)
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))
    _write_section(Path(a.results), "Every claim against the truth", text)
    return 1 if any(r["wrong"] for r in results) else 0


def _write_section(path: Path, title: str, body: str) -> None:
    """Replace (or append) the section `## title` of the results file."""
    head = f"## {title}"
    block = f"{head}\n\n(`tools/truth_check.py`, settings {CHECK_SETTINGS}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n\n{body}\n"
    text = path.read_text() if path.exists() else ""
    if head in text:
        before, _, rest = text.partition(head)
        nxt = rest.find("\n## ")
        after = rest[nxt + 1:] if nxt >= 0 else ""
        text = before + block + ("\n" + after if after else "")
    else:
        text = text.rstrip() + "\n\n" + block
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
