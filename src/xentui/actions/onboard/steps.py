"""Bringing the new host level and joining it, as plans :class:`~xentui.actions.runner.PlanRunner`
runs: the performers read every outcome back."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import asyncssh
from pydantic import BaseModel, Field, computed_field

from xentui.trail.audit import AuditLog
from xentui.core.model import CommandResult
from xentui.engine.sessions import HostSession
from xentui.xe import commands as xc
from xentui.xe.errors import parse_xe_error
from xentui.xe.records import XeParseError, parse_records
from xentui.actions.runner import Performed, Performer, PlanRunner, RunReport, StepStatus
from xentui.actions.kinds import register_step
from xentui.actions.plan import Check, Plan, Step, StepAction
from xentui.actions.onboard.checks import JoinCheck, blocking, join_refusal, not_checked, prejoin_checks
from xentui.actions.onboard.connect import HostKeyRefused, NewHostConnection, _known_hosts_pattern, trust_host_key
from xentui.actions.onboard.gather import HostProfile, StepOutput, UpdateInfo, _failure, _split_hosts, _step, _xe, gather_host_profile
from xentui.actions.onboard.join import JoinReport, join_pool

_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")



#: The kinds of step this feature performs itself (PlanRunner `performers`): they run on the
#: new host's own session, not the pool engine's, so the runner's guard rails do not apply;
#: this module builds and checks them (the pre-join checks gate the join).
PERFORMED_KINDS = frozenset(
    {StepAction.UPDATE_UPLOAD, StepAction.UPDATE_APPLY, StepAction.POOL_JOIN, StepAction.TRUST_HOST_KEY}
)
for _kind in sorted(PERFORMED_KINDS):
    register_step(_kind, performed=True)


class LevelReport(BaseModel):
    """What :func:`bring_level` did, and the checks after it."""

    steps: list[StepOutput] = Field(default_factory=list)
    applied: list[str] = Field(default_factory=list)  # file names applied, read back from update-list
    already_applied: list[str] = Field(default_factory=list)  # UPDATE_ALREADY_APPLIED, read back the same way
    outcomes: list[str] = Field(default_factory=list)  # one line per file: what the host said and what was read back
    run: RunReport | None = None  # the runner's account (statuses, dry run, declined)
    failed: list[str] = Field(default_factory=list)  # "<file>: why"
    new_profile: HostProfile | None = None
    pool_profile: HostProfile | None = None
    checks: list[JoinCheck] = Field(default_factory=list)
    guidance: list[str] = Field(default_factory=list)  # what the applied updates ask for afterwards

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return not self.failed and not blocking(self.checks) and not not_checked(self.checks)


ProgressCallback = Callable[[str, int, int], Any]  # (file name, bytes sent, total bytes)
StepCallback = Callable[[StepOutput], Any]


async def _maybe(value: Any) -> None:
    if asyncio.iscoroutine(value) or isinstance(value, Awaitable):
        await value


async def _upload(session: HostSession, local: Path, remote: str, timeout: float,
                  on_progress: ProgressCallback | None) -> StepOutput:
    started = time.monotonic()
    total = local.stat().st_size
    command = f"sftp put {local} {remote}"
    if not await session.connect() or session.conn is None:
        return StepOutput(host=session.name, what=f"upload {local.name}", command=command, ok=False,
                          error=session.error or "not connected")
    name = local.name
    pending: list[Any] = []

    def progress(_src: bytes, _dst: bytes, done: int, size: int) -> None:
        if on_progress is not None:
            res = on_progress(name, done, size)
            if asyncio.iscoroutine(res):
                pending.append(asyncio.ensure_future(res))

    try:
        async def go() -> None:
            async with session.conn.start_sftp_client() as sftp:  # type: ignore[union-attr]
                await sftp.put(str(local), remote, progress_handler=progress)

        await asyncio.wait_for(go(), timeout)
        error = None
    except (asyncio.TimeoutError, TimeoutError):
        error = f"upload not finished in {timeout:g} s"
    except (asyncssh.Error, OSError) as e:
        error = f"upload failed: {e}"
    for t in pending:
        await t
    return StepOutput(host=session.name, what=f"upload {name} ({total} bytes)", command=command, ok=error is None,
                      stdout=f"{total} bytes sent" if error is None else "", error=error,
                      duration_s=time.monotonic() - started)


async def _remove_remote(session: HostSession, remote: str) -> None:
    """Drop the uploaded file from dom0's small root fs (xapi keeps its own copy after *-upload)."""
    if session.conn is None:
        return
    try:
        async with session.conn.start_sftp_client() as sftp:
            await asyncio.wait_for(sftp.remove(remote), 10)
    except (asyncssh.Error, OSError, asyncio.TimeoutError, TimeoutError):
        pass


class UpdateFile(BaseModel):
    """The update a local file holds, read from its update.xml (as xapi reads it on upload)."""

    uuid: str
    name_label: str
    version: str


_UPDATE_ELEMENT = re.compile(rb"<update\b[^>]*>")
_XML_ATTR = re.compile(r'([A-Za-z_-]+)="([^"]*)"')


def update_file_identity(path: str | os.PathLike[str], *, chunk: int = 1 << 20, limit: int = 1 << 31) -> UpdateFile | str:
    """The update in ``path``: its update.xml ``<update uuid=… name-label=… version=…>``.

    xapi takes an update's identity from update.xml in the ISO (xapi_pool_update.ml
    ``parse_update_info``, v1.249.40 / v24.39.0); an ISO stores that file as is, so
    its element is found in the file's bytes. Returns the reason as a string when
    the file holds no such element (then xapi would refuse it: INVALID_UPDATE).
    """
    local = Path(path).expanduser()
    try:
        with local.open("rb") as fh:
            magic = fh.read(262)
            if magic.startswith((b"PK\x03\x04", b"\x1f\x8b")) or magic[257:262] == b"ustar":
                # an archive around the ISO: its update.xml bytes may show through (stored, not
                # compressed), but xapi mounts what it is given, and an archive does not mount
                return (f"no update.xml in it: {describe_file(local)}; not an update package "
                        "(xapi would refuse it: INVALID_UPDATE) — pick the update's own file")
            fh.seek(0)
            tail, read = b"", 0
            while read < limit:
                block = fh.read(chunk)
                if not block:
                    break
                read += len(block)
                m = _UPDATE_ELEMENT.search(tail + block)
                if m is not None:
                    attrs = dict(_XML_ATTR.findall(m.group(0).decode(errors="replace")))
                    missing = [k for k in ("uuid", "name-label", "version") if k not in attrs]
                    if missing:
                        return f"its update.xml has no {', '.join(missing)}"
                    return UpdateFile(uuid=attrs["uuid"].lower(), name_label=attrs["name-label"], version=attrs["version"])
                tail = block[-4096:]
    except OSError as e:
        return f"cannot read it: {e}"
    return (f"no update.xml in it: {describe_file(local)}; not an update package (xapi would refuse it: "
            "INVALID_UPDATE) — pick the update's own file")


def describe_file(path: Path) -> str:
    """What a file holds, from its first bytes: an ISO image (its volume label), a zip / tar / gzip
    archive (the .iso files a zip or tar holds), or text (its first line) — said when a file given
    as an update is not one."""
    import tarfile
    import zipfile

    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(0x8800)
    except OSError as e:
        return f"it cannot be read ({e})"
    if size == 0:
        return "it is empty (0 bytes)"
    human = f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size} bytes"
    if head[0x8001:0x8006] == b"CD001":
        label = head[0x8028:0x8048].decode("ascii", errors="replace").strip() or "no label"
        return f"it is an ISO 9660 image ({human}, volume label {label!r}) without an update.xml"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, OSError):
            return f"it is a damaged zip archive ({human})"
        isos = [n for n in names if n.lower().endswith(".iso")]
        inside = f"holding {', '.join(isos[:3])}: unzip it and pick the .iso" if isos else \
            f"holding {len(names)} file(s), no .iso ({', '.join(names[:3])})"
        return f"it is a zip archive ({human}) {inside}"
    if head[257:262] == b"ustar" or head.startswith(b"\x1f\x8b"):
        try:
            with tarfile.open(path) as tf:
                names = tf.getnames()
        except (tarfile.TarError, OSError):
            return f"it is a gzip-compressed file ({human})" if head.startswith(b"\x1f\x8b") else f"it is a tar archive ({human})"
        isos = [n for n in names if n.lower().endswith(".iso")]
        inside = f"holding {', '.join(isos[:3])}: unpack it and pick the .iso" if isos else f"holding {len(names)} file(s), no .iso"
        return f"it is a tar archive ({human}) {inside}"
    sample = head[:512]
    if sample and all(b in b"\t\n\r" or 32 <= b < 127 or b >= 0x80 for b in sample):
        first = sample.decode("utf-8", errors="replace").splitlines()[0][:60] if sample.strip() else ""
        return f"it is text ({human}), starting {first!r}"
    return f"it is {human} of data this console does not recognise"


def trust_command(conn: NewHostConnection) -> str:
    """What trusting the offered host key does, as the plan step (and the pane's next line) says it."""
    where = conn.known_hosts_path or "known_hosts"
    pattern = _known_hosts_pattern(conn.known_hosts_host or "", conn.known_hosts_port)
    return f"trust host key {conn.fingerprint} for {pattern} in {where}"


def file_needed(u: UpdateInfo) -> str:
    """Which file brings update ``u``: the one whose update.xml names it, in that version."""
    return f"{u.name_label}.iso (update.xml: name-label {u.name_label}, version {u.version}, uuid {u.uuid})"


def match_update_file(found: UpdateFile, pool_updates: Sequence[UpdateInfo]) -> UpdateInfo | str:
    """The pool's update record this file is (same UUID, name and version), or why not."""
    rec = next((u for u in pool_updates if u.uuid.lower() == found.uuid), None) or next(
        (u for u in pool_updates if u.name_label == found.name_label), None)
    if rec is None:
        return f"holds {found.name_label} {found.version}, an update the pool master does not have"
    if (rec.name_label, rec.version, rec.uuid.lower()) != (found.name_label, found.version, found.uuid):
        return (f"holds {found.name_label} version {found.version} (uuid {found.uuid}); the pool has "
                f"{rec.name_label} version {rec.version} (uuid {rec.uuid}): the wrong file")
    return rec


async def _update_hosts(session: HostSession, uuid: str, timeout: float, patch: bool) -> tuple[list[str] | None, CommandResult]:
    """The hosts ``update-list`` says the update is applied on (read back, never assumed)."""
    cmd = (xc.patch_list if patch else xc.update_list)(params=["uuid", "hosts"])
    r = await _xe(session, cmd, timeout)
    if not r.ok:
        return None, r
    try:
        for rec in parse_records(r.stdout):
            if rec.get("uuid", "").lower() == uuid:
                return _split_hosts(rec.get("hosts", "")), r
    except XeParseError:
        return None, r
    return [], r


# =========================================================================== 4b. the steps, run by PlanRunner


def _as_result(s: StepOutput, started: float) -> CommandResult:
    return CommandResult(host=s.host, command=s.command, exit_status=s.exit_status if s.error is None else None,
                         stdout=s.stdout, stderr=s.stderr, started=started, duration=s.duration_s,
                         timed_out=s.exit_status in xc.TIMED_OUT_EXIT_CODES, error=s.error)


def _state(factory: Callable[[], Any]) -> Any:
    """A field of what the steps learned: starts empty, is not an argument."""
    return dataclasses.field(default_factory=factory, init=False)


@dataclasses.dataclass(eq=False)
class OnboardSteps:
    """Onboarding's changes as plans for :class:`~xentui.actions.runner.PlanRunner`.

    The runner confirms, honours dry-run and writes the audit; the performers
    here do each step on the new host's own session (the engine does not watch
    that host yet) and read its effect back: upload → the UUID the host prints
    is the file's; apply → ``update-list`` lists the host; join → pool.conf,
    the toolstack and the master's host list (:func:`join_pool`); trust → the
    SSH session comes up with the key.
    """

    session: HostSession  # the new host's own session
    timeout: float
    upload_timeout: float = 1800.0
    on_progress: ProgressCallback | None = None
    on_step: StepCallback | None = None
    remove_after: bool = True
    # what the steps learned, in order (not arguments)
    files: dict[str, Path] = _state(dict)  # update uuid -> local file
    steps: list[StepOutput] = _state(list)  # every command with its output, in order
    outcomes: dict[str, str] = _state(dict)  # file name -> what was read back
    already: set[str] = _state(set)  # file names UPDATE_ALREADY_APPLIED
    patch: bool = _state(lambda: False)
    join_report: JoinReport | None = _state(lambda: None)
    trust: NewHostConnection | None = _state(lambda: None)
    # the join's arguments, password included: never in the repr
    _join: tuple[str, str, str, HostSession | None, HostProfile | None, HostProfile | None, float, float] | None = (
        dataclasses.field(default=None, init=False, repr=False)
    )

    def performers(self) -> dict[StepAction, Performer]:
        performers = {StepAction.UPDATE_UPLOAD: self._upload, StepAction.UPDATE_APPLY: self._apply,
                      StepAction.POOL_JOIN: self._pool_join, StepAction.TRUST_HOST_KEY: self._trust}
        assert set(performers) == PERFORMED_KINDS
        return performers

    async def _note(self, s: StepOutput) -> None:
        self.steps.append(s)
        if self.on_step is not None:
            await _maybe(self.on_step(s))

    # ------------------------------------------------------------------ plans
    def level_plan(self, files: Sequence[str | os.PathLike[str]], new: HostProfile,
                   pool: HostProfile) -> tuple[Plan, list[str]]:
        """Upload + apply per file; files that are not the pool's update are refused here (the reasons)."""
        failed: list[str] = []
        steps: list[Step] = []
        self.patch = new.update_mechanism == "patch"
        kind = "patch" if self.patch else "update"
        for f in files:
            local = Path(f).expanduser()
            name = local.name
            if not _FILE_NAME.fullmatch(name) or ".." in name:
                failed.append(f"{name}: not a plain file name (letters, digits, . _ + -)")
                continue
            if not local.is_file():
                failed.append(f"{name}: no such file on the jump box: {local}")
                continue
            if new.uuid is None:
                failed.append(f"{name}: the new host's UUID is unknown (read its profile first)")
                continue
            found = update_file_identity(local)
            if isinstance(found, str):
                failed.append(f"{name}: {found}")
                continue
            rec = match_update_file(found, pool.updates)
            if isinstance(rec, str):
                failed.append(f"{name}: {rec}; nothing sent")
                continue
            if any(u.uuid.lower() == found.uuid for u in new.updates):
                self.outcomes[name] = f"{name}: {rec.label()} is already applied on {new.label}; not sent"
                continue
            self.files[found.uuid] = local
            remote = f"/tmp/{name}"
            steps.append(Step(
                host=self.session.name, action=StepAction.UPDATE_UPLOAD, target_uuid=found.uuid, dangerous=False,
                command=xc.patch_upload(remote) if self.patch else xc.update_upload(remote),
                why=f"sftp put {local} {remote}, then {kind}-upload: adds {rec.label()} to {new.label}'s update list "
                    "(nothing is applied yet)",
                verify=f"the UUID {kind}-upload prints is the file's ({found.uuid}); UPDATE_ALREADY_EXISTS reuses it",
                timeout=self.upload_timeout))
            steps.append(Step(
                host=self.session.name, action=StepAction.UPDATE_APPLY, target_uuid=found.uuid,
                command=(xc.patch_apply if self.patch else xc.update_apply)(found.uuid, new.uuid),
                why=f"applies {rec.label()} on {new.label} (after-apply guidance: "
                    f"{', '.join(rec.after_apply_guidance) or 'none'})",
                verify=f"{kind}-list then lists {new.label} in the update's hosts", timeout=self.upload_timeout))
        plan = Plan(kind="onboard-level", title=f"Bring {new.label} level with the pool", verdict="onboarding",
                    steps=steps)
        return plan, failed

    def join_plan(self, new: HostProfile, pool: HostProfile, checks: Sequence[JoinCheck], failures: Sequence[str],
                  master_address: str, master_username: str, password: str, audit: AuditLog, *,
                  master_session: HostSession | None, fuse: float, settle_timeout: float) -> Plan:
        """``xe pool-join`` (never force) — blocked while a check blocks or a fact is missing."""
        audit.add_secret(password)  # before anything can be recorded
        self._join = (master_address, master_username, password, master_session, new, pool, fuse, settle_timeout)
        refusal = join_refusal(checks, failures)
        return Plan(
            kind="onboard-join", title=f"Join {new.label} to the pool of {master_address}", verdict="onboarding",
            preconditions=[Check(name="pre-join checks", ok=refusal is None, detail=refusal or "every check passes")],
            steps=[Step(host=self.session.name, action=StepAction.POOL_JOIN, master_address=master_address,
                        command=xc.pool_join(master_address, master_username, force=False),
                        why=f"{new.label} joins the pool of {master_address}; its toolstack restarts. The password "
                            "goes on stdin only; force is never passed.",
                        verify=f"after the restart: pool.conf slave:{master_address}, the toolstack answers as a "
                               "member, the master's host list has it", timeout=self.timeout)])

    def trust_plan(self, conn: NewHostConnection) -> Plan:
        self.trust = conn
        return Plan(kind="onboard-trust", title=f"Trust {conn.session.name}'s host key", verdict="onboarding",
                    steps=[Step(host=conn.session.name, action=StepAction.TRUST_HOST_KEY,
                                command=trust_command(conn),
                                why="compare the fingerprint with the host's own console first",
                                verify="the SSH session comes up with that key")])

    # ------------------------------------------------------------------ performers
    async def _upload(self, step: Step) -> Performed:
        started = time.time()
        uuid = step.target_uuid or ""
        local = self.files[uuid]
        name, remote = local.name, f"/tmp/{local.name}"
        up = await _upload(self.session, local, remote, self.upload_timeout, self.on_progress)
        await self._note(up)
        if not up.ok:
            return Performed(_as_result(up, started), explanation=f"{name}: {up.error}")
        r = await self.session.run(xc.timeout_wrapped(self.upload_timeout, step.command), self.upload_timeout + 5)
        s = _step(f"{'patch' if self.patch else 'update'}-upload {name}", r)
        await self._note(s)
        if self.remove_after:
            await _remove_remote(self.session, remote)
        printed = _uuid_in(r.stdout) if s.ok else None
        said = f"uploaded as {printed}"
        if not s.ok and _already(r.stderr, "EXISTS", "already exists"):
            printed = _uuid_in(r.stderr)
            said = f"already uploaded (UPDATE_ALREADY_EXISTS): reusing update {printed}"
            r = dataclasses.replace(r, exit_status=0)  # xapi kept the earlier upload: that is the outcome wanted
        if printed is None:
            return Performed(r, explanation=f"{name}: {_failure(step.command.split()[1], r) if not s.ok else 'no UUID printed'}")
        self.outcomes[name] = f"{name}: {said}"
        return Performed(r, verified=printed == uuid,
                         verification=f"{name}: {said}" + ("" if printed == uuid else f", not the file's {uuid}"))

    async def _apply(self, step: Step) -> Performed:
        uuid = step.target_uuid or ""
        name = self.files[uuid].name
        kind = "patch" if self.patch else "update"
        r = await self.session.run(xc.timeout_wrapped(self.upload_timeout, step.command), self.upload_timeout + 5)
        s = _step(f"{kind}-apply {name}", r)
        await self._note(s)
        said = self.outcomes.get(name, name)
        already = not s.ok and _already(r.stderr, "APPLIED", "already been applied")
        if not s.ok and not already:
            return Performed(r, explanation=f"{said}; {_failure(step.command.split()[1], r)}")
        host_uuid = next((a.split("=", 1)[1] for a in step.command.split() if a.startswith("host-uuid=")), "")
        hosts, rb = await _update_hosts(self.session, uuid, self.timeout, self.patch)
        await self._note(_step(f"{kind}-list (read back {name})", rb))
        if already:
            self.already.add(name)
            r = dataclasses.replace(r, exit_status=0)
        if hosts is None or host_uuid not in hosts:
            seen = "could not be read" if hosts is None else f"lists it on {len(hosts)} host(s), not {self.session.name}"
            text = (f"{said}; {kind}-apply {'said already applied' if already else 'exited 0'} "
                    f"but {kind}-list {seen}: not applied")
            self.outcomes[name] = text
            return Performed(r, verified=False, verification=text)
        text = f"{said}; {'already applied' if already else 'applied'} — {kind}-list lists it on {self.session.name}"
        self.outcomes[name] = text
        return Performed(r, verified=True, verification=text)

    async def _pool_join(self, step: Step) -> Performed:
        assert self._join is not None, "join_plan first"
        address, user, password, master_session, new, pool, fuse, settle = self._join
        started = time.time()
        report = await join_pool(self.session, address, user, password, None, fuse, self.timeout,
                                 master_session=master_session, new_profile=new, pool_profile=pool,
                                 settle_timeout=settle)
        self.join_report = report
        for s in report.steps:
            await self._note(s)
        if not report.steps:
            return Performed(CommandResult(self.session.name, step.command, None, "", "", started, 0.0,
                                           error=report.error.plain if report.error else "not run"),
                             explanation=report.error.plain if report.error else "")
        r = _as_result(report.steps[0], started)
        why = f"{report.error.code}: {report.error.plain}" if report.error is not None else ""
        return Performed(r, verified=report.joined if report.accepted else None,
                         verification="; ".join(report.messages), explanation=why)

    async def _trust(self, step: Step) -> Performed:
        conn = self.trust
        started = time.time()
        assert conn is not None, "trust_plan first"
        try:
            line = await trust_host_key(conn.known_hosts_path or "~/.ssh/known_hosts", conn.known_hosts_host or "",
                                        conn.known_hosts_port, conn.offered_key or conn.fingerprint or "")
        except (HostKeyRefused, asyncssh.Error, OSError, asyncio.TimeoutError, TimeoutError) as e:
            return Performed(CommandResult(conn.session.name, step.command, None, "", "", started, 0.0, error=str(e)),
                             explanation=f"the key was not trusted: {e}")
        ok = await conn.session.connect()
        conn.state, conn.error = conn.session.state, conn.session.error
        conn.fingerprint = conn.session.fingerprint or conn.fingerprint
        r = CommandResult(conn.session.name, step.command, 0, line, "", started, time.time() - started)
        return Performed(r, verified=ok, verification=(f"{conn.session.name}: SSH up with {conn.fingerprint}" if ok else
                                                      f"{conn.session.name}: still not connected: {conn.error}"))


async def bring_level(
    runner: PlanRunner,
    new_session: HostSession,
    files: Sequence[str | os.PathLike[str]],
    *,
    new_profile: HostProfile,
    pool_profile: HostProfile,
    timeout: float,
    upload_timeout: float = 1800.0,
    master_session: HostSession | None = None,
    on_progress: ProgressCallback | None = None,
    on_step: StepCallback | None = None,
    remove_after: bool = True,
) -> LevelReport:
    """Apply update files from the jump box to the new host through ``runner``; every outcome read back.

    For each local file: its update.xml (uuid, name-label, version) must be an
    update the pool master has, in the same version (:func:`match_update_file`)
    — else nothing is sent. An update already applied on the new host is not
    sent again. The plan (:meth:`OnboardSteps.level_plan`) is run by the
    runner, which confirms the applies, honours dry-run and audits: upload
    (SFTP to ``/tmp/<file>``, ``xe update-upload``: the UUID it prints must be
    the file's; ``UPDATE_ALREADY_EXISTS`` reuses it, said so), apply (counted
    only when ``update-list`` then lists the new host; ``UPDATE_ALREADY_APPLIED``
    → "already applied"). Afterwards both hosts are read again and the checks re-run.
    """
    steps = OnboardSteps(new_session, timeout=timeout, upload_timeout=upload_timeout, on_progress=on_progress,
                         on_step=on_step, remove_after=remove_after)
    runner.performers.update(steps.performers())
    plan, failed = steps.level_plan(files, new_profile, pool_profile)
    report = LevelReport(failed=failed)
    run = await runner.run(plan) if plan.steps else None
    report.run = run
    report.steps = steps.steps
    applied_uuids: set[str] = set()
    if run is not None:
        for res in run.results:
            if res.action is not StepAction.UPDATE_APPLY:
                continue
            name = steps.files[plan.steps[res.index].target_uuid or ""].name
            if res.status is StepStatus.OK:
                (report.already_applied if name in steps.already else report.applied).append(name)
                applied_uuids.add(plan.steps[res.index].target_uuid or "")
            elif res.status is StepStatus.DRY_RUN:
                report.outcomes.append(f"{name}: dry run — not uploaded, not applied")
            else:
                up = run.results[res.index - 1]
                cause = up if up.status not in (StepStatus.OK, StepStatus.NOT_RUN) else res
                report.failed.append(f"{name}: {cause.explanation or cause.status}")
    report.outcomes += [o for n, o in steps.outcomes.items()
                        if n in report.applied or n in report.already_applied or "already applied on" in o]
    report.new_profile = await gather_host_profile(new_session, timeout)
    report.pool_profile = await gather_host_profile(master_session, timeout) if master_session else pool_profile
    report.checks = prejoin_checks(report.new_profile, report.pool_profile)
    for u in report.new_profile.updates:
        hints = [g for g in u.after_apply_guidance if g not in ("", "none")]
        if u.uuid in applied_uuids and hints:
            report.guidance.append(
                f"{u.name_label} asks for {', '.join(hints)} on {new_session.name} "
                "(restartHost: reboot it before the join; restartXAPI: xe-toolstack-restart; "
                "restartHVM/restartPV: restart its HVM/PV guests)."
            )
    return report


def _already(stderr: str, suffix: str, words: str) -> bool:
    """UPDATE_/PATCH_ALREADY_EXISTS or _APPLIED, by code or by the datamodel's words."""
    err = parse_xe_error(stderr)
    if err.code in (f"UPDATE_ALREADY_{suffix}", f"PATCH_ALREADY_{suffix}"):
        return True
    return words in stderr.lower()


def _uuid_in(text: str) -> str | None:
    m = xc.UUID_RE.search(text.lower())
    return m.group(0) if m else None
