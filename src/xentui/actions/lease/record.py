"""The lease as data and as shell commands: pure, no I/O.

On each host the lease is one directory made by an atomic `mkdir` under
/run (a tmpfs on dom0: a reboot clears it; never inside xapi's own
directories), holding exactly one file, ``holder.<token>``, whose one line
is the holder's record as JSON (`LeaseRecord`).  Every change is made of
operations the kernel does atomically, so two clients racing on one host get
one answer each:

* take a free lease:   ``mkdir -p /run/xentui && mkdir DIR && printf … > DIR/holder.T``
  (the second `mkdir` fails with "File exists" for every client but one);
* renew (ours):        ``test -f DIR/holder.T && printf … > DIR/holder.T``;
* release (ours):      ``rm DIR/holder.T && rmdir DIR`` (only our file is removed);
* take over holder O:  ``rm DIR/holder.O && rmdir DIR && mkdir DIR && printf …``:
  `rm` of the one named file is the compare-and-delete: of two clients taking
  over the same stale lease only one unlinks it, and a lease taken since by
  someone else has another name and survives;
* take an abandoned directory (made, no holder written): ``rmdir DIR && mkdir DIR && …``
  (`rmdir` fails once anyone has written a holder into it).

`read_command` lists the directory and prints each file after a ``== name``
line in one round trip (`parse_listing` reads it back).
"""

from __future__ import annotations

import json
import re
import shlex
from enum import StrEnum

from pydantic import BaseModel, Field, ValidationError

__all__ = [
    "LEASE_DIR",
    "HostLease",
    "LeaseRecord",
    "LeaseState",
    "parse_listing",
    "read_command",
    "release_command",
    "renew_command",
    "take_command",
    "take_over_command",
    "validate_token",
]

RUN_DIR = "/run/xentui"
LEASE_DIR = f"{RUN_DIR}/lease"
_TOKEN_RE = re.compile(r"[0-9a-f]{32}")
_HOLDER_RE = re.compile(r"holder\.([0-9a-f]{32})")


def validate_token(token: str) -> str:
    """A lease token is 32 lowercase hex digits (uuid4().hex); anything else is refused."""
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        raise ValueError(f"not a lease token: {token!r}")
    return token


class LeaseRecord(BaseModel):
    """Who holds the pool, from where, for which plan, since when, until when (epoch seconds, the holder's clock)."""

    token: str
    operator: str  # the OS login (SUDO_USER behind sudo)
    jump_box: str  # the holder's host name
    plan: str  # the plan's title
    pool: str = ""
    started: float
    expires: float
    pid: int | None = None

    def stale(self, now: float) -> bool:
        """Past its expiry: the holder stopped renewing it (crashed, cut off); it may be taken."""
        return now >= self.expires

    def who(self) -> str:
        return f"{self.operator}@{self.jump_box}"

    def line(self) -> str:
        return json.dumps(self.model_dump(mode="json"), separators=(",", ":"), sort_keys=True)


class LeaseState(StrEnum):
    FREE = "free"  # no lease directory
    HELD = "held"  # a holder record
    TAKING = "taking"  # the directory, no holder in it (being taken this instant, or a client died in between)
    UNREADABLE = "unreadable"  # a holder file whose content is not a record (being rewritten?)
    UNKNOWN = "unknown"  # the read itself failed (no session, timeout)


class HostLease(BaseModel):
    """What one host's /run says about the lease, and when it was read (monotonic and wall clock)."""

    host: str
    state: LeaseState
    record: LeaseRecord | None = None
    token: str | None = None  # from the holder file's name (also when its content is unreadable)
    error: str | None = None
    read_at: float = 0.0  # time.time() of the read
    extra: list[str] = Field(default_factory=list)  # other names in the directory (never written by xentui)


def _put(path: str, record: LeaseRecord) -> str:
    return f"printf '%s\\n' {shlex.quote(record.line())} > {path}"


def _holder(token: str) -> str:
    return f"{LEASE_DIR}/holder.{validate_token(token)}"


def read_command() -> str:
    """One round trip: `free`, or each file of the lease directory after a `== name` line."""
    return (
        f"if [ -d {LEASE_DIR} ]; then for f in $(ls -A {LEASE_DIR}); do "
        f'echo "== $f"; cat "{LEASE_DIR}/$f"; echo; done; else echo free; fi'
    )


def take_command(record: LeaseRecord) -> str:
    return f"mkdir -p {RUN_DIR} && mkdir {LEASE_DIR} && " + _put(_holder(record.token), record)


def renew_command(record: LeaseRecord) -> str:
    path = _holder(record.token)
    return f"test -f {path} && " + _put(path, record)


def release_command(token: str) -> str:
    return f"rm {_holder(token)} && rmdir {LEASE_DIR}"


def take_over_command(old_token: str | None, record: LeaseRecord) -> str:
    """Replace the holder `old_token` (None: an abandoned, empty directory) by `record`."""
    first = f"rm {_holder(old_token)} && " if old_token is not None else ""
    return first + f"rmdir {LEASE_DIR} && mkdir {LEASE_DIR} && " + _put(_holder(record.token), record)


def parse_listing(host: str, stdout: str, read_at: float) -> HostLease:
    """The output of `read_command` as a `HostLease`."""
    text = stdout.replace("\r\n", "\n")
    if text.strip() == "free":
        return HostLease(host=host, state=LeaseState.FREE, read_at=read_at)
    files: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.split("\n"):
        if line.startswith("== "):
            current = line[3:].strip()
            files[current] = []
        elif current is not None:
            files[current].append(line)
    holders = [(m.group(1), "\n".join(files[n]).strip()) for n in files if (m := _HOLDER_RE.fullmatch(n))]
    extra = [n for n in files if not _HOLDER_RE.fullmatch(n)]
    if not holders:
        return HostLease(host=host, state=LeaseState.TAKING, read_at=read_at, extra=extra)
    token, body = holders[0]
    extra += [f"holder.{t}" for t, _ in holders[1:]]
    try:
        record = LeaseRecord.model_validate_json(body)
    except (ValidationError, ValueError):
        return HostLease(host=host, state=LeaseState.UNREADABLE, token=token, read_at=read_at, extra=extra,
                         error=f"holder.{token}: not a lease record: {body[:80]!r}")
    if record.token != token:
        return HostLease(host=host, state=LeaseState.UNREADABLE, token=token, read_at=read_at, extra=extra,
                         error=f"holder.{token} names another token ({record.token})")
    return HostLease(host=host, state=LeaseState.HELD, record=record, token=token, read_at=read_at, extra=extra)
