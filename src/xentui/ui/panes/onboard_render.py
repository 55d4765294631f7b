"""How the onboarding checks and steps read on screen: pure functions that return Rich renderables.

`checks_verdict` (one line: what blocks the join), `checks_summary`,
`checks_table` (both hosts' values side by side, the force-skippable ones
marked), `updates_table` (the updates that differ), `step_text` (each command
with its output); and what each step of the wizard says: `intro_text`,
`connection_text`, `files_intro`, `level_text`, `join_text`, `config_offer_text`,
and `next_text` (the fixed verdict and next step, from the wizard's state). The
onboarding pane (`onboard.OnboardScreen`) composes them; they are tested without an app.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from xentui.actions.onboard import (
    FORCE_SKIPPABLE,
    HostProfile,
    JoinCheck,
    JoinReport,
    JoinStatus,
    LevelReport,
    NewHostConnection,
    StepOutput,
    UpdateDiff,
    UpdateInfo,
    blocking,
    file_needed,
    gather_failures,
    join_refusal,
    not_checked,
    trust_command,
)
from xentui.actions.onboard.wizard import Stage, Wizard
from xentui.core.config import Config, HostEntry
from xentui.xe import commands as xc
from xentui.ui.theme import BAD, GOOD, MUTED, WARN

__all__ = [
    "STATUS_MARK", "STATUS_STYLE", "checks_summary", "checks_table", "checks_verdict", "config_offer_text",
    "connection_text", "files_intro", "intro_text", "join_text", "level_text", "next_text", "step_text",
    "updates_table",
]

STATUS_STYLE = {JoinStatus.PASS: GOOD, JoinStatus.BLOCK: BAD, JoinStatus.WARN: WARN, JoinStatus.NOT_CHECKED: MUTED}
STATUS_MARK = {JoinStatus.PASS: "✓ pass", JoinStatus.BLOCK: "✗ block", JoinStatus.WARN: "! warn",
               JoinStatus.NOT_CHECKED: "- not checked"}


def checks_verdict(checks: list[JoinCheck], failures: list[str] | None = None) -> Text:
    """One line: how many checks block the join (and which), or that some were not checked, or none blocks."""
    blocks = blocking(checks)
    head = Text()
    if blocks:
        head.append(f"✗ {len(blocks)} check(s) block the join: ", style=f"bold {BAD}")
        head.append(", ".join(c.name for c in blocks))
    elif failures or not_checked(checks):
        head.append(f"- {len(not_checked(checks))} check(s) not checked (facts missing): the join waits for them",
                    style=f"bold {WARN}")
    else:
        head.append("✓ no check blocks the join", style=f"bold {GOOD}")
    return head


def checks_summary(checks: list[JoinCheck], failures: list[str] | None = None) -> RenderableType:
    """The gather failures, one line each and once; one line (how many checks block); then what
    to do for every check that blocks or warns (the checks not checked say only that, in the table)."""
    parts: list[RenderableType] = []
    for f in failures or []:
        t = Text("✗ facts missing: ", style=f"bold {BAD}")
        t.append(f)
        parts.append(t)
    parts.append(checks_verdict(checks, failures))
    for c in checks:
        if c.status in (JoinStatus.PASS, JoinStatus.NOT_CHECKED) or not c.advice:
            continue
        t = Text()
        t.append(f"{STATUS_MARK[c.status]} {c.name}: ", style=f"bold {STATUS_STYLE[c.status]}")
        if c.code and c.code not in c.advice:
            t.append(f"({c.code}) ", style=MUTED)
        t.append(c.advice)
        parts.append(t)
    return Group(*parts)


def checks_table(checks: list[JoinCheck], new_name: str, pool_name: str,
                 unmirrored: tuple[str, ...] = ()) -> RenderableType:
    """The pre-join checks: status, both values, force-skippable marker (⚑), and the force note."""
    table = Table(box=None, padding=(0, 1), show_edge=False, expand=True, header_style="bold")
    width = max([len("check")] + [len(c.name) + (2 if c.force_skippable else 0) for c in checks])
    table.add_column("check", no_wrap=True, width=width)
    table.add_column("", no_wrap=True, width=max(len(STATUS_MARK[c.status]) for c in checks) if checks else 7)
    table.add_column(new_name, ratio=1, overflow="fold")
    table.add_column(pool_name, ratio=1, overflow="fold")
    for c in checks:
        name = Text(c.name)
        if c.force_skippable:
            name.append(" ⚑", style=WARN)
        table.add_row(name, Text(STATUS_MARK[c.status], style=STATUS_STYLE[c.status]), c.new_value, c.pool_value)
    parts: list[RenderableType] = [table]
    failing_skippable = [c.name for c in checks if c.force_skippable and c.status is not JoinStatus.PASS]
    note = Text("⚑ ", style=WARN)
    note.append(f"force=true would skip only: {', '.join(sorted(FORCE_SKIPPABLE))}"
                + (f" (failing now: {', '.join(failing_skippable)})" if failing_skippable else " (both pass now)")
                + ". This console never passes force.", style=MUTED)
    parts.append(note)
    if unmirrored:
        parts.append(Text("not mirrored here (xapi still checks them at the join): " + ", ".join(unmirrored),
                          style=MUTED))
    return Group(*parts)


def updates_table(rows: list[UpdateDiff], new_name: str) -> RenderableType:
    """The updates that differ: the pool has and the new host lacks, the reverse, other versions."""
    if not rows:
        return Text("updates: the same on both sides", style=GOOD)
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold", title=None)
    table.add_column("update that differs", no_wrap=True)
    table.add_column("pool master", no_wrap=True)
    table.add_column(new_name, no_wrap=True)
    table.add_column("", overflow="fold")
    what = {
        "missing-on-new": f"the pool has it, {new_name} lacks it",
        "only-on-new": f"{new_name} has it, the pool lacks it",
        "version-differs": "different versions",
    }
    for d in rows:
        style = BAD if d.enforce_homogeneity else WARN
        table.add_row(Text(d.name_label, style="bold"), d.pool_version or "—", d.new_version or "—",
                      Text(what[d.where] + ("" if d.enforce_homogeneity else " (not enforced)"), style=style))
    return table


def step_text(steps: list[StepOutput]) -> Text:
    t = Text()
    for s in steps:
        t.append("✓ " if s.ok else "✗ ", style=GOOD if s.ok else BAD)
        t.append(f"{s.what}", style="bold")
        t.append(f"  {s.duration_s:.1f} s\n", style=MUTED)
        t.append(f"  $ {s.command}\n", style=MUTED)
        out = [ln for ln in (s.stdout + "\n" + s.stderr).splitlines() if ln.strip()]
        for ln in out[:4]:
            t.append(f"  {ln}\n")
        if s.error and s.error not in s.stdout + s.stderr:
            t.append(f"  {s.error}\n", style=BAD)
    return t


# --------------------------------------------------------------------------- the wizard's steps
def intro_text(pool: str, master: str | None, *, live: bool, dry_run: bool) -> Text:
    t = Text()
    t.append("Bring a standalone host into pool ")
    t.append(pool, style="bold")
    if master:
        t.append(f" (master {master}).")
    else:
        t.append(". ")
        t.append("No master is visible: the pool must be healthy to take a new host.", style=BAD)
    if not live:
        t.append("  The console shows recorded facts: onboarding needs the live console.", style=BAD)
    if dry_run:
        t.append("  [dry run: the checks run; nothing is uploaded, applied or joined]", style=WARN)
    return t


def connection_text(conn: NewHostConnection) -> Text:
    """Step 1's outcome: connected (with the host key), the unknown key to compare, or why not."""
    t = Text()
    if conn.up:
        t.append("✓ connected ", style=f"bold {GOOD}")
        t.append(f"to {conn.session.name}")
        if conn.fingerprint:
            t.append(f" (host key {conn.fingerprint})", style=MUTED)
    elif conn.needs_trust:
        t.append("! host key unknown ", style=f"bold {WARN}")
        t.append(f"— {conn.session.name} offers\n")
        t.append(f"  {conn.fingerprint}\n", style="bold")
        t.append("Compare it with the host's own `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` "
                 "(its console, iDRAC/iLO). Only if it is the same, press ")
        t.append("Trust this host key", style="bold")
        t.append(f" (written to {conn.known_hosts_path or 'known_hosts'}).")
    else:
        t.append("✗ not connected: ", style=f"bold {BAD}")
        t.append(conn.error or conn.session.error or str(conn.state.value))
    return t


def files_intro(new: HostProfile, missing: Sequence[UpdateInfo]) -> Text:
    """Step 3's introduction: what the new host lacks and which file each update needs."""
    if not missing:
        return Text(f"{new.label} lacks no update of the pool: nothing to bring level.", style=GOOD)
    names = ", ".join(u.label() for u in missing)
    t = Text(f"{new.label} lacks {names}. For each, type the path of its file on this jump box; "
             "the file is checked against the pool's update record (name, version, uuid) before it is sent, "
             f"uploaded to /tmp on {new.label}, then {'patch' if new.update_mechanism == 'patch' else 'update'}"
             "-upload and -apply run there and update-list is read back.\n")
    for u in missing:
        t.append(f"  {u.label()} needs ", style=MUTED)
        t.append(file_needed(u) + "\n")
    return t


def level_text(report: LevelReport) -> tuple[Text, str]:
    """Step 3's outcome: each command with its output, then what it came to; and that outcome alone
    (without the commands, which the activity view lists already)."""
    t = step_text(report.steps)
    outcome = Text()
    if report.run is not None and report.run.dry_run:
        outcome.append("dry run: nothing was uploaded or applied (audited as dry-run)\n", style=WARN)
    elif report.run is not None and report.run.stopped and not report.failed:
        outcome.append(f"stopped: {report.run.stopped}\n", style=WARN)
    for line in report.failed:
        outcome.append(f"✗ failed: {line}\n", style=BAD)
    for line in report.outcomes:
        outcome.append(f"✓ {line}\n", style=GOOD)
    for g in report.guidance:
        outcome.append(f"! {g}\n", style=WARN)
    refusal = join_refusal(report.checks, gather_failures(report.new_profile, report.pool_profile)
                           if report.new_profile and report.pool_profile else [])
    outcome.append("checks read again: " + (refusal or "none blocks the join"), style=BAD if refusal else GOOD)
    t.append_text(outcome)
    return t, outcome.plain


def join_text(report: JoinReport, post_join: Sequence[str]) -> Group:
    """Step 4's outcome: joined, accepted, or refused and explained; then the checked steps after it."""
    parts: list[RenderableType] = []
    head = Text()
    if report.joined:
        head.append(f"✓ {report.new_host} joined the pool", style=f"bold {GOOD}")
    elif report.accepted:
        head.append(f"! {report.new_host}: pool-join accepted, not confirmed", style=f"bold {WARN}")
    else:
        head.append(f"✗ {report.new_host} did not join", style=f"bold {BAD}")
    parts.append(head)
    if report.error is not None:
        t = Text()
        if report.error.code:
            t.append(f"{report.error.code}: ", style=f"bold {BAD}")
        t.append(report.error.plain + "\n")
        t.append("What to do: ", style="bold")
        t.append(report.error.advice)
        parts.append(t)
        if report.error.updates:
            parts.append(updates_table(report.error.updates, report.new_host))
    for m in report.messages:
        parts.append(Text(m, style=MUTED if report.joined else ""))
    for m in post_join:
        parts.append(Text(m, style=GOOD if m.startswith("✓") else BAD if m.startswith("✗") else MUTED))
    return Group(*parts)


def config_offer_text(entry: HostEntry, pool: str, new_config: Config, *, already: bool, path: Path | None) -> Text:
    """The joined host and the xentui config: already there, the line the file gains, or the line to add."""
    hosts = new_config.pool(pool).host_names
    line = f"hosts = [{', '.join(json.dumps(h) for h in hosts)}]"
    t = Text()
    if already:
        t.append(f"{entry.name} is already a host of pool {pool} in the config.", style=GOOD)
    elif path is not None:
        t.append(f"Add {entry.name} to pool {pool} in {path}? ", style="bold")
        t.append("(only its hosts list changes: comments and layout are kept)\n", style=MUTED)
        t.append(line)
    else:
        t.append("The console was not started from a config file: add this to pool "
                 f"{pool}'s entry yourself:\n", style="bold")
        t.append(line)
    return t


def next_text(w: Wizard, conn: NewHostConnection | None, *, first_file: str = "", master_address: str = "",
              master_user: str = "", config_path: Path | None = None) -> Text:
    """Two lines kept below the scrolled steps: where onboarding stands (the wizard's stage), and the
    exact next step (with its host and command) or why there is none — what F8 does."""
    t = Text()
    stage = w.stage
    if stage is Stage.JOINED and w.join_report is not None:
        report = w.join_report
        t.append_text(Text(f"✓ {report.new_host} joined the pool", style=f"bold {GOOD}") if report.joined
                      else Text(f"! {report.new_host}: pool-join accepted, not confirmed", style=f"bold {WARN}"))
        if w.add_config_offered:
            t.append("\nnext: ", style=MUTED)
            t.append(f"add {report.new_host} to {config_path} (Add to the xentui config)")
        return t
    if stage is Stage.CHECKED and w.new is not None and w.pool is not None:  # what was read decides
        return _next_after_checks(w, w.new, w.pool, first_file, master_address, master_user)
    if stage is Stage.OFFLINE:
        t.append("✗ recorded facts: onboarding needs the live console", style=f"bold {BAD}")
        return t
    if conn is None:
        t.append("- no new host connected", style=f"bold {MUTED}")
        t.append("\nnext: ", style=MUTED)
        t.append("type the new host's ssh alias or address, then F8 (Connect)")
        return t
    if stage is Stage.UNTRUSTED:
        t.append(f"! {conn.name}'s host key is unknown: compare it with the host's console", style=f"bold {WARN}")
        t.append("\nnext: ", style=MUTED)
        t.append("on this jump box: ", style="bold")
        t.append(trust_command(conn) + " (F8: Trust this host key)")
        return t
    if stage is Stage.NOT_CONNECTED:
        t.append(f"✗ not connected to {conn.name}: ", style=f"bold {BAD}")
        t.append((conn.error or conn.session.error or str(conn.state.value)).splitlines()[0])
        t.append("\nnext: ", style=MUTED)
        t.append("check the address, user and password, then F8 (Connect)")
        return t
    t.append(f"… {conn.name} connected: reading it and the pool master", style=MUTED)
    return t


def _next_after_checks(w: Wizard, new: HostProfile, pool: HostProfile, first_file: str, master_address: str,
                       master_user: str) -> Text:
    """The checks' verdict, then: upload+apply the first missing update, or the pool-join, or why not."""
    t = checks_verdict(list(w.checks), gather_failures(new, pool))
    t.append("\nnext: ", style=MUTED)
    if w.missing:
        u = w.missing[0]
        name = Path(first_file).name if first_file else f"{u.name_label}.iso"
        kind = "patch" if new.update_mechanism == "patch" else "update"
        upload = (xc.patch_upload if kind == "patch" else xc.update_upload)(f"/tmp/{name}")
        t.append(f"on {new.label}: ", style="bold")
        t.append(f"upload {name}, {upload}, then {kind}-apply {u.label()}")
        if len(w.missing) > 1:
            t.append(f" (+{len(w.missing) - 1} update(s))", style=MUTED)
        return t
    why = w.join_blocked_by()
    if why is not None:
        t.append(f"none: Join is disabled: {why}", style=BAD)
        return t
    try:
        command = xc.pool_join(master_address, master_user, force=False)
    except ValueError:
        t.append("type the pool master's address and user (Join the pool)")
        return t
    t.append(f"on {new.label}: ", style="bold")
    t.append(command)  # exact: the pool password is read from stdin, never on the line
    return t
