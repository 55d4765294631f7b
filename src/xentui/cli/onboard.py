"""`xentui onboard --check HOST [--json]`: the pre-join checks without a screen, changing nothing.

Reads the pool master (the one the diagnosis names) and HOST exactly as the
console's onboarding does (:func:`xentui.actions.onboard.gather_host_profile`),
runs :func:`prejoin_checks`, and prints one line per check with the xapi check
it mirrors, then the verdict. Never trusts a host key, never uploads, applies
or joins. Exit status, for change tickets and scripts:

* 0 — the join may proceed (no check blocks, every fact read);
* 1 — a check blocks (each missing update is named with the file it needs);
* 3 — facts missing: one line per cause (host, command, the line that failed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from xentui.actions.onboard import (
    HostProfile,
    JoinCheck,
    JoinStatus,
    blocking,
    connect_new_host,
    file_needed,
    gather_failures,
    gather_host_profile,
    missing_updates,
    not_checked,
    not_mirrored,
    prejoin_checks,
)
from xentui.core.config import Config, HostEntry, PoolConfig
from xentui.engine.pool import PoolEngine
from xentui.engine.secrets import pool_password
from xentui.engine.sessions import HostTarget

EXIT_MAY_JOIN, EXIT_BLOCKED, EXIT_FACTS_MISSING = 0, 1, 3
_MARK = {JoinStatus.PASS: "pass ", JoinStatus.BLOCK: "BLOCK", JoinStatus.WARN: "warn ",
         JoinStatus.NOT_CHECKED: "-    "}


class CheckOutcome:
    """What the check found: the verdict, its exit status and everything said."""

    def __init__(self, host: str, pool: str) -> None:
        self.host, self.pool = host, pool
        self.master: str | None = None
        self.failures: list[str] = []
        self.checks: list[JoinCheck] = []
        self.needs: list[dict[str, str]] = []
        self.unmirrored: tuple[str, ...] = ()

    @property
    def exit_status(self) -> int:
        if blocking(self.checks):
            return EXIT_BLOCKED
        if self.failures or not_checked(self.checks) or not self.checks:
            return EXIT_FACTS_MISSING
        return EXIT_MAY_JOIN

    @property
    def verdict(self) -> str:
        return {EXIT_MAY_JOIN: "may-join", EXIT_BLOCKED: "blocked", EXIT_FACTS_MISSING: "facts-missing"}[
            self.exit_status]

    def as_json(self) -> dict[str, Any]:
        return {"host": self.host, "pool": self.pool, "master": self.master, "verdict": self.verdict,
                "exit_status": self.exit_status, "facts_missing": self.failures,
                "checks": [c.model_dump(mode="json") for c in self.checks], "missing_updates": self.needs,
                "not_mirrored": list(self.unmirrored)}

    def text(self) -> str:
        lines = [f"onboard check: {self.host} into pool {self.pool}"
                 + (f" (master {self.master})" if self.master else "")]
        lines += [f"facts missing: {f}" for f in self.failures]
        for c in self.checks:
            line = f"  {_MARK[c.status]} {c.name} [xapi {c.xapi_check}]"
            if c.status is JoinStatus.NOT_CHECKED:
                line += f": {c.advice}"
            elif c.status is not JoinStatus.PASS:
                line += f" {c.code or ''}: {c.new_value} / pool {c.pool_value} — {c.advice}"
            lines.append(line)
        lines += [f"  needs {n['name_label']} {n['version']}: file {n['file']}" for n in self.needs]
        if self.unmirrored:
            lines.append("  not mirrored here (xapi still checks them at the join): " + ", ".join(self.unmirrored))
        blocks = blocking(self.checks)
        lines.append(
            "verdict: the join may proceed" if self.exit_status == EXIT_MAY_JOIN else
            "verdict: blocked by " + ", ".join(c.name for c in blocks) if blocks else
            "verdict: facts missing — not checked")
        return "\n".join(lines)


def _target(pool: PoolConfig, host: str, password: str | None) -> HostTarget:
    entry = HostEntry.parse(host)
    return HostTarget(name=entry.name, host=entry.host, port=entry.port or pool.port, user=pool.user,
                      identity=pool.identity, known_hosts=pool.known_hosts, ssh_config=pool.ssh_config,
                      password=password)


async def check_host(config: Config, pool: PoolConfig, host: str) -> CheckOutcome:
    """Read the pool master and ``host``, run the checks; changes nothing anywhere."""
    out = CheckOutcome(host, pool.name)
    engine = PoolEngine(pool, config.settings, remember=False)
    timeout = config.settings.command_timeout
    conn = None
    try:
        d = await engine.probe_once()
        if d.master is None:
            out.failures.append(f"pool {pool.name}: no master answers ({d.summary})")
            return out
        out.master = d.master.name
        conn = await connect_new_host(_target(pool, host, pool_password(pool)), config.settings.connect_timeout)
        if not conn.connected:
            out.failures.append(f"{host}: ssh: {conn.error or conn.state}")
            return out
        new, master = await asyncio.gather(gather_host_profile(conn.session, timeout),
                                           gather_host_profile(engine.sessions[d.master.name], timeout))
        _judge(out, new, master)
        return out
    finally:
        if conn is not None:
            await conn.session.close()
        await engine.stop()


def _judge(out: CheckOutcome, new: HostProfile, master: HostProfile) -> None:
    out.failures = gather_failures(new, master)
    out.checks = prejoin_checks(new, master)
    out.unmirrored = not_mirrored(master)
    if any(c.name == "updates" and c.status is JoinStatus.BLOCK for c in out.checks):
        out.needs = [{"name_label": u.name_label, "version": u.version, "uuid": u.uuid, "file": file_needed(u)}
                     for u in missing_updates(new, master)]


def run(args: argparse.Namespace, config: Config, pool: PoolConfig) -> int:
    out = asyncio.run(check_host(config, pool, args.check))
    print(json.dumps(out.as_json(), indent=2) if args.json else out.text())
    return out.exit_status


def main(args: argparse.Namespace) -> int:
    """`xentui onboard --check HOST`: the pre-join checks, no screen, no change."""
    from xentui.cli.common import load_pool, with_overrides

    config, pool = load_pool(args)
    return run(args, with_overrides(config, args), pool)
