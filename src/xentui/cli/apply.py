"""`xentui apply PLANFILE`: run a plan saved by `xentui plan --json`, through the one runner.

In the order a script can rely on:

1. `--read-only` (or `read_only = true` in [settings]): refused before anything, exit 5;
2. the file must be a plan saved by `xentui plan --json` for this pool (exit 2 otherwise);
3. the pool is probed again and the fingerprint of the facts the plan was made
   from is compared: a change that matters (verdict, who acts as master, the
   candidate, a host's reach / role / master / UUID) refuses it, each change
   said in words (exit 3): make a new plan;
4. the runner (actions/runner.py, PlanRunner) runs it: the pool's lease
   (someone else's live lease refuses it naming the holder, exit 4;
   `--take-over WHO` takes it over when WHO names the holder), the guard rails
   (exit 6 when they refuse), a confirmation per dangerous step — `--yes` for
   scripts, otherwise the operator types the step's host name —, `--dry-run`,
   the audit, and the read-back of every step (exit 0 only when every step's
   effect was read back; 1 otherwise).

Exit codes (`EXIT`): 0 done and read back (or dry run listed), 1 a step failed,
was declined or its effect not seen, 2 bad plan file or config, 3 the pool
changed since the plan, 4 the lease is held by someone else (or not on a
majority), 5 read-only, 6 refused by the guard rails / plan blocked, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xentui.actions.runner import Progress
    from xentui.actions.lease import LeaseRecord
    from xentui.actions.plan import Plan, Step
    from xentui.core.config import Config, PoolConfig
    from xentui.diagnosis import Diagnosis

__all__ = ["EXIT", "apply", "main", "load_plan_file"]

EXIT = {
    "done": 0,
    "incomplete": 1,
    "bad-input": 2,
    "stale": 3,
    "lease": 4,
    "read-only": 5,
    "refused": 6,
    "interrupted": 130,
}


class PlanFileError(Exception):
    pass


def load_plan_file(path: Path) -> tuple[Plan, dict[str, Any], str]:
    """(the plan, the fingerprint saved with it, its pool) from a `xentui plan --json` file."""
    from pydantic import ValidationError

    from xentui.actions.fingerprint import SAVED_FORMAT
    from xentui.actions.plan import Plan

    try:
        doc = json.loads(Path(path).read_text())
    except OSError as e:
        raise PlanFileError(f"{path}: {e.strerror or e}") from None
    except ValueError as e:
        raise PlanFileError(f"{path}: not JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != SAVED_FORMAT or "plan" not in doc or "fingerprint" not in doc:
        raise PlanFileError(f"{path}: not a plan saved by `xentui plan --json` (format {SAVED_FORMAT})")
    try:
        plan = Plan.model_validate(doc["plan"])
    except ValidationError as e:
        raise PlanFileError(f"{path}: the plan does not read back: {e.errors()[0]['msg']}") from None
    fp = doc["fingerprint"]
    if not isinstance(fp, dict) or not isinstance(fp.get("facts"), dict):
        raise PlanFileError(f"{path}: the plan has no fingerprint of its facts")
    return plan, fp, str(doc.get("pool") or plan.pool)


def _say(text: str) -> None:
    print(text, flush=True)


def _ask(prompt: str) -> str | None:
    """A line typed on the terminal (None without one, or at end of input)."""
    try:
        sys.stderr.write(prompt)
        sys.stderr.flush()
        line = sys.stdin.readline()
    except (OSError, ValueError):
        return None
    return line.strip() if line else None


def confirm_step(yes: bool):  # type: ignore[no-untyped-def]
    async def confirm(step: Step) -> bool:
        if yes and not step.typed:
            _say(f"confirmed by --yes: on {step.host}: {step.command}")
            return True
        if yes:  # an attestation is the admin's own word: --yes does not give it
            _say(f"--yes does not cover this step: type {step.host} yourself ({step.command})")
        typed = await asyncio.to_thread(
            _ask, f"About to run on {step.host}:\n  {step.command}\n  {step.why}\nType {step.host} to run it: "
        )
        return typed == step.host

    return confirm


def take_over_check(who: str | None):  # type: ignore[no-untyped-def]
    """`--take-over WHO`: yes only when WHO names the holder (their login, or login@jump box)."""

    def take_over(record: LeaseRecord) -> bool:
        if who is None:
            return False
        ok = who in (record.operator, record.who())
        _say(f"lease held by {record.who()}: " + ("taking it over (--take-over)" if ok else f"--take-over {who!r} does not name them"))
        return ok

    return take_over


def _progress(ev: Progress) -> None:
    if ev.phase in ("confirm", "running", "failed", "lease") or (ev.phase == "done" and ev.step is not None):
        where = f"[{ev.step + 1}/{ev.total}] " if ev.step is not None else ""
        _say(f"{where}{ev.phase}: {ev.message}")


async def _apply(args: argparse.Namespace, config: Config, pool: PoolConfig, plan: Plan, saved: dict[str, Any]) -> int:
    from xentui.actions.runner import PlanRunner
    from xentui.actions.fingerprint import pool_fingerprint, what_changed
    from xentui.trail.audit import AuditLog
    from xentui.engine.pool import PoolEngine
    from xentui.engine.secrets import fetch_password

    engine = PoolEngine(pool, config.settings, password=await fetch_password(pool, config.settings))
    try:

        def changed(d: Diagnosis) -> str | None:
            """None when the pool is as the plan saw it; else what changed, in words."""
            now = pool_fingerprint(engine.facts, d)
            if now["digest"] == saved.get("digest"):
                return None
            lines = what_changed(saved["facts"], now["facts"]) or ["the facts' fingerprint differs"]
            return ("the pool changed since the plan was made (make a new plan: xentui plan --json): "
                    + "; ".join(lines) + f". Now: {d.summary}")

        why = changed(await engine.probe_once())  # before the lease: a stale plan takes nothing
        if why is not None:
            _say(f"refused: {why}")
            return EXIT["stale"]
        runner = PlanRunner(
            engine, AuditLog(config.settings.audit_path), confirm_step(args.yes), dry_run=args.dry_run,
            fuse=config.settings.toolstack_fuse, on_progress=_progress, take_over=take_over_check(args.take_over),
            recheck=changed,  # and again once the lease holds: a change made just before is seen
        )
        report = await runner.run(plan)
    finally:
        await engine.stop()
    _say(report.text())
    if report.refused == "stale":
        return EXIT["stale"]
    if report.refused == "lease":
        h = report.holder
        who = f"{h['operator']}@{h['jump_box']} (plan {h['plan']!r})" if h else "the lease is not held on a majority"
        print(f"xentui apply: refused: {who}", file=sys.stderr)
        return EXIT["lease"]
    if report.refused == "read-only":
        return EXIT["read-only"]
    if report.refused == "blocked" or (not report.ran and any(r.status.value == "refused" for r in report.results)):
        return EXIT["refused"]
    if args.dry_run:
        return EXIT["done"]
    return EXIT["done"] if report.complete or not report.results else EXIT["incomplete"]


def apply(args: argparse.Namespace, config: Config, pool_of: Any) -> int:
    """`pool_of(name)`: the config's pool by name (cli.py hands in the loaded config's)."""
    if args.read_only or config.settings.read_only:
        why = "--read-only" if args.read_only else "read_only = true in [settings]"
        print(f"xentui apply: refused: read-only ({why}): this xentui watches and changes nothing", file=sys.stderr)
        return EXIT["read-only"]
    try:
        plan, saved, pool_name = load_plan_file(Path(args.planfile))
    except PlanFileError as e:
        print(f"xentui apply: {e}", file=sys.stderr)
        return EXIT["bad-input"]
    pool = pool_of(getattr(args, "pool", None) or pool_name or None)
    if plan.pool and pool.name != plan.pool:
        print(f"xentui apply: the plan is for pool {plan.pool!r}, not {pool.name!r}", file=sys.stderr)
        return EXIT["bad-input"]
    try:
        return asyncio.run(_apply(args, config, pool, plan, saved))
    except KeyboardInterrupt:
        return EXIT["interrupted"]


def main(args: argparse.Namespace) -> int:
    """`xentui apply PLANFILE`."""
    from xentui.cli.common import with_overrides
    from xentui.core.config import find_config, load_config

    config = with_overrides(load_config(find_config(args.config)), args)
    return apply(args, config, config.pool)
