"""The audit trail: every remote command run from the console, one JSON line each.

Passwords never reach the file: :meth:`AuditLog.append` redacts the command
and detail with every secret registered via :meth:`AuditLog.add_secret`, and
:func:`redact` also blanks ``password=`` / ``master-password=`` values (and
``-pw VALUE`` / ``--password VALUE``) even when the secret is not known.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shlex
import threading
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from xentui.core.config.schema import default_audit_path

__all__ = [
    "ACTOR",
    "MASK",
    "OUTCOMES",
    "AuditLog",
    "AuditRecord",
    "default_audit_path",
    "operator_login",
    "redact",
]

MASK = "******"
ACTOR = "xentui"
#: The outcomes the console uses (``outcome`` is a free string, these are the convention).
OUTCOMES = ("ok", "error", "timeout", "dry-run", "refused")


def operator_login() -> str:
    """Who ran it: the OS login, or the login behind ``sudo`` (``SUDO_USER``); ACTOR if neither is known."""
    sudo = os.environ.get("SUDO_USER")
    if sudo:
        return sudo
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry for the uid
        return ACTOR


def _now() -> datetime:
    return datetime.now(UTC)


class AuditRecord(BaseModel):
    """One remote command: where, what, how it ended."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    ts: datetime = Field(default_factory=_now)
    host: str
    command: str
    exit_status: int | None = None
    duration_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    outcome: Annotated[str, Field(min_length=1)] = "ok"
    detail: str | None = None
    actor: str = Field(default_factory=lambda: operator_login())

    @field_validator("ts")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        # Naive timestamps are taken to be UTC; aware ones are converted.
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def redacted(self, secrets: Iterable[str] = ()) -> AuditRecord:
        """A copy with host, command and detail passed through :func:`redact`."""
        secrets = tuple(secrets)
        return self.model_copy(
            update={
                "host": redact(self.host, secrets),
                "command": redact(self.command, secrets),
                "detail": None if self.detail is None else redact(self.detail, secrets),
            }
        )


# --------------------------------------------------------------------------- redaction

# ``password=VALUE``, ``master-password=VALUE``, ``--password=VALUE``, ``passwd=VALUE``
# and the separate-argument forms ``-pw VALUE`` / ``--password VALUE``.  VALUE is a
# shell word: unquoted text up to whitespace, "double" or 'single' quoted pieces
# (an unterminated quote runs to the end of the text).
_WORD = r"""(?:"(?:[^"\\]|\\.)*(?:"|\\?\Z)|'[^']*(?:'|\Z)|[^\s"'])+"""
_KEYED = re.compile(
    r"(?P<key>(?<![\w-])[\w-]*(?:password|passwd)[\w-]*\s*=\s*)(?P<value>" + _WORD + ")",
    re.IGNORECASE,
)
_FLAG = re.compile(
    r"(?P<key>(?<![\w-])(?:-pw|--[\w-]*password|--passwd)\s+)(?P<value>(?!-)" + _WORD + ")",
    re.IGNORECASE,
)
# JSON-ish: "password": "VALUE"
_JSONISH = re.compile(
    r"""(?P<key>["'][\w-]*(?:password|passwd)[\w-]*["']\s*:\s*)(?P<value>"(?:[^"\\]|\\.)*(?:"|\Z)|'[^']*(?:'|\Z))""",
    re.IGNORECASE,
)


def _variants(secret: str) -> set[str]:
    # The secret as it may appear in a command line or in escaped output.
    found = {secret, shlex.quote(secret), json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    return {v for v in found if v}


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace every non-empty *secret* in *text* with ``******``, and blank the
    values of ``password=``-style arguments even when the secret is unknown."""
    variants: set[str] = set()
    for secret in secrets:
        if secret:
            variants |= _variants(secret)
    if variants:
        # Longest first, so a secret containing another is masked whole.
        pattern = re.compile("|".join(re.escape(v) for v in sorted(variants, key=lambda v: (-len(v), v))))
        text = pattern.sub(MASK, text)
    for regex in (_KEYED, _FLAG, _JSONISH):
        text = regex.sub(lambda m: m.group("key") + MASK, text)
    return text


# --------------------------------------------------------------------------- the log


class AuditLog:
    """An append-only JSONL audit file (created 0600 with its parent directories).

    ``append`` is safe to call from several threads of one process; each record
    is written with a single ``write`` on an ``O_APPEND`` descriptor and flushed
    to the OS immediately.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, secrets: Iterable[str] = ()) -> None:
        self.path = Path(path).expanduser() if path is not None else default_audit_path()
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, secret: str | None) -> None:
        """Register a secret (e.g. a pool password) to mask in every later record.
        Empty/``None`` is ignored."""
        if secret:
            with self._lock:
                self._secrets.add(secret)

    @property
    def secrets_count(self) -> int:
        return len(self._secrets)

    def append(self, record: AuditRecord) -> AuditRecord:
        """Redact *record* with the registered secrets, append it as one JSON line,
        and return the redacted record as written."""
        with self._lock:
            clean = record.redacted(self._secrets)
            line = (clean.model_dump_json() + "\n").encode("utf-8")
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
            try:
                if os.name == "posix" and os.fstat(fd).st_mode & 0o077:
                    os.fchmod(fd, 0o600)  # tighten a file created by someone else
                view = memoryview(line)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
            finally:
                os.close(fd)
            return clean

    def record(self, host: str, command: str, **fields: Any) -> AuditRecord:
        """Build and :meth:`append` a record (`outcome`, `exit_status`, `duration_s`, `detail`: the
        record's own fields and defaults; a misspelt one is refused); returns the record as written."""
        return self.append(AuditRecord(host=host, command=command, **fields))

    def read(self, limit: int | None = None) -> list[AuditRecord]:
        """The records in file order; with *limit*, only the last *limit*.
        A missing file reads as empty; unparsable lines (e.g. a torn last line)
        are skipped."""
        if limit is not None and limit <= 0:
            return []
        out: deque[AuditRecord] = deque(maxlen=limit)
        try:
            fh = open(self.path, encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        with fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    out.append(AuditRecord.model_validate_json(line))
                except ValidationError:
                    continue
        return list(out)
