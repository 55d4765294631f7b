"""Pure rendering: from `HostFacts` + `Diagnosis` to cell texts and rich renderables.

Nothing here touches the screen or the network; every function takes the
clock (`now`) as an argument, so the same facts always render the same
(the snapshot tests rely on it).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from xentui.core.config import Settings
from xentui.diagnosis import Action, Diagnosis, HostFlag, HostVerdict, Verdict
from xentui.core.model import CommandResult
from xentui.core.facts_rules import host_key_changed_advice
from xentui.core.model import HostFacts, QueryState, Role, Source, SshState, XapiView
from xentui.ui.theme import BAD, CMD, ERROR_DETAIL, FLAG, GOOD, MUTED, STALE, VERDICT_STYLES, WARN

if TYPE_CHECKING:
    from xentui.ui.widgets.activity import ActivityNote

# --------------------------------------------------------------------------- styles (the palette: theme.py)

VERDICT_LABEL = {
    Verdict.HEALTHY: "HEALTHY",
    Verdict.MASTER_LOST: "MASTER LOST",
    Verdict.SPLIT_BRAIN: "SPLIT BRAIN",
    Verdict.DEGRADED: "DEGRADED",
    Verdict.UNKNOWN: "UNKNOWN",
    Verdict.HA_ELECTING: "HA ELECTING",
    Verdict.HA_RECOVERED: "HA RECOVERED",
    Verdict.HA_WEDGED: "HA WEDGED",
}
VERDICT_STYLE = {v: VERDICT_STYLES[v.value] for v in Verdict}
#: verdicts listed first on the fleet line (a pool in trouble comes first)
VERDICT_RANK = {
    Verdict.SPLIT_BRAIN: 0,
    Verdict.HA_WEDGED: 0,
    Verdict.MASTER_LOST: 1,
    Verdict.HA_ELECTING: 1,
    Verdict.DEGRADED: 2,
    Verdict.HA_RECOVERED: 2,
    Verdict.UNKNOWN: 3,
    Verdict.HEALTHY: 4,
}


def verdict_class(verdict: Verdict | None) -> str:
    """CSS class for a verdict: `-healthy`, `-master-lost`, ... (`-starting` for none yet)."""
    return f"-{verdict.value}" if verdict is not None else "-starting"


# --------------------------------------------------------------------------- columns


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    tier: int  # 0: always shown; 1: from MEDIUM width; 2: only at FULL width
    power: bool = False  # shown only when the pool has a BMC configured (issue 28)


COLUMNS: tuple[Column, ...] = (
    Column("host", "HOST", 0),
    Column("address", "ADDRESS", 2),
    Column("ssh", "SSH", 0),
    Column("power", "POWER", 0, power=True),
    Column("role", "ROLE", 0),
    Column("master", "MASTER", 0),
    Column("toolstack", "TOOLSTACK", 0),
    Column("emergency", "EMERG", 0),
    Column("reaches", "REACH", 0),
    Column("ha", "HA", 0),  # only when some host has HA configured (`columns_for_tier(tier, ha=True)`)
    Column("dbgen", "DB GEN", 0),
    Column("latency", "LATENCY", 1),
    Column("age", "AGE", 1),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
#: the table width from which each tier is shown (tier >= 1 also uses the long texts)
TIER_WIDTH = {0: 0, 1: 96, 2: 116}


def tier_for_width(width: int) -> int:
    """The highest column tier that fits `width` cells."""
    return max(t for t, w in TIER_WIDTH.items() if width >= w)


def columns_for_tier(tier: int, ha: bool = False, power: bool = False) -> list[Column]:
    """The columns of a width tier; HA only where some host has HA configured (`ha`), POWER only for a
    pool with a BMC (`power`)."""
    return [c for c in COLUMNS if c.tier <= tier and (ha or c.key != "ha") and (power or not c.power)]


def ha_text(f: HostFacts) -> Text:
    """The HA cell: the host's own local.db and daemon ("" when nothing says HA is configured there)."""
    if f.ha_armed is None:
        return Text("")
    stale = f.last_seen("ha_local")
    if f.ha_armed is False:
        if "ha_config" not in f.sources:
            return Text("")
        return Text("off", style=STALE if stale else WARN)
    if f.ha_liveset_status == "daemon-not-running":
        return Text("no xhad", style=BAD)
    if f.ha_liveset_status == "error":
        return Text("armed?", style=BAD)
    me = f.ha_liveset.get(f.uuid or "") if f.uuid else None
    lock = " M" if me is not None and me.master and me.liveness else ""
    return Text("armed" + lock, style=STALE if stale else GOOD)


def power_text(f: HostFacts, now: float, wide: bool = True) -> Text:
    """The POWER cell: what the BMC said and how long ago (at 80 columns the age only once it is a
    minute old: the poll re-reads it every few seconds); an attestation says so; an error is `BMC?`."""
    p = f.power

    def aged(label: str, seconds: float) -> str:
        return f"{label} {age_text(seconds)}" if wide or seconds >= 60 else label

    if p is None:
        if f.off_attested is not None:  # attested: a word, not a reading
            return Text(aged("off*", now - f.off_attested.at), style=WARN)
        return Text("-", style=MUTED)
    if p.error:
        return Text("BMC?", style=WARN)
    label = {"on": "On", "off": "Off", "changing": p.raw or "…"}.get(p.state.value, "?")
    return Text(aged(label, p.age(now)), style="bold" if p.state.value == "off" else "")


# --------------------------------------------------------------------------- small texts

_SECONDS = re.compile(r"no answer in ([0-9.]+) s")


def _ssh_seconds(f: HostFacts, settings: Settings) -> float:
    m = _SECONDS.search(f.ssh_error or "")
    return float(m.group(1)) if m else settings.connect_timeout


def ssh_text(f: HostFacts, settings: Settings, wide: bool = True) -> str:
    s = f.ssh
    if f.silent:  # session held, but the host has gone quiet
        return f"no answer for {f.silent_for:.0f} s" if wide else f"silent {f.silent_for:.0f}s"
    if s is SshState.UP and f.watch == "polled":  # the watcher loop cannot run there: probed every poll
        return "up (polled)" if wide else "polled"
    if s is SshState.NO_ANSWER:
        secs = _ssh_seconds(f, settings)
        return f"no answer in {secs:g} s" if wide else f"no answer {secs:g}s"
    return {
        SshState.UNKNOWN: "…",
        SshState.UP: "up",
        SshState.REFUSED: "refused",
        SshState.AUTH_FAILED: "auth failed",
        SshState.HOST_KEY_UNKNOWN: "host key unknown" if wide else "key unknown",
        SshState.HOST_KEY_CHANGED: "HOST KEY CHANGED" if wide else "KEY CHANGED",
        SshState.DNS_FAILED: "DNS failed",
        SshState.ERROR: "error",
    }[s]


def toolstack_text(f: HostFacts, settings: Settings, wide: bool = True) -> str:
    x = f.xapi
    if x is XapiView.UNKNOWN:
        base = "…" if f.reachable else "-"
    elif x is XapiView.NO_ANSWER:
        base = f"no answer in {settings.command_timeout:g} s" if wide else "no answer"
    elif x is XapiView.UNAVAILABLE:
        base = "no channel" if f.forwarding is False else "unavailable"
    else:
        base = x.value
    if f.pool_list is QueryState.NO_ANSWER and x is not XapiView.NO_ANSWER:
        return f"{base} · xe hangs" if wide else "xe hangs"
    return base


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = max(0.0, seconds)
    if s < 60:
        return f"{s:.0f}s"
    if s < 3600:
        return f"{s // 60:.0f}m"
    if s < 86400:
        return f"{s // 3600:.0f}h"
    return f"{s // 86400:.0f}d"


def last_update(f: HostFacts) -> float | None:
    """When anything about the host was last learned (stale values excluded)."""
    times = [s.at for s in f.sources.values() if not s.stale]
    if times:
        return max(times)
    return f.probed_at


def strip_pool(summary: str, pool: str) -> str:
    prefix = f"Pool {pool}: "
    return summary[len(prefix):] if pool and summary.startswith(prefix) else summary


# --------------------------------------------------------------------------- fact cells

#: cell key -> the source key that vouches for it
_CELL_SOURCE = {"ssh": "ssh", "role": "role", "toolstack": "xapi"}


def was_text(value: str, at: float, now: float, wide: bool = True) -> str:
    """A last-seen value: "was master · 1m" (narrow: "was master")."""
    return f"was {value} · {age_text(now - at)}" if wide else f"was {value}"


def fact_cell(f: HostFacts, key: str, settings: Settings, now: float, wide: bool = True) -> Text:
    """The SSH, role or toolstack cell of a host, as the table row AND the host pane show it.

    A silent host (`HostFacts.silent_for`) reads "no answer for N s"; a fact the latest
    probe could not re-read (`HostFacts.last_seen`) reads "was <value> · <age>", dimmed,
    never as a current value.
    """
    src = f.sources.get(_CELL_SOURCE[key])
    if key == "ssh":
        if f.silent:
            return Text(ssh_text(f, settings, wide), style=BAD)
        return Text(ssh_text(f, settings, wide), style=GOOD if f.ssh is SshState.UP else "")
    if key == "role":
        if f.role is None:
            return Text("-")
        if src is not None and src.stale:
            return Text(was_text(f.role.value, src.at, now, wide), style=STALE)
        return Text(f.role.value)
    if src is not None and src.stale and f.xapi is not XapiView.UNKNOWN:
        return Text(was_text(toolstack_text(f, settings, wide=False), src.at, now, wide), style=STALE)
    return Text(toolstack_text(f, settings, wide))


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class RowView:
    """One host's row: a text per column, and the columns that disagree with the majority."""

    cells: dict[str, Text]
    flagged: frozenset[str]

    def signature(self, key: str) -> tuple[object, ...]:
        t = self.cells[key]
        return (t.plain, str(t.style), tuple((s.start, s.end, str(s.style)) for s in t.spans))


def _stale(f: HostFacts, *keys: str) -> bool:
    return any((src := f.sources.get(k)) is not None and src.stale for k in keys)


def _majority_generation(d: Diagnosis, facts: dict[str, HostFacts]) -> int | None:
    if d.majority_master is None:
        return None
    f = facts.get(d.majority_master.name)
    return f.db_generation if f is not None else None


def row_view(
    f: HostFacts,
    d: Diagnosis,
    facts: dict[str, HostFacts],
    settings: Settings,
    now: float,
    wide: bool = True,
) -> RowView:
    """The cells of one host's row; `flagged` names the cells to highlight."""
    hv: HostVerdict | None = d.hosts.get(f.name)
    majority = d.majority_master.name if d.majority_master else None
    split = d.verdict is Verdict.SPLIT_BRAIN
    flagged: set[str] = set()
    cells: dict[str, Text] = {}

    # host: coloured by how much attention it needs
    flags = hv.flags if hv else []
    host_style = ""
    if f.ssh not in (SshState.UP, SshState.UNKNOWN):
        host_style = BAD
    elif flags:
        host_style = WARN
    elif f.name == majority:
        host_style = "bold"
    cells["host"] = Text(f.name, style=host_style)

    # address: what the jump box connects to, or the management address it learned
    addr = f.address
    if addr == f.name and f.own_addresses:
        addr = f.own_addresses[0]
    cells["address"] = Text(addr, style=STALE if _stale(f, "own_addresses") and addr != f.address else "")

    # SSH, role, toolstack: the same cells the host pane shows (`fact_cell`)
    if f.ssh not in (SshState.UP, SshState.UNKNOWN) or not f.reachable and f.ssh is SshState.UP:
        flagged.add("ssh")
    cells["ssh"] = fact_cell(f, "ssh", settings, now, wide)
    cells["power"] = power_text(f, now, wide)

    # role (pool.conf)
    holds = f.role is Role.MASTER or (hv is not None and hv.role == "master")
    role_seen = f.last_seen("role")
    cells["role"] = fact_cell(f, "role", settings, now, wide)
    if f.role is Role.BROKEN and not role_seen:
        flagged.add("role")
    if holds and f.role is Role.MASTER and not role_seen and (split or (majority is not None and f.name != majority)):
        flagged.add("role")  # a second master: split brain visible at a glance
    elif f.role is Role.MASTER and not role_seen:
        cells["role"].style = "bold"

    # the master this host follows
    follows = hv.follows if hv and hv.follows else None
    if follows is None:
        cells["master"] = Text("-")
    else:
        shown = "itself" if follows == f.name else follows
        cells["master"] = Text(shown, style=STALE if role_seen else "")
        if majority is not None and follows != majority:
            flagged.add("master")
        elif follows not in facts:
            flagged.add("master")  # an address no configured host has

    # toolstack (a last-seen answer is a memory: shown with its age, never flagged as a finding)
    cells["toolstack"] = fact_cell(f, "toolstack", settings, now, wide)
    if not f.last_seen("xapi"):
        if f.xapi in (XapiView.NO_ANSWER, XapiView.ERROR, XapiView.EMERGENCY) or f.pool_list is QueryState.NO_ANSWER:
            flagged.add("toolstack")
        elif f.xapi is XapiView.MASTER and majority is not None and (split or f.name != majority):
            flagged.add("toolstack")

    # emergency mode (shown, never trusted alone)
    if f.emergency_mode is True:
        cells["emergency"] = Text("YES")
        flagged.add("emergency")
    elif f.emergency_mode is False:
        cells["emergency"] = Text("no", style=MUTED)
    elif f.emergency_error:
        cells["emergency"] = Text("?", style=WARN)
    else:
        cells["emergency"] = Text("-" if not f.reachable else "…")

    # does it reach its master on TCP 443 (its own check)
    if f.reaches_master is True:
        cells["reaches"] = Text("yes", style=GOOD)
    elif f.reaches_master is False:
        cells["reaches"] = Text("NO")
        flagged.add("reaches")
    else:
        cells["reaches"] = Text("-" if holds or not f.reachable else "…", style=MUTED)

    # HA: the host's own local.db ha.armed and its daemon ("M": it holds the master lock)
    cells["ha"] = ha_text(f)
    if hv is not None and HostFlag.HA_DISABLED_IN_HA_POOL in hv.flags:
        cells["ha"] = Text("STUCK")
        flagged.add("ha")

    # database generation
    gen = f.db_generation
    cells["dbgen"] = Text("-" if gen is None else str(gen), style=STALE if _stale(f, "db_generation") else "")
    maj_gen = _majority_generation(d, facts)
    if split and gen is not None and maj_gen is not None and gen != maj_gen:
        flagged.add("dbgen")

    # latency, age
    lat = f.latency_ms
    cells["latency"] = Text("-" if lat is None else f"{lat:.0f} ms", style=STALE if _stale(f, "files") else "")
    last = last_update(f)
    cells["age"] = Text(age_text(None if last is None else now - last), style=MUTED)

    for key in flagged:
        cells[key].style = FLAG
    return RowView(cells=cells, flagged=frozenset(flagged))


# --------------------------------------------------------------------------- banner


def recommendation_lines(d: Diagnosis) -> tuple[str, str | None, str | None]:
    """(next step sentence, host, exact command)."""
    rec = d.recommendation
    if rec is None:
        return ("No recommendation yet.", None, None)
    if rec.action is Action.NONE:
        return (f"Nothing to do: {rec.reason[0].lower()}{rec.reason[1:]}", None, None)
    return (rec.reason, rec.host, rec.command)


def forbidden_line(d: Diagnosis) -> str | None:
    if not d.forbidden:
        return None
    parts = []
    for fb in d.forbidden:
        parts.append(f"{fb.action.value} {fb.host}" if fb.host else fb.action.value)
    return " · ".join(dict.fromkeys(parts))


#: below this many columns of text the banner keeps to one line a part (the pane under a key has the rest)
BANNER_COMPACT_BELOW = 110


def banner_text(d: Diagnosis | None, pool: str, wide: bool = True, status: str | None = None,
                width: int | None = None) -> Text:
    """The verdict banner's text: badge + summary, next step, the exact command, what not to do.

    Narrower than `BANNER_COMPACT_BELOW` columns (`width`, the text's own), each part keeps to
    one line, cut with `…`: the verdict and its summary, then the next step's host and exact
    command (the command is never cut: it wraps), then what not to do.  The reasons behind the
    next step are in its pane (r / h / m) and the host pane.
    """
    if width is not None and width < BANNER_COMPACT_BELOW and d is not None:
        return _banner_compact(d, pool, width, status)
    out = Text()
    if d is None:
        out.append(" STARTING ", style=VERDICT_STYLE[Verdict.UNKNOWN])
        out.append("  ")
        out.append(status or f"pool {pool}: waiting for the first facts…")
        return out
    out.append(f" {VERDICT_LABEL[d.verdict]} ", style=VERDICT_STYLE[d.verdict])
    out.append(f" {pool} ", style="bold")
    out.append(strip_pool(d.summary, pool))
    sentence, host, command = recommendation_lines(d)
    out.append("\n")
    out.append("Next: ", style="bold")
    out.append(sentence)
    if command:
        out.append("\n")
        out.append(f"  on {host}: " if host else "  run: ", style="bold")
        out.append(command, style=CMD)
    never = forbidden_line(d)
    if never:
        out.append("\n")
        out.append("Never now: ", style=BAD)
        out.append(never, style=ERROR_DETAIL)
    if status:
        out.append("\n")
        out.append(status, style=MUTED)
    return out


def _rstrip(t: Text) -> Text:
    t.rstrip()
    return t


def _banner_compact(d: Diagnosis, pool: str, width: int, status: str | None) -> Text:
    def one_line(t: Text) -> Text:
        t.truncate(max(width, 10), overflow="ellipsis")
        return t

    lines: list[Text] = []
    head = Text()
    head.append(f" {VERDICT_LABEL[d.verdict]} ", style=VERDICT_STYLE[d.verdict])
    head.append(f" {pool} ", style="bold")
    head.append(strip_pool(d.summary, pool))
    wrapped = list(head.wrap(Console(width=max(width, 10)), max(width, 10)))  # the summary: two lines at most
    if len(wrapped) > 2:
        second = wrapped[1]
        second.append(" …")
        wrapped = [wrapped[0], one_line(second)]
    lines += [_rstrip(w) for w in wrapped]
    sentence, host, command = recommendation_lines(d)
    nxt = Text()
    if command:
        nxt.append(f"Next on {host}: " if host else "Next, run: ", style="bold")
        nxt.append(command, style=CMD)
        lines.append(nxt)  # wraps if it must: a command is never cut
    else:
        nxt.append("Next: ", style="bold")
        nxt.append(sentence)
        lines.append(one_line(nxt))
    never = forbidden_line(d)
    if never:
        no = Text()
        no.append("Never now: ", style=BAD)
        no.append(never, style=ERROR_DETAIL)
        lines.append(one_line(no))
    if status:
        lines.append(one_line(Text(status, style=MUTED)))
    return Text("\n").join(lines)


def fleet_text(entries: Sequence[tuple[str, Diagnosis | None]], current: str) -> Text:
    """The fleet line: every pool with its verdict, a pool in trouble first."""
    out = Text()
    order = sorted(
        entries,
        key=lambda e: (VERDICT_RANK[e[1].verdict] if e[1] is not None else 3, e[0]),
    )
    out.append("Pools: ", style="bold")
    for i, (name, d) in enumerate(order):
        if i:
            out.append("  ")
        label = VERDICT_LABEL[d.verdict] if d is not None else "…"
        style = VERDICT_STYLE[d.verdict] if d is not None else VERDICT_STYLE[Verdict.UNKNOWN]
        mark = "▶" if name == current else " "
        out.append(f"{mark}{name} ", style="bold" if name == current else "")
        out.append(f" {label} ", style=style)
    return out


def fleet_order(entries: Iterable[tuple[str, Diagnosis | None]]) -> list[str]:
    return [
        name
        for name, d in sorted(entries, key=lambda e: (VERDICT_RANK[e[1].verdict] if e[1] is not None else 3, e[0]))
    ]


# --------------------------------------------------------------------------- host pane

_FACT_ROWS: tuple[tuple[str, str], ...] = (
    # (label, source key)
    ("SSH", "ssh"),
    ("latency", "files"),
    ("pool.conf", "role"),
    ("UUID", "uuid"),
    ("hostname", "hostname"),
    ("addresses", "own_addresses"),
    ("DB generation", "db_generation"),
    ("toolstack", "xapi"),
    ("xe pool-list", "pool_list"),
    ("emergency mode", "emergency_mode"),
    ("reaches master", "reaches_master"),
)


def _fact_value(f: HostFacts, key: str, settings: Settings, now: float) -> Text:
    t = Text()
    if key == "ssh":
        t.append_text(fact_cell(f, "ssh", settings, now))
        if f.ssh_error:
            t.append(f"\n{f.ssh_error}", style=BAD)
        if f.host_key_fingerprint:
            label = "offered " if f.known_host_keys else ""
            t.append(f"\n{label}{f.host_key_fingerprint}", style=BAD if f.known_host_keys else MUTED)
        for known in f.known_host_keys:
            t.append(f"\nknown_hosts has {known}", style=MUTED)
    elif key == "files":
        t.append("-" if f.latency_ms is None else f"{f.latency_ms:.0f} ms (files command)")
    elif key == "role":
        t.append_text(fact_cell(f, "role", settings, now))
        if f.pool_conf_raw is not None and f.pool_conf_raw != (f.role.value if f.role else None):
            t.append(f"\n{f.pool_conf_raw}", style=MUTED)  # the file as read (a slave's master address)
    elif key == "uuid":
        t.append(f.uuid or "-")
        if f.product_brand or f.product_version:
            t.append(f"\n{f.product_brand or ''} {f.product_version or ''}".rstrip(), style=MUTED)
    elif key == "hostname":
        t.append(f.hostname or "-")
    elif key == "own_addresses":
        t.append(" ".join(f.own_addresses) or "-")
    elif key == "db_generation":
        t.append("-" if f.db_generation is None else str(f.db_generation))
    elif key == "xapi":
        cell = fact_cell(f, "toolstack", settings, now)
        if not f.last_seen("xapi"):
            cell = Text(cell.plain.split(" · ")[0], style=cell.style)  # xe pool-list has its own row
        t.append_text(cell)
        if f.xapi_detail:
            t.append(f"\n{f.xapi_detail}", style=MUTED)
        if f.forwarding is False:
            t.append("\nsshd refuses forwarding (no XenAPI channel)", style=WARN)
    elif key == "pool_list":
        t.append(f.pool_list.value)
        if f.pool_list_error:
            t.append(f"\n{f.pool_list_error}", style=WARN)
        if f.pool_master_uuid:
            t.append(f"\nmaster {f.pool_master_uuid}", style=MUTED)
        if f.ha_enabled is not None:
            t.append(f"\nHA {'enabled' if f.ha_enabled else 'off'}", style=MUTED)
    elif key == "emergency_mode":
        t.append("-" if f.emergency_mode is None else ("YES" if f.emergency_mode else "no"))
        if f.emergency_error:
            t.append(f"\n{f.emergency_error}", style=WARN)
    elif key == "reaches_master":
        t.append("-" if f.reaches_master is None else ("yes" if f.reaches_master else "NO"))
        if f.reaches_master_detail:
            t.append(f"\n{f.reaches_master_detail}", style=MUTED)
    return t


def _age_cell(src: Source | None, now: float) -> Text:
    if src is None:
        return Text("-", style=MUTED)
    t = Text(age_text(now - src.at), style=STALE if src.stale else "")
    if src.stale:
        t.append("\nlast seen", style=WARN)
    return t


def command_lines(results: Sequence[CommandResult], now: float, limit: int = 8, output_lines: int = 3) -> Text:
    """The last commands run on a host, newest last, with the start of their output."""
    t = Text()
    shown = list(results)[-limit:]
    if not shown:
        t.append("no commands yet", style=MUTED)
        return t
    for i, r in enumerate(shown):
        if i:
            t.append("\n")
        status = "timeout" if r.timed_out else ("error" if r.error else f"exit {r.exit_status}")
        style = GOOD if r.ok else BAD
        t.append(f"{age_text(now - r.started):>4} ago ", style=MUTED)
        t.append(f"{status:<9}", style=style)
        t.append(f"{r.duration:5.2f} s  ", style=MUTED)
        t.append(f"$ {r.command}")
        out = (r.stdout or "").rstrip("\n").splitlines()
        err = (r.stderr or "").rstrip("\n").splitlines()
        for line in out[:output_lines]:
            t.append(f"\n    {line}", style=MUTED)
        if len(out) > output_lines:
            t.append(f"\n    … {len(out) - output_lines} more lines", style=MUTED)
        for line in err[:output_lines]:
            t.append(f"\n    {line}", style=ERROR_DETAIL)
        if r.error and not r.timed_out:
            t.append(f"\n    {r.error}", style=ERROR_DETAIL)
    return t


def host_detail(
    f: HostFacts | None,
    d: Diagnosis | None,
    settings: Settings,
    recent: Sequence[CommandResult],
    now: float,
    commands: int = 6,
) -> RenderableType:
    """Everything known about one host: facts with how/when learned, the diagnosis, last commands."""
    if f is None:
        return Text("No host selected.", style=MUTED)
    hv = d.hosts.get(f.name) if d else None
    head = Text()
    head.append(f.name, style="bold")
    addr = f.own_addresses[0] if f.own_addresses else f.address
    if addr != f.name:
        head.append(f"  {addr}", style=MUTED)
    if hv is not None and hv.note:
        head.append(f"\n{hv.note}")
    if hv is not None and hv.flags:
        head.append("\n")
        for fl in hv.flags:
            head.append(f" {fl.value} ", style=FLAG)
            head.append(" ")
    parts: list[RenderableType] = [head]
    if f.ssh is SshState.HOST_KEY_CHANGED:
        key = Text()
        key.append("Host key changed\n", style="bold underline")
        key.append(host_key_changed_advice(f))
        parts.append(key)

    if d is not None and d.recommendation is not None and d.recommendation.host == f.name and d.recommendation.command:
        rec = Text()
        rec.append("Recommended here: ", style="bold")
        rec.append(d.recommendation.action.value)
        rec.append(f"\n  {d.recommendation.command}", style=CMD)
        parts.append(rec)
    if d is not None:
        here = [fb for fb in d.forbidden if fb.host == f.name]
        if here:
            fb_text = Text()
            for i, fb in enumerate(here):
                if i:
                    fb_text.append("\n")
                fb_text.append("Never here: ", style=BAD)
                fb_text.append(fb.action.value, style="bold")
                fb_text.append(f" — {fb.reason}", style=ERROR_DETAIL)
            parts.append(fb_text)

    table = Table(box=None, show_header=True, header_style="bold", expand=True, padding=(0, 1, 0, 0))
    table.add_column("fact", no_wrap=True, style="bold")
    table.add_column("value · how it was learned", ratio=1, overflow="fold")
    table.add_column("age", no_wrap=True, justify="right")
    for label, key in _FACT_ROWS:
        src = f.sources.get(key)
        if key == "ssh" and f.silent_for is not None:
            src = f.sources.get("silent_for", src)  # its age: since the host went quiet
        if key == "reaches_master" and src is None and f.role is Role.MASTER:
            continue
        value = _fact_value(f, key, settings, now)
        if src is not None and src.stale:
            value.stylize(STALE)
        if key != "files":  # the latency is the files command's round trip: no separate "how"
            # "↳" and the first word stay together (no line of its own when the text folds)
            value.append(f"\n↳\u00a0{src.how}" if src is not None else "\n↳\u00a0not learned yet", style=MUTED)
        table.add_row(label, value, _age_cell(src, now))
    parts.append(table)
    ha = ha_detail(f, d, now)
    if ha is not None:
        parts.append(ha)

    cmds = Text()
    cmds.append("Last commands\n", style="bold underline")
    cmds.append_text(command_lines(recent, now, limit=commands))
    parts.append(cmds)
    return Group(*_spaced(parts))


def ha_detail(f: HostFacts, d: Diagnosis | None, now: float) -> Text | None:
    """HA as this host itself says it: its local.db, T, and the liveset as its own daemon sees it."""
    if f.ha_armed is None or (not f.ha_armed and "ha_config" not in f.sources):
        return None
    t = Text()
    t.append("HA on this host", style="bold underline")
    src = f.sources.get("ha_local")
    t.append("\n local.db ha.armed=")
    t.append("true" if f.ha_armed else "false", style=GOOD if f.ha_armed else WARN)
    if f.ha_timeout is not None:
        t.append(f" · T {f.ha_timeout:g} s (xhad.conf HeartbeatTimeout)")
    if src is not None:
        t.append(f" · {age_text(now - src.at)}", style=STALE if src.stale else MUTED)
    ls = f.sources.get("ha_liveset")
    t.append("\n liveset as its daemon sees it")
    if ls is not None:
        t.append(f" ({age_text(now - ls.at)})", style=STALE if ls.stale else MUTED)
    t.append(":")
    if f.ha_liveset_error:
        t.append(f" {f.ha_liveset_error}", style=BAD)
    view = d.ha.liveset.get(f.name) if d is not None and d.ha is not None else None
    if view:
        for host, state in sorted(view.items()):
            t.append(f"\n   {host:<10} ")
            t.append(state, style=GOOD if state.startswith("live") else BAD)
    elif not f.ha_liveset_error:
        t.append(" not read", style=MUTED)
    for w in f.ha_liveset_warnings:
        t.append(f"\n   warning: {w}", style=BAD)
    return t


def _spaced(parts: list[RenderableType]) -> list[RenderableType]:
    out: list[RenderableType] = []
    for i, p in enumerate(parts):
        if i:
            out.append(Text(""))
        out.append(p)
    return out


def activity_line(pool: str | None, r: CommandResult, action: bool = False) -> Text:
    """One line of the activity log: time, host, exit status, duration, command."""
    import time as _time

    t = Text()
    t.append(_time.strftime("%H:%M:%S ", _time.localtime(r.started)), style=MUTED)
    host = f"{pool}/{r.host}" if pool else r.host
    t.append(f"{host:<8} ", style="bold")
    status = "timeout" if r.timed_out else ("error" if r.error else f"exit {r.exit_status}")
    t.append(f"{status:<9}", style=GOOD if r.ok else BAD)
    t.append(f"{r.duration:6.2f} s ", style=MUTED)
    if action:
        t.append("ACTION ", style=FLAG)
    t.append(r.command)
    if r.error and not r.timed_out:
        t.append(f"  ({r.error})", style=ERROR_DETAIL)
    return t


def activity_note_line(pool: str | None, note: ActivityNote) -> Text:
    """One note of the activity view, aligned with `activity_line`: time, host, `note`, the pane that
    said it, what it said (its lines joined by ` · `: one entry, wrapped as the log wraps)."""
    import time as _time

    t = Text()
    t.append(_time.strftime("%H:%M:%S ", _time.localtime(note.at)), style=MUTED)
    host = f"{pool}/{note.host}" if pool else note.host
    t.append(f"{host:<8} ", style="bold")
    t.append(f"{'note':<9}", style=WARN)
    t.append(f"{note.source}: ", style=MUTED)
    t.append(" · ".join(line.strip() for line in note.text.splitlines() if line.strip()))
    return t


def plain_text(widget: Any, width: int = 200) -> str:
    """What a Static shows (`widget.content`), as plain text (tests, debugging)."""
    content = widget.content
    if isinstance(content, str):
        return content
    if isinstance(content, Text):
        return content.plain
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(content)
    return console.export_text()
