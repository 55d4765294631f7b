"""`xentui report [--pool P] [--since T] [--until T]`: the incident's post-mortem, in Markdown.

Built from the pool's journal (`xentui.journal`: verdict changes with the
facts behind them, what each host believed and when) and the audit (every
command run: by whom, on which host, exit status, outcome, the lines that
mattered).  `render_report` is pure: events, audit records, the window and the
local time zone in, Markdown out; the same text backs the console's timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from .audit import AuditLog, AuditRecord
from .config import Config, PoolConfig

Event = dict[str, Any]


def parse_time(text: str) -> datetime:
    """ISO 8601; a time without a zone is UTC."""
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _at(e: Event) -> datetime:
    return parse_time(str(e["at"]))


def _when(t: datetime, local: tzinfo) -> tuple[str, str]:
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), t.astimezone(local).strftime("%H:%M:%S %Z")


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _host_line(h: dict[str, Any]) -> str:
    role = h.get("role") or "-"
    if h.get("role_last_seen"):
        role = f"was {role} (last seen {parse_time(h['role_last_seen']).strftime('%H:%M:%S')} UTC)"
    reach = {True: "yes", False: "NO", None: "-"}[h.get("reaches_master")]
    flags = ", ".join(h.get("flags") or []) or "-"
    return f"{h.get('ssh')} | {role} | {h.get('follows') or '-'} | {reach} | {h.get('toolstack')} | {flags}"


def _next(e: Event) -> str:
    nxt = e.get("next")
    if not nxt:
        return "no advice yet (still asking)"
    on = f" on {nxt['host']}" if nxt.get("host") else ""
    return f"{nxt['action']}{on}"


def render_report(
    pool: str,
    events: Sequence[Event],
    audit: Sequence[AuditRecord],
    hosts: Sequence[str],
    since: datetime | None = None,
    until: datetime | None = None,
    local: tzinfo = UTC,
) -> str:
    def inside(t: datetime) -> bool:
        return (since is None or t >= since) and (until is None or t <= until)

    evs = sorted((e for e in events if e.get("pool") == pool and inside(_at(e))), key=_at)
    names = set(hosts)
    cmds = [r for r in audit if r.host in names and inside(r.ts)]
    rows: list[tuple[datetime, int, str]] = []
    shown: dict[str, str] = {}  # what the timeline last said of each host: say only what changed
    for e in evs:
        if e["event"] == "verdict":
            what = f"**{e['verdict'].upper()}** — {e['summary']} Next: {_next(e)}."
        elif e["event"] == "host":
            what = f"{e['host']}: {_host_line(e).replace(' | ', ' · ')}"
            if shown.get(e["host"]) == what:
                continue
            shown[e["host"]] = what
        else:
            continue  # commands come from the audit, with their operator
        rows.append((_at(e), 0, what))
    for r in cmds:
        rows.append((r.ts, 1, f"`{r.command}` on {r.host} by **{r.actor}** → {r.outcome} (exit {r.exit_status})"))
    rows.sort(key=lambda x: (x[0], x[1]))

    out = [f"# Incident report: pool {pool}", ""]
    if rows:
        first, last = _when(rows[0][0], local), _when(rows[-1][0], local)
        out += [f"From {first[0]} UTC ({first[1]}) to {last[0]} UTC ({last[1]}).", ""]
    verdicts = [e for e in evs if e["event"] == "verdict"]
    out += ["## Outcome", ""]
    if verdicts:
        v = verdicts[-1]
        out += [f"Last verdict: **{v['verdict'].upper()}** — {v['summary']}", ""]
    else:
        out += ["No verdict was journaled in this window.", ""]
    operators = sorted({r.actor for r in cmds})
    out += [f"Commands run: {len(cmds)}" + (f", by {', '.join(operators)}." if operators else "."), ""]

    out += ["## Timeline", "", "| UTC | local | what |", "|---|---|---|"]
    for t, _, what in rows:
        utc, loc = _when(t, local)
        out.append(f"| {utc} | {loc} | {_cell(what)} |")
    out.append("")

    out += ["## Verdicts and the facts behind them", ""]
    for v in verdicts:
        utc, loc = _when(_at(v), local)
        out += [f"### {utc} UTC ({loc}): {v['verdict'].upper()}", "", v["summary"], "", f"Next: {_next(v)}."]
        if v.get("never"):
            out.append(f"Never then: {', '.join(v['never'])}.")
        out += ["", "| host | SSH | role | follows | reaches its master | toolstack | flags |", "|---|---|---|---|---|---|---|"]
        for name, h in sorted((v.get("facts") or {}).items()):
            out.append(f"| {name} | {_cell(_host_line(h))} |")
        out.append("")

    out += ["## Commands run", ""]
    if not cmds:
        out += ["None.", ""]
    else:
        out += ["| UTC | local | by | host | command | exit | outcome | lines |", "|---|---|---|---|---|---|---|---|"]
        for r in cmds:
            utc, loc = _when(r.ts, local)
            lines = _cell(r.detail or "")
            out.append(
                f"| {utc} | {loc} | {_cell(r.actor)} | {r.host} | `{_cell(r.command)}` | {r.exit_status} | "
                f"{r.outcome} | {lines} |"
            )
        out.append("")
    return "\n".join(out)


def cmd_report(config: Config, pool: PoolConfig, since: str | None, until: str | None) -> int:
    from .journal import journal_path, read_journal

    audit_path = config.settings.audit_path
    events = read_journal(journal_path(audit_path, pool.name))
    records = AuditLog(audit_path).read()
    local = datetime.now().astimezone().tzinfo or UTC
    start, end = (parse_time(since) if since else None), (parse_time(until) if until else None)
    print(render_report(pool.name, events, records, [h.name for h in pool.hosts], start, end, local))
    return 0
