"""`xentui report [--pool P] [--since T] [--until T]`: the incidents' post-mortem, in Markdown.

Built from the pool's journal (`xentui.trail.journal`: verdict changes with the
facts behind them, what each host believed and when) and the audit (every
command run: by whom, on which host, exit status, outcome, the lines that
mattered).

An *incident* is a stretch of verdicts other than HEALTHY; the first HEALTHY
verdict after it ends it.  Each incident gets its own section (timeline,
verdicts with their facts, commands); a healthy stretch between incidents is
one short section: the commands run in it, and how many host views changed.

The journal is read one line at a time and never held whole (`iter_journal`);
`report_rows` merges it with the audit into one time-ordered stream of `Row`s
(what the console's timeline pages through), and `render_report` folds that
stream into the Markdown, keeping only the text it will print.  Both are pure
but for reading the journal file.
"""

from __future__ import annotations

import heapq
import json
import re
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from xentui.trail.audit import AuditLog, AuditRecord
from xentui.core.config import Config, PoolConfig

Event = dict[str, Any]

#: outcomes of audit records whose command never reached the host (the runner's notes)
NOT_RUN = ("refused", "declined", "dry-run", "override")
#: a healthy stretch's host rows that show a problem this close before an incident's first verdict
#: are listed in the incident (how it began)
LEAD_IN = timedelta(seconds=60)
LEAD_IN_ROWS = 64
#: how bad a verdict is, for an incident's "worst"
_SEVERITY = {"healthy": 0, "unknown": 1, "degraded": 2, "master-lost": 3, "split-brain": 3,
             "ha-recovered": 2, "ha-electing": 2, "ha-wedged": 3}


# ------------------------------------------------------------------------------ times

def parse_time(text: str) -> datetime:
    """ISO 8601; a time without a zone is UTC."""
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


_AGO = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_AGO_ALL = re.compile(r"(?:\s*\d+(?:\.\d+)?\s*[smhdw])+\s*(?:ago)?", re.IGNORECASE)
_TIME_OF_DAY = re.compile(r"(\d{1,2}):(\d\d)(?::(\d\d)(?:\.(\d{1,6}))?)?(Z|[+-]\d\d:?\d\d)?", re.IGNORECASE)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

WHEN_HELP = ("a time of day (03:33:40, UTC unless it says +01:00), a date-time (2026-12-03 03:33:40 or "
             "2026-12-03T03:33:40+01:00) or a time ago (90s, 15m, 2h, 1d, 1h30m)")


def parse_when(text: str, now: datetime) -> datetime:
    """A `--since` / `--until` value: a time of day (the latest one not after `now`), a
    date-time or a date (UTC unless it names a zone), or a time ago (`2h`, `1h30m`, `90s`).

    Raises ValueError with a sentence an operator can act on.
    """
    s = text.strip()
    if not s:
        raise ValueError(f"no time given: give {WHEN_HELP}")
    if _AGO_ALL.fullmatch(s):
        seconds = sum(float(n) * _UNIT_S[u.lower()] for n, u in _AGO.findall(s))
        return now - timedelta(seconds=seconds)
    m = _TIME_OF_DAY.fullmatch(s)
    if m:
        hh, mm, ss = int(m[1]), int(m[2]), int(m[3] or 0)
        if hh > 23 or mm > 59 or ss > 59:
            raise ValueError(f"{s!r} is not a time of day (hours 0-23, minutes and seconds 0-59): give {WHEN_HELP}")
        zone = parse_time("2000-01-01T00:00:00" + (m[5] or "Z")).tzinfo
        day = now.astimezone(zone)
        t = day.replace(hour=hh, minute=mm, second=ss, microsecond=int((m[4] or "0").ljust(6, "0")))
        return t - timedelta(days=1) if t > now else t  # 03:33:40 at 02:00 means yesterday's
    try:
        return parse_time(s)
    except ValueError:
        raise ValueError(f"cannot read {s!r} as a time: give {WHEN_HELP}") from None


def _at(e: Event) -> datetime:
    return parse_time(str(e["at"]))


def _when(t: datetime, local: tzinfo) -> tuple[str, str]:
    return _when_second(int(t.timestamp()), local)  # the report shows seconds: format each second once


@lru_cache(maxsize=4096)
def _when_second(second: int, local: tzinfo) -> tuple[str, str]:
    t = datetime.fromtimestamp(second, UTC)
    return t.strftime("%Y-%m-%d %H:%M:%S"), t.astimezone(local).strftime("%H:%M:%S %Z")


def _span(start: datetime, end: datetime, local: tzinfo) -> str:
    """`2026-12-03 03:33:40 UTC (04:33:40 CET) to 03:40:00 UTC (04:40:00 CET)`; the date again if it changed."""
    (f0, l0), (f1, l1) = _when(start, local), _when(end, local)
    return f"{f0} UTC ({l0}) to {f1[11:] if f1[:10] == f0[:10] else f1} UTC ({l1})"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# ------------------------------------------------------------------------------ cells

_CELL = str.maketrans({"\\": "\\\\", "|": "\\|", "\r": " ", "\n": " "})


def _cell(text: object) -> str:
    """One Markdown table cell: a `|` escaped, a newline a space."""
    s = str(text)
    if "|" in s or "\\" in s or "\n" in s or "\r" in s:
        return s.translate(_CELL)
    return s


def _host_cells(h: dict[str, Any]) -> list[str]:
    """What one host believed, one plain value per column (SSH, role, follows, reach, toolstack, flags)."""
    role = h.get("role") or "-"
    if h.get("role_last_seen"):
        role = f"was {role} (last seen {parse_time(h['role_last_seen']).strftime('%H:%M:%S')} UTC)"
    reach = {True: "yes", False: "NO"}.get(h.get("reaches_master"), "-")  # type: ignore[call-overload]
    flags = ", ".join(str(f) for f in h.get("flags") or []) or "-"
    return [str(h.get("ssh")), role, str(h.get("follows") or "-"), reach, str(h.get("toolstack")), flags]


def _next(e: Event) -> str:
    nxt = e.get("next")
    if not nxt:
        return "no advice yet (still asking)"
    on = f" on {nxt['host']}" if nxt.get("host") else ""
    return f"{nxt['action']}{on}"


def _outcomes(counts: Counter[str]) -> str:
    """`2 run (1 ok, 1 error); not run: 1 refused` — a command counts as run only if it reached its host."""
    ran = {o: n for o, n in counts.items() if o not in NOT_RUN}
    held = {o: n for o, n in counts.items() if o in NOT_RUN}
    text = f"{sum(ran.values())} run"
    if ran:
        text += " (" + ", ".join(f"{n} {o}" for o, n in sorted(ran.items())) + ")"
    if held:
        text += "; not run: " + ", ".join(f"{n} {o}" for o, n in sorted(held.items()))
    return text


# ------------------------------------------------------------------------------ reading

def iter_journal(path: Path) -> Iterator[Event]:
    """Every event of a journal, its rotated part first, one line at a time; unreadable lines skipped."""
    for p in (path.with_name(path.name + ".1"), path):
        try:
            fh = p.open("rb", buffering=1 << 20)  # bytes: json decodes them itself, faster than a text file's lines
        except OSError:
            continue
        with fh:
            for line in fh:
                try:
                    e = json.loads(line)
                except ValueError:  # (UnicodeDecodeError too: a torn or foreign line is skipped)
                    continue
                if isinstance(e, dict) and "at" in e and "event" in e:
                    yield e


@dataclass(slots=True)
class Row:
    """One line of the timeline: a verdict change, a host's view changing, or a command from the audit."""

    at: datetime
    kind: str  # "verdict", "host", "command"
    text: str
    verdict: str | None = None  # a verdict row's verdict
    event: Event | None = None  # a verdict row's event (its facts), else None
    record: AuditRecord | None = None  # a command row's audit record
    trouble: bool = False  # a host row that shows a problem (not up, a flag, its master not reached)


def report_rows(pool: str, events: Iterable[Event], audit: Iterable[AuditRecord], hosts: Sequence[str],
                since: datetime | None = None, until: datetime | None = None) -> Iterator[Row]:
    """The journal's events and the audit's commands of this pool, merged in time order.

    A host row is yielded only when what it says of the host changed. `events` and
    `audit` are each taken to be in time order (files appended as things happen).
    """

    def inside(t: datetime) -> bool:
        return (since is None or t >= since) and (until is None or t <= until)

    def from_journal() -> Iterator[tuple[datetime, int, Row]]:
        shown: dict[str, str] = {}  # what the timeline last said of each host: say only what changed
        for e in events:
            if e.get("pool") != pool:
                continue
            try:
                t = _at(e)
            except (ValueError, TypeError):
                continue
            if not inside(t):
                continue
            kind = e["event"]
            if kind == "verdict":
                text = f"**{str(e.get('verdict')).upper()}** — {e.get('summary')} Next: {_next(e)}."
                yield t, 0, Row(t, "verdict", text, verdict=str(e.get("verdict")), event=e)
            elif kind == "host":
                host = str(e.get("host"))
                text = f"{host}: {' · '.join(_host_cells(e))}"
                if shown.get(host) == text:
                    continue
                shown[host] = text
                trouble = e.get("ssh") != "up" or bool(e.get("flags")) or e.get("reaches_master") is False
                yield t, 0, Row(t, "host", text, trouble=trouble)
            # "command" events: the commands come from the audit, with their operator

    def from_audit() -> Iterator[tuple[datetime, int, Row]]:
        names = set(hosts)
        for r in audit:
            if r.host in names and inside(r.ts):
                exit_status = "" if r.exit_status is None else f" (exit {r.exit_status})"
                text = f"`{r.command}` on {r.host} by **{r.actor}** → {r.outcome}{exit_status}"
                yield r.ts, 1, Row(r.ts, "command", text, record=r)

    for _t, _k, row in heapq.merge(from_journal(), from_audit(), key=lambda x: (x[0], x[1])):
        yield row


# ------------------------------------------------------------------------------ incidents

@dataclass
class Stretch:
    """An incident (verdicts other than HEALTHY) or a healthy stretch between two."""

    incident: int | None  # its number; None for a healthy stretch
    start: datetime
    end: datetime
    verdicts: list[str] = field(default_factory=list)  # in order, repeats folded
    timeline: list[str] = field(default_factory=list)  # Markdown rows, already rendered
    facts: list[str] = field(default_factory=list)  # the "verdicts and their facts" lines
    commands: list[str] = field(default_factory=list)  # the commands table's rows
    outcomes: Counter[str] = field(default_factory=Counter)
    operators: set[str] = field(default_factory=set)
    host_changes: int = 0  # host rows of a healthy stretch, counted, not listed
    ended_by: str | None = None  # the healthy verdict's time (UTC) that ended an incident
    last: Event | None = None  # the last verdict event


def _worst(verdicts: Sequence[str]) -> str:
    return max(verdicts, key=lambda v: _SEVERITY.get(v, 1)) if verdicts else "unknown"


def _verdict_block(e: Event, local: tzinfo, level: str) -> list[str]:
    utc, loc = _when(_at(e), local)
    out = [f"{level} {utc} UTC ({loc}): {str(e.get('verdict')).upper()}", "", str(e.get("summary")), "",
           f"Next: {_next(e)}."]
    if e.get("never"):
        out.append(f"Never then: {', '.join(str(n) for n in e['never'])}.")
    out += _ha_lines(e.get("ha"))
    out += ["", "| host | SSH | role | follows | reaches its master | toolstack | flags |",
            "|---|---|---|---|---|---|---|"]
    for name, h in sorted((e.get("facts") or {}).items()):
        if isinstance(h, dict):
            out.append(_facts_row(name, h))
    out.append("")
    return out


def _ha_lines(ha: Any) -> list[str]:
    """What the hosts' own HA said at that verdict (issue 27), when HA was configured."""
    if not isinstance(ha, dict):
        return []
    bits = [f"armed on {', '.join(ha.get('armed') or []) or 'no live host'}"]
    if ha.get("disarmed"):
        bits.append(f"disarmed on {', '.join(ha['disarmed'])}")
    if ha.get("timeout"):
        bits.append(f"T {ha['timeout']:g} s")
    if ha.get("electing_until"):
        until = datetime.fromtimestamp(float(ha["electing_until"]), UTC).strftime("%H:%M:%S")
        bits.append(f"election window until {until} UTC (a heuristic: first seen loss + T + margin)")
    if ha.get("elected"):
        bits.append(f"the livesets show {ha['elected']} as master")
    bits += [str(b) for b in ha.get("broken") or []]
    return [f"HA: {'; '.join(bits)}."]


_FACT_ROWS: dict[tuple[Any, ...], str] = {}  # verdicts repeat their hosts' views: render each view once


def _facts_row(name: str, h: dict[str, Any]) -> str:
    key = (name, h.get("ssh"), h.get("role"), h.get("role_last_seen"), h.get("follows"), h.get("reaches_master"),
           h.get("toolstack"), tuple(str(f) for f in h.get("flags") or ()))
    row = _FACT_ROWS.get(key)
    if row is None:
        if len(_FACT_ROWS) > 4096:
            _FACT_ROWS.clear()
        row = _FACT_ROWS[key] = "| " + " | ".join(_cell(c) for c in [name, *_host_cells(h)]) + " |"
    return row


def _command_row(r: AuditRecord, local: tzinfo) -> str:
    utc, loc = _when(r.ts, local)
    exit_status = "-" if r.exit_status is None else r.exit_status
    return (f"| {utc} | {loc} | {_cell(r.actor)} | {_cell(r.host)} | `{_cell(r.command)}` | {exit_status} | "
            f"{_cell(r.outcome)} | {_cell(r.detail or '')} |")


def fold_stretches(rows: Iterable[Row], local: tzinfo = UTC) -> list[Stretch]:
    """The rows cut into incidents and healthy stretches, each rendered as it is read.

    A verdict other than HEALTHY opens an incident unless one is open; the next HEALTHY
    verdict is the incident's last row and opens a healthy stretch.  Rows before the
    window's first verdict belong to whatever that verdict opens.
    """
    out: list[Stretch] = []
    cur: Stretch | None = None
    pending: list[Row] = []  # rows before the first verdict
    lead: deque[Row] = deque(maxlen=LEAD_IN_ROWS)  # a healthy stretch's latest host rows
    number = 0

    def add(s: Stretch, row: Row) -> None:
        s.end = row.at
        if row.kind == "verdict" and row.event is not None:
            if not s.verdicts or s.verdicts[-1] != row.verdict:
                s.verdicts.append(str(row.verdict))
            s.last = row.event
            if s.incident is not None:
                s.facts += _verdict_block(row.event, local, "####")
        elif row.kind == "command" and row.record is not None:
            s.outcomes[row.record.outcome] += 1
            s.operators.add(row.record.actor)
            s.commands.append(_command_row(row.record, local))
        elif row.kind == "host" and s.incident is None:
            s.host_changes += 1  # a healthy stretch counts its hosts' changes, lists none
            if row.trouble:
                lead.append(row)
            return
        utc, loc = _when(row.at, local)
        s.timeline.append(f"| {utc} | {loc} | {_cell(row.text)} |")

    for row in rows:
        if row.kind != "verdict":
            if cur is None:
                pending.append(row)
            else:
                add(cur, row)
            continue
        healthy = row.verdict == "healthy"
        if cur is not None and cur.incident is not None and healthy:
            add(cur, row)  # the healthy verdict ends the incident
            cur.ended_by = _when(row.at, local)[0]
            cur = Stretch(None, row.at, row.at, verdicts=["healthy"], last=row.event)
            out.append(cur)
            continue
        if cur is None or (cur.incident is None and not healthy):
            if cur is not None:  # the healthy stretch's host rows just before: how the incident began
                pending = [r for r in lead if r.at >= row.at - LEAD_IN]
                cur.host_changes -= len(pending)
            if not healthy:
                number += 1
            cur = Stretch(None if healthy else number, (pending[0] if pending else row).at, row.at)
            out.append(cur)
            for p in pending:
                add(cur, p)
            pending = []
        lead.clear()
        add(cur, row)
    if pending:  # no verdict at all in the window: the host views and commands, as an unjudged stretch
        cur = Stretch(0, pending[0].at, pending[0].at)
        out.append(cur)
        for p in pending:
            add(cur, p)
    return [s for s in out if s.incident is not None or len(s.timeline) > 0 or s.host_changes]


def render_report_lines(
    pool: str,
    events: Iterable[Event],
    audit: Iterable[AuditRecord],
    hosts: Sequence[str],
    since: datetime | None = None,
    until: datetime | None = None,
    local: tzinfo = UTC,
) -> Iterator[str]:
    """The report, line by line (the journal is read once; only the report's own text is kept)."""
    stretches = fold_stretches(report_rows(pool, events, audit, hosts, since, until), local)
    yield f"# Incident report: pool {pool}"
    yield ""
    if stretches:
        first, last = _when(stretches[0].start, local), _when(stretches[-1].end, local)
        yield f"From {first[0]} UTC ({first[1]}) to {last[0]} UTC ({last[1]})."
        yield ""
    incidents = [s for s in stretches if s.incident]
    outcomes: Counter[str] = Counter()
    operators: set[str] = set()
    for s in stretches:
        outcomes.update(s.outcomes)
        operators |= s.operators
    yield "## Outcome"
    yield ""
    last_verdict = next((s.last for s in reversed(stretches) if s.last is not None), None)
    if last_verdict is not None:
        yield f"Last verdict: **{str(last_verdict.get('verdict')).upper()}** — {last_verdict.get('summary')}"
    else:
        yield "No verdict was journaled in this window."
    yield ""
    still = sum(1 for s in incidents if s.ended_by is None)
    yield (f"Incidents: {len(incidents)}" + (f" ({still} not ended by a healthy verdict)" if still else "")
           + ". Commands: " + _outcomes(outcomes) + (f" — by {', '.join(sorted(operators))}." if operators else "."))
    yield ""
    if incidents:
        yield "| incident | from (UTC) | to (UTC) | verdicts | worst | ended | commands |"
        yield "|---|---|---|---|---|---|---|"
        for s in incidents:
            path = " → ".join(v.upper() for v in s.verdicts)
            ended = f"HEALTHY at {s.ended_by[11:]}" if s.ended_by else "not yet"
            yield (f"| {s.incident} | {_when(s.start, local)[0]} | {_when(s.end, local)[0]} | {path} | "
                   f"{_worst(s.verdicts).upper()} | {ended} | {_outcomes(s.outcomes)} |")
        yield ""
    for s in stretches:
        span = _span(s.start, s.end, local)
        if s.incident == 0:
            yield f"## No verdict journaled, {span}"
        elif s.incident is not None:
            yield f"## Incident {s.incident}: {_worst(s.verdicts).upper()}, {span}"
        else:
            yield f"## Healthy, {span}"
        yield ""
        if s.incident is None:
            yield (f"{_plural(s.host_changes, 'host view change')} while healthy (not listed); commands: "
                   f"{_outcomes(s.outcomes)}.")
            yield ""
        if s.timeline:
            yield "### Timeline" if s.incident is not None else "### Verdicts and commands"
            yield ""
            yield "| UTC | local | what |"
            yield "|---|---|---|"
            yield from s.timeline
            yield ""
        if s.incident is not None:
            yield "### Verdicts and the facts behind them"
            yield ""
            yield from s.facts if s.facts else ["No verdict was journaled in it.", ""]
        if s.commands or s.incident is not None:
            yield "### Commands run"
            yield ""
            if not s.commands:
                yield "None."
            else:
                yield "| UTC | local | by | host | command | exit | outcome | lines |"
                yield "|---|---|---|---|---|---|---|---|"
                yield from s.commands
            yield ""


def render_report(*args: Any, **kw: Any) -> str:
    """The whole report as one text: `render_report_lines` (same arguments), joined."""
    return "\n".join(render_report_lines(*args, **kw))


def cmd_report(config: Config, pool: PoolConfig, since: str | None, until: str | None) -> int:
    import sys

    from xentui.trail.journal import journal_path

    now = datetime.now(UTC)
    window: dict[str, datetime | None] = {}
    for flag, text in (("--since", since), ("--until", until)):
        try:
            window[flag] = None if text is None else parse_when(text, now)
        except ValueError as e:
            print(f"xentui report: {flag}: {e}", file=sys.stderr)
            return 2
    start, end = window["--since"], window["--until"]
    if start is not None and end is not None and start > end:
        print(f"xentui report: --since ({start:%Y-%m-%d %H:%M:%S} UTC) is after --until "
              f"({end:%Y-%m-%d %H:%M:%S} UTC): nothing can be inside that window", file=sys.stderr)
        return 2
    audit_path = config.settings.audit_path
    local = datetime.now().astimezone().tzinfo or UTC
    events = iter_journal(journal_path(audit_path, pool.name))
    records = AuditLog(audit_path).read()
    chunk: list[str] = []
    for line in render_report_lines(pool.name, events, records, [h.name for h in pool.hosts], start, end, local):
        chunk.append(line)
        if len(chunk) >= 4096:
            sys.stdout.write("\n".join(chunk) + "\n")
            chunk.clear()
    sys.stdout.write("\n".join(chunk) + "\n")
    return 0



# ------------------------------------------------------------------------------ the console's timeline

#: rows on one page of the console's timeline
PAGE_ROWS = 100


@dataclass(slots=True, frozen=True)
class TimelineLine:
    """One line of the console's timeline: the times, what kind of line, and its text (no Markdown)."""

    utc: str
    local: str
    kind: str  # "verdict", "host", "command", "incident" (an incident begins or ends)
    text: str


def timeline_lines(rows: Iterable[Row], local: tzinfo = UTC) -> Iterator[TimelineLine]:
    """The timeline as the console pages it: every row, plain text, with a line where an incident
    begins (its first non-healthy verdict) and where a healthy verdict ends it."""
    number = 0
    open_ = False
    for row in rows:
        utc, loc = _when(row.at, local)
        if row.kind == "verdict":
            healthy = row.verdict == "healthy"
            if not open_ and not healthy:
                number += 1
                open_ = True
                yield TimelineLine(utc, loc, "incident", f"── incident {number} begins: {str(row.verdict).upper()} ──")
            text = row.text.replace("**", "")
            yield TimelineLine(utc, loc, "verdict", text)
            if open_ and healthy:
                open_ = False
                yield TimelineLine(utc, loc, "incident", f"── incident {number} ends: HEALTHY ──")
            continue
        yield TimelineLine(utc, loc, row.kind, row.text.replace("**", ""))


def read_timeline(pool: str, journal: Path, audit: Path, hosts: Sequence[str], local: tzinfo = UTC,
                  since: datetime | None = None, until: datetime | None = None) -> Iterator[TimelineLine]:
    """The pool's journal and audit as timeline lines, read one line at a time (for a worker thread)."""
    records = AuditLog(audit).read()
    return timeline_lines(report_rows(pool, iter_journal(journal), records, hosts, since, until), local)
