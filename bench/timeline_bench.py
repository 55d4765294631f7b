"""The timeline's and the report's cost on a big journal (issue 25 point 1). A script, not a test.

    python bench/timeline_bench.py [--events 100000] [--reps 3]

Builds a journal of N events by repeating the recorded run of tests/golden (a healthy
pool, its master's cable pulled, promote + recover: host views, verdicts with the facts
of 8 hosts, commands), then measures:

* `xentui report` on it, as its own process: wall time and peak RSS (wait4's ru_maxrss),
  the median of --reps runs;
* the console's timeline (`TimelineScreen`, headless in a Textual app): the time from the
  screen being pushed to its first page on screen, the time to read the whole journal,
  the event loop's worst stall meanwhile (`loopwatch`: the time the loop itself caused),
  and the process's RSS growth while the lines are held.

Writes its section of bench/results.md (between the `timeline-bench` markers; the rest
of the file is the probe benchmark's) and prints it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from sections import write_section  # bench/sections.py: the script's own section of results.md

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GOLDEN = ROOT / "tests" / "golden"
GOALS = {"report_s": 2.0, "report_mb": 200.0, "first_page_s": 0.3}


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def build(tmp: Path, n: int) -> tuple[Path, Path, Path]:
    from xentui.devtools.journal_sample import write_repeated_journal

    events = [json.loads(ln) for ln in (GOLDEN / "report-journal.jsonl").read_text().splitlines()]
    audit = [json.loads(ln) for ln in (GOLDEN / "report-audit.jsonl").read_text().splitlines()]
    journal, audit_path = tmp / "journal-sim.jsonl", tmp / "audit.jsonl"
    write_repeated_journal(events, audit, n, journal, audit_path)
    config = tmp / "pools.toml"
    hosts = ", ".join(f'"plot{i}"' for i in range(1, 9))
    config.write_text(f'[settings]\naudit_file = "{audit_path}"\n\n[[pool]]\nname = "sim"\nhosts = [{hosts}]\n')
    return journal, audit_path, config


def report_run(config: Path) -> tuple[float, float, int, float]:
    """(wall s, peak RSS MB, bytes printed, CPU s) of one `xentui report` process."""
    t = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([sys.executable, "-m", "xentui", "report", "--config", str(config)], stdout=out)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t
        size = out.tell()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"xentui report failed: {status}")
    return wall, usage.ru_maxrss / 1024, size, usage.ru_utime + usage.ru_stime


async def timeline_run(journal: Path, audit: Path) -> dict[str, float]:
    from textual.app import App

    from xentui.devtools.loopwatch import LoopWatch
    from xentui.trail.report import read_timeline
    from xentui.ui.screens.timeline import TimelineScreen

    hosts = [f"plot{i}" for i in range(1, 9)]
    screen = TimelineScreen(partial(read_timeline, "sim", journal, audit, hosts, UTC))
    app: App[None] = App()
    figures: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        before = rss_mb()
        async with LoopWatch() as watch:
            t = time.monotonic()
            app.push_screen(screen)
            while screen.shown_page is None:
                await asyncio.sleep(0.002)
            figures["first_page_s"] = time.monotonic() - t
            while not screen.done:
                await asyncio.sleep(0.01)
            figures["all_read_s"] = time.monotonic() - t
        figures["lines"] = len(screen.lines)
        figures["rss_growth_mb"] = rss_mb() - before
        stats = watch.stats()
        figures["loop_own_max_ms"] = stats["own_max_ms"]
        figures["loop_own_p99_ms"] = stats["own_p99_ms"]
        figures["loop_late_max_ms"] = stats["max_ms"]
        t = time.monotonic()
        await pilot.press("l")  # the last page, drawn
        figures["last_page_s"] = time.monotonic() - t
    return figures


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def section(n: int, journal: Path, reps: list[tuple[float, float, int, float]], tl: list[dict[str, float]],
            load_before: float) -> str:
    wall = statistics.median(r[0] for r in reps)
    cpu = statistics.median(r[3] for r in reps)
    mem = max(r[1] for r in reps)
    first = statistics.median(x["first_page_s"] for x in tl)
    read_all = statistics.median(x["all_read_s"] for x in tl)
    stall = max(x["loop_own_max_ms"] for x in tl)
    growth = max(x["rss_growth_mb"] for x in tl)
    load = os.getloadavg()[0]

    def met(ok: bool) -> str:
        return "met" if ok else "**not met**"

    commit = git("rev-parse", "--short", "HEAD")
    dirty = " (with uncommitted changes)" if git("status", "--porcelain", "--", "src") else ""
    lines = [
        "## The timeline and the report on a big journal (issue 25)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit `{commit}`{dirty} on {platform.system()} "
        f"{platform.machine()} ({os.cpu_count()} CPUs, Python {platform.python_version()}), 1-minute load "
        f"average {load_before:.2f} at the start and {load:.2f} at the end (the machine is shared: wall times "
        f"stretch with the load, CPU times much less), by `python bench/timeline_bench.py --events {n} --reps {len(reps)}`: "
        f"a journal of {n:,} events ({journal.stat().st_size / 1e6:.0f} MB; the recorded run of tests/golden "
        f"repeated: host views, verdicts with the facts of 8 hosts, commands).",
        "",
        "| goal | target | measured | |",
        "|---|---|---|---|",
        f"| `xentui report`: wall time (median of {len(reps)}) | ≤ {GOALS['report_s']:g} s | {wall:.2f} s | "
        f"{met(wall <= GOALS['report_s'])} |",
        f"| `xentui report`: CPU time, user + system (median of {len(reps)}) | – | {cpu:.2f} s | |",
        f"| `xentui report`: peak RSS (worst of {len(reps)}) | ≤ {GOALS['report_mb']:g} MB | {mem:.0f} MB | "
        f"{met(mem <= GOALS['report_mb'])} |",
        f"| timeline (`j`): first page on screen (median of {len(tl)}) | ≤ {GOALS['first_page_s']:g} s | "
        f"{first:.3f} s | {met(first <= GOALS['first_page_s'])} |",
        "",
        "| timeline, more | measured |",
        "|---|---|",
        f"| lines read (every host change, verdict, command, incident mark) | {int(tl[0]['lines']):,} |",
        f"| the whole journal read, in the worker thread (median) | {read_all:.2f} s |",
        f"| the event loop's worst stall meanwhile (its own, `loopwatch`) | {stall:.0f} ms |",
        f"| RSS growth while the lines are held (worst) | {growth:.0f} MB |",
        f"| `l`: the last page drawn (median) | {statistics.median(x['last_page_s'] for x in tl):.3f} s |",
        f"| `xentui report`: Markdown printed | {reps[0][2] / 1e6:.1f} MB |",
        "",
        "Before (issue 25): the console rendered the whole report as one Textual Markdown document on the "
        "event loop; a journal of about 2,600 events froze it for 22.6 s and took it to about 590 MB. "
        "The report read the whole journal and kept every event with its facts.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--out", type=Path, default=HERE / "results.md")
    args = p.parse_args()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as d:
        journal, audit, config = build(Path(d), args.events)
        reps = [report_run(config) for _ in range(args.reps)]
        tl = [asyncio.run(timeline_run(journal, audit)) for _ in range(args.reps)]
        text = section(args.events, journal, reps, tl, load_before)
    write_section(args.out, "timeline-bench", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
