"""How a plan and its run read on screen: pure functions that return Rich `Text` (tested without an app).

`checks_text`, `steps_text`, `guards_text`: the plan, truth first;
`follows_text`: who follows whom after a run; `report_text`: the runner's
`RunReport`; `progress_text`: one line of a step in progress; `resolved_text`:
the headline once the pane's problem is gone. The panes (`runplan.PlanPane` and
its subclasses) compose them.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from xentui.actions import Plan, Progress, RunReport, StepStatus
from xentui.diagnosis import Diagnosis, Verdict
from xentui.core.facts_rules import ssh_cause
from xentui.core.model import HostFacts
from xentui.ui.render import VERDICT_LABEL, VERDICT_STYLE, strip_pool
from xentui.ui.theme import BAD, CMD, DRY, MUTED, OK, WARN

__all__ = [
    "checks_text",
    "follows_text",
    "guards_text",
    "hosts_in",
    "key_hint",
    "natural_key",
    "progress_text",
    "report_text",
    "resolved_text",
    "sole_master",
    "steps_text",
]


_STATUS_MARK = {
    StepStatus.OK: ("✓ ok", OK),
    StepStatus.UNVERIFIED: ("? unverified", WARN),
    StepStatus.FAILED: ("✗ failed", BAD),
    StepStatus.TIMEOUT: ("? no answer", WARN),
    StepStatus.INTERRUPTED: ("? interrupted", WARN),
    StepStatus.DECLINED: ("– declined", MUTED),
    StepStatus.REFUSED: ("✗ refused", BAD),
    StepStatus.NOT_RUN: ("– not run", MUTED),
    StepStatus.DRY_RUN: ("· dry run", WARN),
}
_PHASE_MARK = {
    "confirm": ("? confirm", WARN),
    "running": ("▶ running", WARN),
    "waiting": ("◷ waiting", WARN),
    "verifying": ("◷ checking", WARN),
    "done": ("✓ done", OK),
    "failed": ("✗ failed", BAD),
}


def _heading(text: str) -> Text:
    """A section title (a styled span, not the Text's base style: what is appended stays plain)."""
    out = Text()
    out.append(text, style="bold underline")
    return out


# --------------------------------------------------------------------------- pure rendering


def checks_text(plan: Plan, heading: str = "Checked before anything runs") -> Text:
    """Every precondition, ✓ / ! / ✗, with what was seen."""
    out = _heading(heading)
    if not plan.preconditions:
        out.append("\n  (nothing to check)", style=MUTED)
    for c in plan.preconditions:
        mark, style = ("✓", OK) if c.ok and not c.warning else (("!", WARN) if c.ok else ("✗", BAD))
        out.append(f"\n {mark} ", style=style)
        out.append(c.name, style="bold")
        out.append(f" — {c.detail}")
    return out


def steps_text(
    plan: Plan,
    states: dict[int, str] | None = None,
    report: RunReport | None = None,
    *,
    dry_run: bool = False,
    heading: str | None = None,
) -> Text:
    """The steps, each with its host, the exact command, why, and how its effect is checked."""
    states = states or {}
    if heading is not None:
        title = heading
    elif plan.blocked and report is None:
        title = "Steps — blocked by the checks: nothing can run now"
    elif dry_run:
        title = "Steps (dry run: shown, none is run)"
    else:
        title = "Steps (each dangerous one asks: F8)"
    out = _heading(title)
    if not plan.steps:
        out.append("\n  none", style=MUTED)
    results = {r.index: r for r in report.results} if report is not None else {}
    for i, s in enumerate(plan.steps):
        out.append(f"\n {i + 1}. on ", style="bold")
        out.append(s.host, style="bold reverse")
        res = results.get(i)
        if res is not None:
            label, style = _STATUS_MARK.get(res.status, (str(res.status), MUTED))
            out.append(f"  {label}", style=style)
        elif i in states:
            label, style = _PHASE_MARK.get(states[i], (states[i], MUTED))
            out.append(f"  {label}", style=style)
        out.append("\n    ")
        out.append(s.command, style=CMD)
        if res is not None and res.status is StepStatus.REFUSED:
            # why it was refused, not why it was planned: the plan's reason is what the guard rails denied
            out.append("\n    why refused: ", style=BAD)
            out.append(res.explanation or "the guard rails refused it (the audit file has the record)")
            out.append(f"\n    planned because: {s.why}", style=MUTED)
        else:
            out.append(f"\n    why: {s.why}", style="")
        if s.precondition:
            out.append(f"\n    only if: {s.precondition}", style=MUTED)
        if s.verify:
            out.append(f"\n    then: {s.verify}", style=MUTED)
        if s.override:
            out.append("\n    OVERRIDE: the admin typed the host name (written to the audit file)", style=BAD)
    for s in plan.contingency:
        out.append("\n If ", style="bold")
        out.append(s.precondition or "needed")
        out.append(": on ", style="bold")
        out.append(s.host, style="bold reverse")
        out.append("\n    ")
        out.append(s.command, style=CMD)
        out.append(f"\n    why: {s.why}", style=MUTED)
    return out


def guards_text(plan: Plan) -> Text:
    """What the console will not do now (host-forget of an unreachable host...) and the plan's notes."""
    out = Text()
    if plan.forbidden:
        out.append_text(_heading("Not offered (guard rails)"))
        for fb in plan.forbidden:
            out.append("\n ✗ ", style=BAD)
            what = fb.action or fb.command
            out.append(what + (f" on {fb.host}" if fb.host else ""), style="bold")
            out.append(f" — {fb.why}")
            if fb.action == "host-forget":
                out.append("\n   never: ", style=MUTED)
                out.append(fb.command, style=MUTED)
    if plan.notes:
        if out:
            out.append("\n\n")
        out.append_text(_heading("Notes"))
        for n in plan.notes:
            out.append(f"\n • {n}")
    return out


def follows_text(diagnosis: Diagnosis, facts: dict[str, HostFacts]) -> Text:
    """Who follows whom, as the diagnosis of the latest facts sees it."""
    out = _heading("Who follows whom now (re-probed)")
    label = VERDICT_LABEL.get(diagnosis.verdict, str(diagnosis.verdict))
    out.append("\n ")
    out.append(f" {label} ", style=VERDICT_STYLE.get(diagnosis.verdict, ""))
    out.append(f" {diagnosis.summary}")
    groups: dict[str, list[str]] = {}
    alone: list[str] = []
    down: list[str] = []
    for name, hv in diagnosis.hosts.items():
        f = facts.get(name)
        if f is not None and not f.reachable:
            down.append(name)
            continue
        if hv.follows is None:
            alone.append(name)
        elif hv.follows != name:
            groups.setdefault(hv.follows, []).append(name)
    masters = list(dict.fromkeys([*diagnosis.masters, *groups]))
    for m in masters:
        f = facts.get(m)
        out.append("\n ")
        out.append(m, style="bold")
        if f is not None and not f.reachable:
            # not re-read: what it held is last seen, never "master" under a verdict of now
            if m in diagnosis.masters:
                out.append(" was master when last seen", style=WARN)
            out.append(" (unreachable)", style=BAD)
        elif m in diagnosis.masters:
            out.append(" master", style=OK)
        followers = sorted(groups.get(m, []), key=natural_key)
        out.append(" ← " + (" ".join(followers) if followers else "nobody"))
    for n in sorted(alone, key=natural_key):
        if n in diagnosis.masters:
            continue
        out.append(f"\n {n}", style="bold")
        out.append(" follows no known master", style=WARN)
    for n in sorted(down, key=natural_key):
        f = facts[n]
        out.append(f"\n {n}", style="bold")
        out.append(f" unreachable ({ssh_cause(f)})", style=BAD)
        if f.pool_conf_raw:
            out.append(f"; last known pool.conf: {f.pool_conf_raw}", style=MUTED)
    return out


def sole_master(diagnosis: Diagnosis) -> str | None:
    """The one master every host of the diagnosis follows, or None (two masters, or a host elsewhere)."""
    if len(diagnosis.masters) != 1:
        return None
    master = diagnosis.masters[0]
    if all(name == master or hv.follows == master for name, hv in diagnosis.hosts.items()):
        return master
    return None


def resolved_text(diagnosis: Diagnosis, problem: Verdict, healed: str, gone: str) -> Text | None:
    """The headline of a pane whose problem the current diagnosis no longer shows; None while it does.

    `healed` ("Healed") is said only when the pool is healthy and every host follows one
    master; otherwise `gone` ("No split brain now") with the verdict the header shows.
    """
    if diagnosis.verdict is problem:
        return None
    t = Text()
    master = sole_master(diagnosis)
    if master is not None and diagnosis.verdict is Verdict.HEALTHY:
        t.append(f"{healed}: every host follows {master}", style=OK)
    else:
        t.append(gone, style="bold")
    label = VERDICT_LABEL.get(diagnosis.verdict, str(diagnosis.verdict))
    t.append("\n")
    t.append(f" {label} ", style=VERDICT_STYLE.get(diagnosis.verdict, ""))
    t.append(f" {strip_pool(diagnosis.summary, diagnosis.pool)}")
    return t


def key_hint(*keys: tuple[str, str]) -> Text:
    """The idle line of a plan pane: each key with what it does, then `Esc back`:
    `key_hint(("r", "runs it"), ("Enter", "picks"))` is `r runs it · Enter picks · Esc back`."""
    t = Text()
    for key, words in keys:
        t.append(key, style="bold")
        t.append(f" {words} · ")
    t.append("Esc", style="bold")
    t.append(" back")
    return t


def natural_key(name: str) -> tuple[str, int]:
    """Sort key: plot2 before plot10."""
    stem = name.rstrip("0123456789")
    tail = name[len(stem):]
    return (stem, int(tail) if tail else -1)


def report_text(report: RunReport) -> Text:
    """The RunReport: each step's status and check, the recover-slaves comparison, what is offered next."""
    if report.dry_run:
        out = Text()
        out.append(" DRY RUN ", style=DRY)
        out.append(" nothing was run; these commands would have been:", style="bold")
    else:
        out = _heading("Result")
        if report.complete:
            out.append("  every step ran and its effect was seen", style=OK)
        elif report.stopped:
            out.append(f"  stopped: {report.stopped}", style=BAD)
    for r in report.results:
        label, style = _STATUS_MARK.get(r.status, (str(r.status), MUTED))
        out.append(f"\n {r.index + 1}. ")
        out.append(label, style=style)
        out.append(" on ")
        out.append(r.host, style="bold")
        if r.duration_s and r.status is not StepStatus.DRY_RUN:
            out.append(f"  {r.duration_s:.1f} s", style=MUTED)
        out.append("\n    ")
        out.append(r.command, style=CMD)
        if r.explanation and r.status is not StepStatus.DRY_RUN:
            out.append(f"\n    {r.explanation}", style=BAD if r.status in (StepStatus.FAILED, StepStatus.REFUSED) else "")
        if r.verification:
            out.append(f"\n    check: {r.verification}", style="" if r.verified else WARN)
    rc = report.recover
    if rc is not None:
        out.append("\n\n")
        out.append_text(_heading(f"recover-slaves on {rc.host}: {len(rc.recovered)} of {len(rc.expected)} expected hosts reset"))
        out.append("\n  host     expected UUID                         printed?", style=MUTED)
        printed = {u.lower() for u in rc.printed}
        for name, uuid in sorted(rc.expected.items(), key=lambda kv: natural_key(kv[0])):
            out.append(f"\n  {name:<8} {uuid}  ")
            if uuid.lower() in printed:
                out.append("✓ yes", style=OK)
            else:
                out.append("✗ no", style=BAD)
                why = rc.not_recovered.get(name)
                if why:
                    out.append(f"\n    not recovered: {why}", style=WARN)
        for name, why in rc.unchecked.items():
            out.append(f"\n  {name:<8} ")
            out.append(f"not checked: {why}", style=WARN)
        for u in rc.unexpected:
            out.append(f"\n  printed, no configured host has it: {u}", style=WARN)
    if report.not_following:
        out.append(f"\n Not following the new master yet: {', '.join(report.not_following)}", style=WARN)
    for s in report.offers:
        out.append("\n\n")
        out.append_text(_heading("Offered next"))
        out.append("\n on ")
        out.append(s.host, style="bold reverse")
        out.append(": ")
        out.append(s.command, style=CMD)
        out.append(f"\n   {s.why}")
    if report.offers:
        out.append("\n   f", style="bold")
        out.append(" runs it (it asks for confirmation first)")
    return out


def progress_text(ev: Progress, *, width: int = 12) -> Text:
    """One line: step n/N, host, what is happening; a bar while the toolstack fuse burns."""
    out = Text()
    if ev.step is not None:
        out.append(f"step {ev.step + 1}/{ev.total} ", style="bold")
    if ev.host:
        out.append(ev.host, style="bold reverse")
        out.append(" ")
    label, style = _PHASE_MARK.get(ev.phase, (ev.phase, MUTED))
    out.append(label, style=style)
    if ev.phase == "waiting" and ev.fuse_s and ev.remaining_s is not None:
        done = 1.0 - max(0.0, min(1.0, ev.remaining_s / ev.fuse_s)) if ev.fuse_s > 0 else 1.0
        filled = round(done * width)
        out.append(f" {ev.message.split(':')[0]} ")
        out.append("█" * filled, style=WARN)
        out.append("░" * (width - filled), style=MUTED)
        out.append(f" {ev.remaining_s:.1f} s of the {ev.fuse_s:g} s fuse")
    else:
        out.append(f"  {ev.message}")
    return out


def hosts_in(names: Iterable[str]) -> list[str]:
    """Host names in natural order (plot2 before plot10)."""
    return sorted(names, key=natural_key)
