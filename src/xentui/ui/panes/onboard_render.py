"""How the onboarding checks and steps read on screen: pure functions that return Rich renderables.

`checks_verdict` (one line: what blocks the join), `checks_summary`,
`checks_table` (both hosts' values side by side, the force-skippable ones
marked), `updates_table` (the updates that differ), `step_text` (each command
with its output). The onboarding pane (`onboard.OnboardScreen`) composes them;
they are tested without an app.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from xentui.actions.onboard import FORCE_SKIPPABLE, JoinCheck, JoinStatus, StepOutput, UpdateDiff, blocking, not_checked
from xentui.ui.theme import BAD, GOOD, MUTED, WARN

__all__ = ["STATUS_MARK", "STATUS_STYLE", "checks_summary", "checks_table", "checks_verdict", "step_text", "updates_table"]

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
