"""The watcher loop a held SSH session runs on each host, and the pure reader of what it prints.

`watcher_command(...)` is the remote command: a POSIX `sh` loop using only what a
stock XenServer / XCP-ng dom0 has (sh, bash's /dev/tcp, coreutils `timeout` and
`sleep`); nothing is installed or written on the host. It prints, LF-terminated:

    W xentui-watch 1        first: the loop started (protocol version 1)
    H <uptime>              heartbeat at the start of every pass (the host's /proc/uptime)
    C conf <line>           the first line of pool.conf ("" = missing)
    C gen <line>            the first line of state.db.generation
    C reach ok|timeout|fail <why>|-    the host's TCP connect to its master's :443 (- = not a slave)
    C xapi ok <status>|timeout|fail <why>  xapi's answer to `GET /` on 127.0.0.1:80

The first pass prints every `C` key; later passes only what changed. A pass is
the heartbeat, the two file reads (builtins), the xapi check (<= `xapi_seconds`),
the reach check (slaves, <= `reach_seconds`), then `sleep period` unless a check
timed out: the gap between heartbeats is at most `max_gap(...)`. When its stdout
is gone (the client died) the next `printf` gets SIGPIPE, or EPIPE and
`|| exit 1`: the loop ends within one pass. A missing tool ends it with 125-127
and the shell's own message, so the client falls back to polling.

`WatchParser` takes the output in chunks split anywhere and gives `WatchEvent`s;
`StreamView` folds them into the latest values. No I/O here.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Union

__all__ = [
    "KEYS",
    "MAX_LINE",
    "PROTOCOL",
    "Beat",
    "Change",
    "Garbled",
    "Started",
    "StreamView",
    "WatchEvent",
    "WatchParser",
    "max_gap",
    "reach_outcome",
    "watcher_command",
    "watcher_script",
    "xapi_outcome",
]

PROTOCOL = "1"
KEYS = ("conf", "gen", "reach", "xapi")
MAX_LINE = 4096  # a longer line without LF is dropped: a broken remote cannot grow the buffer

POOL_CONF = "/etc/xensource/pool.conf"
GENERATION = "/var/lib/xcp/state.db.generation"

# The loop. Only the first line (its parameters) is filled in by `watcher_script`; the master
# address reaches the inner bash as an argument ($1), never pasted into a script.
_BODY = r"""
RC='exec 2>&1; exec 3<>"/dev/tcp/$1/$2" && echo ok'
XC='exec 2>&1; exec 3<>"/dev/tcp/$1/$2" || exit 1; printf "GET / HTTP/1.0\r\n\r\n" >&3; read -r v c t <&3; echo "ok $c"'
oc= og= or= ox=
printf 'W xentui-watch 1\n' || exit 1
while :; do
  up= c= g=
  read -r up t </proc/uptime
  printf 'H %s\n' "$up" || exit 1
  if [ -f "$PC" ]; then read -r c <"$PC"; fi
  if [ -f "$GF" ]; then read -r g <"$GF"; fi
  x=$(timeout "$T" bash --norc -c "$XC" x 127.0.0.1 "$XP")
  s=$?
  if [ "$s" -ge 125 ] && [ "$s" -le 127 ]; then exit "$s"; fi
  if [ "$s" -eq 124 ]; then x=timeout; elif [ "$x" = "${x#ok }" ]; then x="fail ${x##*: }"; fi
  a=${c#slave:}
  r=-
  if [ "$a" != "$c" ]; then
    r=$(timeout "$R" bash --norc -c "$RC" x "$a" 443)
    s=$?
    if [ "$s" -ge 125 ] && [ "$s" -le 127 ]; then exit "$s"; fi
    if [ "$s" -eq 124 ]; then r=timeout; elif [ "$r" != ok ]; then r="fail ${r##*: }"; fi
  fi
  if [ "v$c" != "$oc" ]; then printf 'C conf %s\n' "$c" || exit 1; oc="v$c"; fi
  if [ "v$g" != "$og" ]; then printf 'C gen %s\n' "$g" || exit 1; og="v$g"; fi
  if [ "v$r" != "$or" ]; then printf 'C reach %s\n' "$r" || exit 1; or="v$r"; fi
  if [ "v$x" != "$ox" ]; then printf 'C xapi %s\n' "$x" || exit 1; ox="v$x"; fi
  if [ "$r" != timeout ] && [ "$x" != timeout ]; then sleep "$P" || exit 127; fi
done
"""


def _seconds(value: float, name: str) -> str:
    if not (0 < value < 3600):
        raise ValueError(f"{name} must be between 0 and 3600 s, not {value!r}")
    return f"{value:g}"


def watcher_script(reach_seconds: float = 2.0, xapi_seconds: float = 1.0, period: float = 1.0) -> str:
    """The loop's text with its parameters (coreutils `timeout`/`sleep` take fractions)."""
    params = (
        f"R={_seconds(reach_seconds, 'reach_seconds')} T={_seconds(xapi_seconds, 'xapi_seconds')}"
        f" P={_seconds(period, 'period')} XP=80 PC={POOL_CONF} GF={GENERATION}"
    )
    return params + _BODY


def watcher_command(reach_seconds: float = 2.0, xapi_seconds: float = 1.0, period: float = 1.0) -> str:
    """The remote command: `sh -c '<loop>'` (dom0's sh is bash; no rc file is read by `sh -c`)."""
    return "sh -c " + shlex.quote(watcher_script(reach_seconds, xapi_seconds, period))


def max_gap(period: float, xapi_seconds: float, reach_seconds: float, slave: bool) -> float:
    """The longest gap between two heartbeats of a loop that is alive (before the link's delay).

    A pass sleeps `period` after fast checks, or skips the sleep when a check timed out:
    the gap is the longer of the two ways a pass can go."""
    checks = xapi_seconds + (reach_seconds if slave else 0.0)
    return max(period + checks, checks)


# ------------------------------------------------------------------------------ events


@dataclass(frozen=True)
class Started:
    version: str


@dataclass(frozen=True)
class Beat:
    uptime: float  # the host's clock (seconds since its boot)


@dataclass(frozen=True)
class Change:
    key: str  # one of KEYS
    value: str


@dataclass(frozen=True)
class Garbled:
    line: str  # a line the protocol does not know (a banner, a restricted shell's message, ...)


WatchEvent = Union[Started, Beat, Change, Garbled]


class WatchParser:
    """Lines from chunks split anywhere (even inside a UTF-8 character); the unfinished tail is kept."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, chunk: bytes | str) -> list[WatchEvent]:
        if isinstance(chunk, str):
            chunk = chunk.encode()
        self._buf += chunk
        *lines, self._buf = self._buf.split(b"\n")
        events = [parse_line(raw.rstrip(b"\r").decode("utf-8", "replace")) for raw in lines]
        if len(self._buf) > MAX_LINE:
            events.append(Garbled(self._buf[:80].decode("utf-8", "replace")))
            self._buf = b""
        return events


def parse_line(line: str) -> WatchEvent:
    """One complete line (without its LF)."""
    kind, _, rest = line.partition(" ")
    if kind == "W" and rest.startswith("xentui-watch "):
        return Started(rest.split(" ", 1)[1])
    if kind == "H":
        try:
            uptime = float(rest)
        except ValueError:
            return Garbled(line)
        if uptime >= 0 and uptime == uptime and uptime != float("inf"):
            return Beat(uptime)
        return Garbled(line)
    if kind == "C":
        key, _, value = rest.partition(" ")
        if key in KEYS:
            return Change(key, value)
    return Garbled(line)


@dataclass
class StreamView:
    """What the loop has said so far: the latest value of each key, and whether it is trusted.

    `running`: the first line was `W` (with our protocol); `ready`: a whole first pass arrived
    (every key, then the next heartbeat), from then on "no `C` line" means "unchanged".
    `refused`: what made the stream unusable (something before `W`, another protocol)."""

    values: dict[str, str] = field(default_factory=dict)
    running: bool = False
    ready: bool = False
    refused: str | None = None
    beats: int = 0
    uptime: float | None = None
    _beat_after_keys: bool = False

    def apply(self, event: WatchEvent) -> None:
        if self.refused is not None:
            return
        if not self.running:
            if isinstance(event, Started) and event.version == PROTOCOL:
                self.running = True
            elif isinstance(event, Started):
                self.refused = f"watcher protocol {event.version!r}, not {PROTOCOL}"
            else:
                self.refused = "not the watcher: " + (event.line if isinstance(event, Garbled) else repr(event))[:120]
            return
        if isinstance(event, Beat):
            self.beats += 1
            self.uptime = event.uptime
            if all(k in self.values for k in KEYS):
                self.ready = True
        elif isinstance(event, Change):
            self.values[event.key] = event.value


def reach_outcome(value: str, seconds: float) -> tuple[bool | None, str]:
    """(reaches the master?, detail) from a `C reach` value; None when the host is not a slave."""
    if value == "ok":
        return True, "TCP 443 connect from the host succeeded"
    if value == "timeout":
        return False, f"no answer in {seconds:g} s from the master's :443"
    if value.startswith("fail"):
        return False, value[4:].strip() or "connect failed"
    return None, "not a slave" if value == "-" else f"unreadable reach value {value[:40]!r}"


def xapi_outcome(value: str) -> bool:
    """Did the local toolstack answer its `GET /` (any HTTP status)? No answer in time, a refused
    connect or an unreadable answer are all "no"."""
    return value.startswith("ok ")
