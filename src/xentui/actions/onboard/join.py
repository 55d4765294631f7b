"""``xe pool-join``, its refusals in plain words, and its confirmation from both sides."""

from __future__ import annotations

import asyncio
import dataclasses
import re

from pydantic import BaseModel, Field, computed_field

from xentui.trail.audit import AuditLog, redact
from xentui.engine.sessions import HostSession
from xentui.xe import commands as xc
from xentui.xe.errors import XeError, parse_xe_error
from xentui.xe.files import Inventory, parse_head_sections
from xentui.xe.records import parse_minimal
from xentui.actions.onboard.checks import UpdateDiff, _names, _v, update_differences
from xentui.actions.onboard.gather import INVENTORY, POOL_CONF, HostProfile, StepOutput, _first_line, _step, _xe, gather_host_profile

_FUSE_RE = re.compile(r"in ([0-9]+(?:\.[0-9]*)?) seconds")


# =========================================================================== 5. join


class JoinError(BaseModel):
    """A refused ``xe pool-join``, in plain words."""

    code: str | None
    description: str
    params: list[tuple[str, str]] = Field(default_factory=list)
    plain: str  # what happened
    advice: str  # what to do
    updates: list[UpdateDiff] = Field(default_factory=list)  # HOSTS_NOT_HOMOGENEOUS about updates


class JoinReport(BaseModel):
    """What :func:`join_pool` did and saw. Never holds the password."""

    new_host: str
    new_host_uuid: str | None = None
    master_address: str
    master_username: str
    force: bool = False
    command: str = ""  # as run (the password is not in it)
    accepted: bool = False  # pool-join exited 0
    error: JoinError | None = None
    pool_conf: str | None = None  # the new host's pool.conf after the restart
    follows_master: bool = False  # pool.conf is slave:<master_address> and its toolstack answers as a member
    master_lists_new_host: bool = False
    emergency: bool | None = None  # the new host came up in emergency mode
    steps: list[StepOutput] = Field(default_factory=list)
    messages: list[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def joined(self) -> bool:
        return self.accepted and self.follows_master and self.master_lists_new_host

    def text(self) -> str:
        head = (
            f"{self.new_host} joined the pool of {self.master_address}" if self.joined else
            f"{self.new_host}: pool-join accepted, not yet confirmed" if self.accepted else
            f"{self.new_host} did not join the pool of {self.master_address}"
        )
        lines = [head]
        if self.error is not None:
            lines.append(f"  {self.error.plain}")
            lines.append(f"  What to do: {self.error.advice}")
        lines.extend(f"  {m}" for m in self.messages)
        return "\n".join(lines)


def _norm(text: str) -> str:
    words = {"coordinator": "master", "supporter": "slave", "server": "host", "servers": "hosts"}
    text = " ".join(text.split()).lower().rstrip(".")
    return re.sub(r"[a-z']+", lambda m: words.get(m.group(0), m.group(0)), text)


def _join_code(err: XeError) -> str | None:
    if err.code not in (None, "CLI_ERROR"):
        return {"POOL_JOINING_HOST_CONNECTION_FAILED": "JOINING_HOST_CONNECTION_FAILED"}.get(err.code, err.code)
    # parse_xe_error knows every release's wording of the join errors (xe/error_wordings.py).
    first = _norm(err.description.splitlines()[0] if err.description else "")
    if "tls verification" in first:
        return "POOL_JOINING_HOST_TLS_VERIFICATION_MISMATCH"
    return err.code


# Join refusals that mean "not the same release": the error code names the
# compared field, its params are host_<attr> / master_<attr>.
_RELEASE_MISMATCH = {
    "POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION": ("XenAPI version", "api_version"),
    "POOL_JOINING_HOST_MUST_HAVE_SAME_DB_SCHEMA": ("database schema", "db_schema"),
}


def explain_join_error(
    stderr: str,
    *,
    new: HostProfile | None = None,
    pool_master: HostProfile | None = None,
    master_address: str = "",
    new_name: str = "the new host",
) -> JoinError:
    """Plain words and what to do for a failed ``xe pool-join`` (profiles, when given, name the details)."""
    err = parse_xe_error(stderr)
    code = _join_code(err)
    n = new.label if new is not None else new_name
    reason = err.param("reason") or ""
    updates: list[UpdateDiff] = []
    if new is not None and pool_master is not None:
        updates = update_differences(new, pool_master)

    def vals(attr: str) -> str:
        if new is None or pool_master is None:
            return ""
        return f" ({n}: {_v(getattr(new, attr))}, pool master: {_v(getattr(pool_master, attr))})"

    plain, advice = err.plain or err.description or "pool-join failed", "Read the error above; nothing was changed."
    if code == "HOSTS_NOT_HOMOGENEOUS":
        low = reason.lower()
        if "update" in low or "patch" in low:
            lacking = _names(updates, "missing-on-new", True)
            extra = _names(updates, "only-on-new", False)
            versions = _names(updates, "version-differs", True)
            named = "; ".join(x for x in (
                f"the pool has, {n} lacks: {lacking}" if lacking else "",
                f"{n} has, the pool lacks: {extra}" if extra else "",
                f"different versions: {versions}" if versions else "",
            ) if x)
            plain = (f"The pool refused {n}: the updates applied on it differ from the pool master's"
                     + (f" — {named}." if named else f" ({reason})."))
            advice = (f"Upload and apply {lacking} on {n} (bring level), then join again." if lacking else
                      "Apply the same updates on both sides (pool master first), then join again.")
            if not named:
                advice += " Read both hosts' profiles to see which updates differ."
        elif "software" in low:
            plain = f"The pool refused {n}: its software version differs from the pool master's{vals('product_version')}."
            advice = "Bring the new host to the pool's version (update the master first if the new host is newer)."
        elif "cpu" in low:
            plain = f"The pool refused {n}: its CPU vendor differs from the pool's{vals('cpu_vendor')}."
            advice = "Pool hosts of one CPU vendor. force=true would skip this check — only if you really mean it."
        else:
            plain = f"The pool refused {n}: the hosts are not homogeneous ({reason or 'no reason given'})."
            advice = "Compare the two hosts with the pre-join checks."
    elif code in _RELEASE_MISMATCH:
        what, attr = _RELEASE_MISMATCH[code]
        plain = (f"The pool refused {n}: its {what} {err.param('host_' + attr) or _v(new and getattr(new, attr))} "
                 f"differs from the master's {err.param('master_' + attr) or _v(pool_master and getattr(pool_master, attr))}.")
        advice = "Install the pool's release on the new host; if the new host is newer, upgrade the pool master first."
    elif code == "JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS":
        others = ", ".join(new.other_hosts) if new is not None and new.other_hosts else "other hosts"
        plain = f"{n} is already the master of a pool with {others}; a host can join only alone."
        advice = f"Eject {others} from {n}'s pool first, then join {n}."
    elif code == "JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS":
        srs = ", ".join(s.name_label for s in new.shared_srs) if new is not None and new.shared_srs else "shared SRs"
        plain = f"{n} has shared storage ({srs}); a joining host may not."
        advice = "Unplug and forget the shared SRs on the new host (the data stays on the storage), join, re-attach pool-wide."
    elif code in _REFUSALS:
        template, attr, advice = _REFUSALS[code]
        plain = template.format(n=n, values=vals(attr) if attr else "")
    elif code == "OPERATION_NOT_ALLOWED":
        why = err.param("reason") or " ".join(v for _, v in err.params) or err.description
        plain = f"xapi refused the join: {why}."
        advice = ("Switch the new host to the pool's network backend (xe-switch-network-backend) and reboot it."
                  if "network backend" in why.lower() else "Fix what the message names, then join again.")
    elif code == "SESSION_AUTHENTICATION_FAILED":
        plain = f"The pool master at {master_address or 'that address'} refused the user name or password."
        advice = "Enter the pool master's root password again (it is never stored)."
    elif code == "JOINING_HOST_CONNECTION_FAILED":
        plain = f"{n} could not connect to the pool master at {master_address or 'that address'} (TCP 443)."
        advice = "Check the address is the master's management address and that the new host reaches it on port 443."
    elif code == "HOST_IS_SLAVE":
        real = err.param("Master IP address") or (err.params[0][1] if err.params else "")
        plain = f"{master_address or 'That address'} is a pool member, not its master" + (f"; the master is {real}." if real else ".")
        advice = f"Join with master-address={real}." if real else "Use the pool master's management address."
    elif code in ("LOST_CONNECTION", "UNABLE_TO_CONTACT_SERVER"):
        plain = f"The xe client on {n} lost its toolstack ({err.description})."
        advice = "Check the new host's toolstack (xe host-list on it), then read its pool.conf before trying again."
    if err.coordinator_wording:  # the host's release says coordinator: so do we, next to the older word
        plain, advice = _COORDINATOR_WORD.sub("master (coordinator)", plain), _COORDINATOR_WORD.sub("master (coordinator)", advice)
    return JoinError(code=code, description=err.description, params=list(err.params), plain=plain, advice=advice,
                     updates=updates if code == "HOSTS_NOT_HOMOGENEOUS" else [])


#: the refusals said in one sentence: xapi code -> (what happened, with {n} the new host and {values}
#: both sides' values of the profile field named next (None: no field), what to do)
_VMS = ("{n} has running (or busy) VMs; a joining host may not.", None,
        "Shut them down or wait for their tasks to finish, then join again.")
_LICENCE = ("{n}'s licence edition does not match the pool's{values}.", "edition",
            "Apply the pool's edition to the new host (xe host-apply-edition), then join again.")
_REFUSALS: dict[str, tuple[str, str | None, str]] = {
    "JOINING_HOST_CANNOT_HAVE_RUNNING_VMS": _VMS,
    "JOINING_HOST_CANNOT_HAVE_RUNNING_OR_SUSPENDED_VMS": _VMS,
    "JOINING_HOST_CANNOT_HAVE_VMS_WITH_CURRENT_OPERATIONS": _VMS,
    "HA_IS_ENABLED": ("HA is enabled (on the pool or on the new host's own pool); a join is refused while it is.",
                      None, "xe pool-ha-disable, join, then re-enable HA."),
    "POOL_JOINING_EXTERNAL_AUTH_MISMATCH": (
        "{n}'s external authentication (AD) setting differs from the pool master's{values}.", "external_auth_type",
        "Configure the same external authentication on both (or none on both), then join again."),
    "POOL_JOINING_HOST_TLS_VERIFICATION_MISMATCH": (
        "TLS verification is enabled on one side only{values}.", "tls_verification_enabled",
        "xe pool-enable-tls-verification on the side where it is off, then join again."),
    "LICENSE_HOST_POOL_MISMATCH": _LICENCE,
    "LICENCE_RESTRICTION": _LICENCE,
    "LICENSE_RESTRICTION": _LICENCE,
    "HOSTS_NOT_COMPATIBLE": ("{n} runs a different product or major release than the pool{values}; "
                             "force does not skip this.", "platform_version",
                             "Reinstall or upgrade the new host to the pool's release."),
}

# "master" as a word of our own prose (not master-address=, master_api_version, a quoted xe parameter).
_COORDINATOR_WORD = re.compile(r"\bmaster\b(?![-_=])")


async def _read_pool_conf(session: HostSession, timeout: float) -> str | None:
    r = await session.run(xc.read_files([POOL_CONF], max_bytes=4096), timeout)
    if not r.ok:
        return None
    body = parse_head_sections(r.stdout).get(POOL_CONF)
    return body.strip() if body is not None else None


async def _minimal(session: HostSession, command: str, timeout: float) -> list[str] | None:
    r = await _xe(session, command, timeout)
    if not r.ok:
        return None
    return [v for v in parse_minimal(r.stdout) if v]  # \\, and \\\\ unescaped (cli_printer.ml escape_commas)


async def join_pool(
    new_session: HostSession,
    master_address: str,
    master_username: str,
    password: str,
    audit: AuditLog | None,
    fuse: float,
    timeout: float,
    *,
    force: bool = False,
    master_session: HostSession | None = None,
    new_profile: HostProfile | None = None,
    pool_profile: HostProfile | None = None,
    settle_timeout: float = 60.0,
    poll_interval: float = 0.5,
) -> JoinReport:
    """Run ``xe pool-join`` on the new host, then confirm it from both sides.

    The password is registered with ``audit.add_secret`` first and reaches the
    host only on the command's stdin: the command string (recorded by the
    session, the audit log and the report) never contains it, and the report
    holds no copy. ``force`` is never implied: pass ``force=True`` only after
    the admin asked for it (it skips the software-version and CPU checks only).

    On refusal ``error`` explains it (HOSTS_NOT_HOMOGENEOUS names the updates
    that differ, using ``new_profile``/``pool_profile`` or reading them
    through the sessions). On success: wait ``fuse`` seconds (the printed
    "in N seconds" wins) for the toolstack restart, then poll, up to
    ``settle_timeout``, until the new host's pool.conf says
    ``slave:<master_address>`` and its toolstack answers as a member of the
    master's pool; finally the master's ``xe host-list`` (through
    ``master_session``, else through the new host, which forwards it) must list
    the new host's UUID.
    """
    if audit is not None:
        audit.add_secret(password)  # before anything can be recorded
    report = JoinReport(new_host=new_session.name, master_address=master_address,
                        master_username=master_username, force=force)
    try:
        command = xc.timeout_wrapped(timeout, xc.pool_join(master_address, master_username, force=force))
        stdin = xc.password_stdin(password)
    except ValueError as e:
        report.error = JoinError(code="CLI_ERROR", description=str(e), plain=f"Cannot build the pool-join: {e}",
                                 advice="Check the master address and user name.")
        return report
    report.command = command
    if new_profile is not None:
        report.new_host_uuid = new_profile.uuid
    else:
        inv = await new_session.run(xc.read_files([INVENTORY]), timeout)
        report.new_host_uuid = Inventory.from_text(parse_head_sections(inv.stdout).get(INVENTORY, "")).installation_uuid

    raw = await new_session.run(command, timeout + 5, stdin=stdin)
    # Whatever the remote prints back stays out of the report if it ever echoed the password.
    r = dataclasses.replace(raw, stdout=redact(raw.stdout, [password]), stderr=redact(raw.stderr, [password]),
                            error=redact(raw.error, [password]) if raw.error else None)
    step = _step("pool-join", r)
    report.steps.append(step)
    if not step.ok:
        if r.timed_out or r.exit_status in xc.TIMED_OUT_EXIT_CODES or r.error:
            lost = not (r.timed_out or r.exit_status in xc.TIMED_OUT_EXIT_CODES)
            report.error = JoinError(
                code="CONNECTION_LOST" if lost else "TIMEOUT", description=step.error or "no answer",
                plain=(f"the SSH connection to {new_session.name} was lost during pool-join" if lost else
                       f"pool-join gave no answer in {timeout:g} s") + ": it may or may not have taken effect.",
                advice="Read the new host's pool.conf and the master's host list before trying again.")
            report.pool_conf = await _read_pool_conf(new_session, timeout)
            return report
        np, pp = new_profile, pool_profile
        err = parse_xe_error(r.stderr)
        if _join_code(err) == "HOSTS_NOT_HOMOGENEOUS":
            if np is None:
                np = await gather_host_profile(new_session, timeout)
            if pp is None and master_session is not None:
                pp = await gather_host_profile(master_session, timeout)
        report.error = explain_join_error(r.stderr if r.stderr.strip() else (r.error or ""), new=np, pool_master=pp,
                                          master_address=master_address, new_name=new_session.name)
        return report

    report.accepted = True
    m = _FUSE_RE.search(r.stdout)
    wait = float(m.group(1)) if m else fuse
    report.messages.append(f"pool-join accepted: {_first_line(r.stdout)}")
    master_uuid = pool_profile.uuid if pool_profile is not None else None
    if master_uuid is None and master_session is not None:
        got = await _minimal(master_session, xc.pool_list(params=["master"], minimal=True), timeout)
        master_uuid = got[0] if got else None
    await asyncio.sleep(wait)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + settle_timeout
    expected_conf = f"slave:{master_address}"
    while True:
        report.pool_conf = await _read_pool_conf(new_session, timeout)
        if report.pool_conf == expected_conf:
            em = await _xe(new_session, xc.host_is_in_emergency_mode(), timeout)
            report.emergency = em.stdout.strip() == "true" if em.ok else None
            if report.emergency is False:
                seen = await _minimal(new_session, xc.pool_list(params=["master"], minimal=True), timeout)
                if seen and (seen[0] == master_uuid if master_uuid else seen[0] != report.new_host_uuid):
                    report.follows_master = True
                    break
        if loop.time() > deadline:
            break
        await asyncio.sleep(poll_interval)
    if not report.follows_master:
        if report.pool_conf != expected_conf:
            report.messages.append(f"{report.new_host}'s pool.conf says {report.pool_conf!r}, not {expected_conf!r}.")
        elif report.emergency:
            report.messages.append(f"{report.new_host} restarted in emergency mode: it cannot reach its new master; "
                                   "check the network between them (TCP 443).")
        else:
            report.messages.append(f"{report.new_host}'s toolstack did not answer as a pool member within "
                                   f"{settle_timeout:g} s after the restart.")
    else:
        report.messages.append(f"{report.new_host}'s pool.conf says {expected_conf}; its toolstack answers as a member.")

    via = master_session or new_session
    listed = await _minimal(via, xc.host_list(params=["uuid"], minimal=True), timeout)
    report.master_lists_new_host = bool(listed and report.new_host_uuid in listed)
    where = "the master's" if master_session is not None else "the pool's (asked through the new host)"
    report.messages.append(
        f"{where} host list {'includes' if report.master_lists_new_host else 'does NOT include'} "
        f"{report.new_host} ({report.new_host_uuid})."
    )
    return report
