"""The audit trail: JSONL records, file mode, concurrency, and redaction."""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from xentui.trail.audit import MASK, AuditLog, AuditRecord, default_audit_path, operator_login, redact

# --------------------------------------------------------------------------- records


def test_record_defaults_and_utc() -> None:
    rec = AuditRecord(host="plot1", command="xe host-list")
    assert rec.ts.tzinfo is not None and rec.ts.utcoffset() == timedelta(0)
    assert (rec.actor, rec.outcome, rec.exit_status, rec.detail) == (operator_login(), "ok", None, None)
    data = json.loads(rec.model_dump_json())
    assert data["ts"].endswith("Z")
    assert datetime.fromisoformat(data["ts"]) == rec.ts

    plus2 = timezone(timedelta(hours=2))
    assert AuditRecord(host="h", command="c", ts=datetime(2024, 1, 1, 12, tzinfo=plus2)).ts == datetime(
        2024, 1, 1, 10, tzinfo=UTC
    )
    assert AuditRecord(host="h", command="c", ts=datetime(2024, 1, 1, 12)).ts.tzinfo is UTC


def test_record_validation() -> None:
    with pytest.raises(ValidationError):
        AuditRecord(host="h", command="c", duration_s=-1)
    with pytest.raises(ValidationError):
        AuditRecord(host="h", command="c", outcome="")
    with pytest.raises(ValidationError):
        AuditRecord(host="h", command="c", extra="nope")  # type: ignore[call-arg]


# --------------------------------------------------------------------------- the log


def test_append_and_read(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a" / "b" / "audit.jsonl")
    assert log.read() == []  # missing file reads as empty
    first = log.append(AuditRecord(host="plot1", command="xe host-list", exit_status=0, duration_s=0.25))
    log.record("plot2", "xe pool-emergency-transition-to-master", outcome="timeout", duration_s=10.0,
               detail="no answer after 10s")
    log.record("plot3", "xe host-shutdown", outcome="dry-run")

    lines = log.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    assert all(json.loads(line)["actor"] == operator_login() for line in lines)

    records = log.read()
    assert records[0] == first
    assert [r.host for r in records] == ["plot1", "plot2", "plot3"]
    assert [r.outcome for r in records] == ["ok", "timeout", "dry-run"]
    assert records[1].detail == "no answer after 10s"
    assert [r.host for r in log.read(limit=2)] == ["plot2", "plot3"]
    assert log.read(limit=0) == []
    assert len(log.read(limit=99)) == 3


def test_file_mode_and_parent_dirs(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    path = tmp_path / "deep" / "er" / "audit.jsonl"
    old = os.umask(0)  # even with a permissive umask the file is private
    try:
        AuditLog(path).record("h", "c")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.parent.is_dir()


def test_existing_loose_file_is_tightened(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    path = tmp_path / "audit.jsonl"
    path.write_text("")
    os.chmod(path, 0o644)
    AuditLog(path).record("h", "c")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_read_skips_torn_and_foreign_lines(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("h1", "c1")
    with open(log.path, "a", encoding="utf-8") as fh:
        fh.write("\n{not json\n")
        fh.write('{"host": "h", "command": "c", "unexpected": 1}\n')
    log.record("h2", "c2")
    with open(log.path, "a", encoding="utf-8") as fh:
        fh.write('{"ts": "2024-01-01T00:00:00Z", "host": "h3", "comm')  # torn last line
    assert [r.host for r in log.read()] == ["h1", "h2"]


def test_concurrent_appends_from_threads(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.add_secret("s3cret")
    threads_n, per_thread = 8, 40
    barrier = threading.Barrier(threads_n)

    def worker(t: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            log.record(f"host{t}", f"xe cmd {i} password=s3cret " + "x" * 2000, exit_status=i)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(threads_n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()

    raw = log.path.read_text(encoding="utf-8")
    assert "s3cret" not in raw
    lines = raw.splitlines()
    assert len(lines) == threads_n * per_thread
    records = [AuditRecord.model_validate_json(line) for line in lines]  # no interleaving
    for t in range(threads_n):
        assert sorted(r.exit_status for r in records if r.host == f"host{t}") == list(range(per_thread))


def test_default_path() -> None:
    assert AuditLog().path == default_audit_path()
    assert default_audit_path().name == "audit.jsonl"


@pytest.mark.skipif(sys.platform != "linux", reason="XDG layout")
def test_default_path_uses_platformdirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_audit_path() == tmp_path / "xentui" / "audit.jsonl"


# --------------------------------------------------------------------------- redaction (examples)


def test_append_redacts_registered_secrets(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", secrets=["pr0d-pass"])
    log.add_secret("")  # ignored
    log.add_secret(None)
    log.add_secret("other'one")
    written = log.record(
        "plot1",
        "xe -s plot1 -u root -pw pr0d-pass host-list",
        outcome="error",
        detail="auth failed for pr0d-pass; tried 'other'\"'\"'one'",
    )
    assert "pr0d-pass" not in written.command and "pr0d-pass" not in (written.detail or "")
    assert written.command == f"xe -s plot1 -u root -pw {MASK} host-list"
    raw = log.path.read_text(encoding="utf-8")
    assert "pr0d-pass" not in raw and "other" not in raw
    assert log.read()[0] == written


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("xe pool-join master-address=10.0.0.1 master-username=root master-password=hunter2 force=true",
         f"xe pool-join master-address=10.0.0.1 master-username=root master-password={MASK} force=true"),
        ('xe pool-join master-password="hunter 2" force=true', f"xe pool-join master-password={MASK} force=true"),
        ("xe pool-join master-password='hunter 2' force=true", f"xe pool-join master-password={MASK} force=true"),
        ('x master-password="esc\\"aped q" y', f"x master-password={MASK} y"),
        ("x master-password='a b'\"c d\"e y", f"x master-password={MASK} y"),
        ('x password="never closed and more', f"x password={MASK}"),
        ("xe user-password-change old=a new=b password=pw1", f"xe user-password-change old=a new=b password={MASK}"),
        ("PASSWORD=Shout", f"PASSWORD={MASK}"),
        ("mysql --password=abc --user=x", f"mysql --password={MASK} --user=x"),
        ("xe -s host -u root -pw abc vm-list", f"xe -s host -u root -pw {MASK} vm-list"),
        ('{"password": "abc", "x": 1}', f'{{"password": {MASK}, "x": 1}}'),
        ("xe host-list params=uuid", "xe host-list params=uuid"),
        ("", ""),
    ],
)
def test_redact_password_forms(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_known_secret_variants() -> None:
    assert redact("a secret b secret", ["secret"]) == f"a {MASK} b {MASK}"
    # Longest first: a secret containing another is masked whole.
    assert redact("abcdef", ["abc", "abcdef"]) == MASK
    # Shell-quoted and JSON-escaped forms of the secret.
    assert "it" not in redact("echo 'it'\"'\"'s'", ["it's"]).replace("echo", "")
    assert redact('{"detail": "pa\\"ss"}', ['pa"ss']) == f'{{"detail": "{MASK}"}}'
    assert redact("nothing", ["", ""]) == "nothing"


# --------------------------------------------------------------------------- redaction (properties)

# Secrets never contain the mask character: a secret made of '*' could be
# "recreated" by the mask itself, which is not a leak.
_secret = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="*"), min_size=1, max_size=16)
_filler = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


@settings(max_examples=200, deadline=None)
@given(secrets=st.lists(_secret, min_size=1, max_size=3), parts=st.lists(st.tuples(_filler, st.integers(0, 2)), max_size=6), tail=_filler)
def test_redact_removes_every_secret(secrets: list[str], parts: list[tuple[str, int]], tail: str) -> None:
    text = "".join(f + secrets[i % len(secrets)] for f, i in parts) + tail
    out = redact(text, secrets)
    for secret in secrets:
        assert secret not in out
    if parts:
        assert MASK in out


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_redact_leaves_innocent_text_alone(text: str) -> None:
    lowered = text.lower()
    if "pass" in lowered or "pw" in lowered:
        return
    assert redact(text) == text
    assert redact(text, ["\x00never-present\x00"]) == text


_bare_value = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Cc", "Zl", "Zp"), blacklist_characters="\"'*"), min_size=1, max_size=16).filter(lambda v: not any(c.isspace() for c in v))
_key = st.sampled_from(["password", "master-password", "PASSWORD", "Master-Password", "--password"])
_word = st.from_regex(r"[a-z][a-z0-9=.-]{0,10}", fullmatch=True).filter(lambda w: "pass" not in w and "pw" not in w)


@settings(max_examples=200, deadline=None)
@given(key=_key, value=_bare_value, before=_word, after=_word, quoting=st.sampled_from(["", '"', "'"]))
def test_password_values_redacted_without_knowing_them(key: str, value: str, before: str, after: str, quoting: str) -> None:
    if quoting == '"':
        quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    elif quoting == "'":
        quoted = "'" + value + "'"
    else:
        quoted = value
    text = f"xe {before} {key}={quoted} {after}"
    assert redact(text) == f"xe {before} {key}={MASK} {after}"


@settings(max_examples=100, deadline=None)
@given(secret=_secret, command=_filler, detail=st.none() | _filler, host=st.from_regex(r"[a-z]{1,8}", fullmatch=True))
def test_a_registered_secret_never_reaches_the_file(secret: str, command: str, detail: str | None, host: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = AuditLog(Path(tmp) / "audit.jsonl")
        log.add_secret(secret)
        log.record(host, f"{command} master-password={secret} {secret}",
                   detail=None if detail is None else f"{detail}{secret}{detail}")
        raw = log.path.read_text(encoding="utf-8")
        (rec,) = log.read()
    # The file holds exactly the redacted record (nothing else could carry the secret).
    assert raw == rec.model_dump_json() + "\n"
    assert secret not in rec.command and secret not in (rec.detail or "")
    on_disk = json.loads(raw)
    assert secret not in on_disk["command"] and secret not in (on_disk["detail"] or "")


def test_actor_is_the_os_login_or_the_sudo_user(monkeypatch) -> None:
    """Issue 15: the audit names the operator (their login; the one behind sudo), not "xentui"."""
    import getpass

    from xentui.trail.audit import AuditRecord

    monkeypatch.delenv("SUDO_USER", raising=False)
    assert AuditRecord(host="plot1", command="true").actor == getpass.getuser() != "xentui"
    monkeypatch.setenv("SUDO_USER", "alice")
    assert AuditRecord(host="plot1", command="true").actor == "alice"
