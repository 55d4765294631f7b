"""Learn what one host believes: `probe_host(session, timeouts) -> HostFacts`.

One probe is about one round trip: over the single SSH connection, these run
concurrently, each channel bounded by its own timeout:

* the files (pool.conf, inventory, hostname, DB generation) and `hostname -I`
  in one `head` call — readable even when xapi is hung — followed, on the
  same channel, by the host's own TCP connect to the master's :443 (the
  address the last probe read from pool.conf). Neither can hang past its
  bound, so they share a channel; the files are taken as soon as they
  arrive, before the connect check ends. When pool.conf now names another
  master (or no earlier probe named one), the check runs on its own channel
  once the files are read;
* a XenAPI login over one direct-tcpip channel, kept open between polls
  (HOST_IS_SLAVE comes back at once); on a master the session that login
  opened is held, and the next poll asks it instead of logging in again;
* `xe host-is-in-emergency-mode` (shown, never trusted alone);
* a time-bounded `xe pool-list` (hangs on a slave whose master is gone);
* on a host whose local.db / xhad.conf (read with the files) say HA is configured there, the HA
  daemon's liveset (`ha_query_liveset`, time-bounded) on a channel of its own (engine/ha_probe.py).

The two `xe` calls keep channels of their own: either can hang on its own
(pool-list on a slave of a dead master, both on a hung toolstack), and each
answer is worth having without the other.

`on_update` is called with the facts every time a signal arrives, so the
fast signals (pool.conf, HOST_IS_SLAVE, the TCP check) reach the diagnosis
before any `xe` timeout expires.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from dataclasses import dataclass
from typing import Callable

from xentui.engine.fair_wait import fair_sleep
from xentui.engine.ha_probe import apply_ha_files, apply_liveset, ha_configured, ha_files_command, liveset_command
from xentui.core.model import HostFacts, QueryState, Role, SshState, XapiView
from xentui.xe import commands as xc
from xentui.xe.errors import parse_xe_error
from xentui.xe.files import Inventory, parse_head_sections, parse_pool_conf
from xentui.xe.records import XeParseError, parse_records
from xentui.core.model import CommandResult
from xentui.engine.sessions import HostSession
from xentui.engine.xenapi_login import xenapi_login

POOL_CONF = "/etc/xensource/pool.conf"
INVENTORY = "/etc/xensource-inventory"
HOSTNAME = "/etc/hostname"
GENERATION = "/var/lib/xcp/state.db.generation"
ADDRESSES = "hostname -I"


@dataclass(frozen=True)
class ProbeTimeouts:
    connect: float = 5.0
    command: float = 10.0
    reach: float = 2.0


def brief(text: str, limit: int = 200) -> str:
    """A remote text as one short printable line (xe's stderr can be megabytes of anything)."""
    line = " ".join(text[: limit * 4].split())
    line = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


REACH_LABEL = "reach"
REACH_MARKER = f"==> {REACH_LABEL} <==\n".encode()
REACHED, NOT_REACHED = "xentui-reach: connected", "xentui-reach: failed"


def files_command(reach_address: str | None = None, reach_seconds: float = 2.0) -> str:
    """The files in one `head`, then `hostname -I`; with `reach_address`, the TCP check of it after them."""
    cmd = (
        xc.read_files([POOL_CONF, INVENTORY, HOSTNAME, GENERATION]) + "; " + ha_files_command() + "; "
        + xc.section_marker(ADDRESSES) + "; hostname -I"
    )
    if reach_address is None:
        return cmd
    return (
        f"{cmd}; {xc.section_marker(REACH_LABEL)}; {reach_command(reach_address, reach_seconds)} 2>&1"
        f" && echo {shlex.quote(REACHED)} || echo {shlex.quote(NOT_REACHED)}"
    )


def reach_command(address: str, seconds: float) -> str:
    """The host's own TCP connect to its master's :443 (bash's /dev/tcp)."""
    addr = xc.validate_address(address)
    return xc.timeout_wrapped(seconds, "bash -c " + shlex.quote(f"exec 3<>/dev/tcp/{addr}/443"), kill_after=None)


def reach_section_result(files: CommandResult) -> CommandResult:
    """The TCP check's outcome from the reach section of a `files_command(address)` run.

    bash says why a connect failed (refused, no route, bad address) on stderr,
    which the section holds; a failure with nothing said is `timeout` killing
    a connect that got no answer.
    """
    text = parse_head_sections(files.stdout).get(REACH_LABEL)
    lines = (text or "").strip().splitlines()
    base = dict(host=files.host, command=files.command, started=files.started, duration=files.duration)
    if not lines or lines[-1] not in (REACHED, NOT_REACHED):
        return CommandResult(**base, exit_status=None, stdout="", stderr="", timed_out=files.timed_out,
                             error=files.error or "the reach check did not finish")
    said = "\n".join(lines[:-1]).strip()
    if lines[-1] == REACHED:
        return CommandResult(**base, exit_status=0, stdout="", stderr="")
    return CommandResult(**base, exit_status=1 if said else 124, stdout="", stderr=said)


def apply_files(facts: HostFacts, result: CommandResult) -> None:
    """Fill the file-based facts from the combined `head` output."""
    how = "head " + ", ".join([POOL_CONF, INVENTORY, HOSTNAME, GENERATION])
    if not result.ok and not result.stdout:
        facts.learned("files_error", brief(result.error or result.stderr.strip() or f"exit {result.exit_status}"))
        return
    sections = parse_head_sections(result.stdout)
    conf = parse_pool_conf(sections.get(POOL_CONF))
    facts.role = Role(conf.role)
    facts.pool_conf_raw = conf.raw
    facts.master_address = conf.master_address
    facts.learned("role", f"cat {POOL_CONF}")
    if INVENTORY in sections:
        inv = Inventory.from_text(sections[INVENTORY])
        facts.uuid = inv.installation_uuid
        facts.product_brand = inv.product_brand
        facts.product_version = inv.product_version
        facts.learned("uuid", f"INSTALLATION_UUID in {INVENTORY}")
    if HOSTNAME in sections:
        facts.hostname = sections[HOSTNAME].strip() or None
        facts.learned("hostname", HOSTNAME)
    if GENERATION in sections:
        try:
            facts.db_generation = int(sections[GENERATION].strip())
            facts.learned("db_generation", GENERATION)
        except ValueError:
            facts.db_generation = None
    if ADDRESSES in sections:
        facts.own_addresses = [a for a in sections[ADDRESSES].split() if a]
        facts.learned("own_addresses", ADDRESSES)
    apply_ha_files(facts, sections)
    facts.learned("files", how)


def apply_pool_list(facts: HostFacts, result: CommandResult) -> None:
    how = "xe pool-list (time-bounded)"
    if result.timed_out or result.exit_status in xc.TIMED_OUT_EXIT_CODES:
        facts.pool_list = QueryState.NO_ANSWER
        facts.pool_list_error = result.error or "no answer (remote timeout)"
    elif result.ok:
        try:
            records = parse_records(result.stdout)
        except XeParseError as e:
            facts.pool_list = QueryState.ERROR
            facts.pool_list_error = brief(f"unreadable pool-list output: {e}")
        else:
            facts.pool_list = QueryState.ANSWERED
            if records:
                facts.pool_master_uuid = records[0].get("master")
                ha = records[0].get("ha-enabled")
                facts.ha_enabled = None if ha is None else ha == "true"
    else:
        facts.pool_list = QueryState.ERROR
        err = parse_xe_error(result.stderr) if result.stderr else None
        facts.pool_list_error = brief((err.code or err.description) if err else (result.error or f"exit {result.exit_status}"))
    facts.learned("pool_list", how, at=result.started)  # an answer vouches for the master from the ask on


def apply_emergency(facts: HostFacts, result: CommandResult) -> None:
    if result.ok:
        text = result.stdout.strip()
        facts.emergency_mode = text == "true" if text in ("true", "false") else None
        if facts.emergency_mode is None:
            facts.emergency_error = f"unexpected answer {text[:40]!r}"
    elif result.timed_out or result.exit_status in xc.TIMED_OUT_EXIT_CODES:
        facts.emergency_error = result.error or "no answer (remote timeout)"
    else:
        err = parse_xe_error(result.stderr) if result.stderr else None
        facts.emergency_error = brief((err.code or err.description) if err else (result.error or f"exit {result.exit_status}"))
    facts.learned("emergency_mode", "xe host-is-in-emergency-mode")


def apply_reach(facts: HostFacts, result: CommandResult, seconds: float) -> None:
    if result.ok:
        facts.reaches_master, facts.reaches_master_detail = True, "TCP 443 connect from the host succeeded"
    elif result.timed_out or result.exit_status in xc.TIMED_OUT_EXIT_CODES:
        facts.reaches_master, facts.reaches_master_detail = False, f"no answer in {seconds:g} s from the master's :443"
    elif result.error:
        facts.reaches_master, facts.reaches_master_detail = None, result.error
    else:
        detail = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit {result.exit_status}"
        facts.reaches_master, facts.reaches_master_detail = False, brief(detail)
    # observed from the moment the check began: an answer the master gave after that is not older
    facts.learned("reaches_master", f"bash /dev/tcp connect to {facts.master_address}:443 from the host", at=result.started)


def snapshot(facts: HostFacts) -> HostFacts:
    """A copy of `facts` that the probe's later changes do not reach: its containers copied, the rest shared.

    The probe publishes a copy at every signal (about ten a host a probe); a deep copy of every
    field was a tenth of the engine's CPU in a 64-host probe, and every value in HostFacts but
    its list and dict is immutable (the `Source`s are replaced, never changed in place).
    """
    return facts.model_copy(
        update={
            name: type(value)(value)
            for name, value in facts.__dict__.items()
            if isinstance(value, (list, dict, set))
        }
    )


async def probe_host(
    session: HostSession,
    timeouts: ProbeTimeouts,
    on_update: Callable[[HostFacts], None] | None = None,
    password: str | None = None,
    user: str = "root",
    master_hint: str | None = None,
) -> HostFacts:
    """Probe one host. Never raises (but for cancellation); every wait is bounded.

    `master_hint` is the master address the last probe read from pool.conf:
    the host's own TCP check of it runs on the file read's channel, right
    after the read, instead of a round trip later (it is redone on a channel
    of its own if pool.conf now names another master).
    """
    t = session.target
    facts = HostFacts(name=t.name, address=t.host, port=t.port)
    started = time.monotonic()

    def publish() -> None:
        facts.probe_seconds = time.monotonic() - started
        if on_update is not None:
            on_update(snapshot(facts))

    ok = await session.connect()
    facts.ssh, facts.ssh_error, facts.host_key_fingerprint = session.state, session.error, session.fingerprint
    facts.host_key_type, facts.known_host_keys = session.key_type, list(session.known_fingerprints)
    facts.known_hosts_file = session.known_hosts_file or session.target.known_hosts
    if session.key_host is not None:
        facts.key_host, facts.key_port, facts.key_alias = session.key_host
    facts.probed_at = time.time()
    facts.learned("ssh", "SSH connect from the jump box")
    if not ok:
        publish()
        return facts
    publish()

    async def reach(address: str) -> CommandResult | None:
        try:
            cmd = reach_command(address, timeouts.reach)
        except ValueError:
            return None
        return await session.run(cmd, timeouts.reach + 2)

    try:
        hint = xc.validate_address(master_hint) if master_hint else None
    except ValueError:
        hint = None

    async def silence(since: float) -> None:
        # The file read answers in milliseconds even when xapi is hung: no answer within the
        # host's expected answer time (one reach timeout, plus what its measured latency adds)
        # means the host (or the link) is silent.  Said now, and again every reach timeout, rather
        # than only when the command's own timeout drops the session.  The client's own lateness
        # (a blocked loop, a starved CPU) is not the host's silence: it is left out (fair_sleep).
        while True:
            await fair_sleep(timeouts.reach + session.slack)
            facts.silent_for = round(time.monotonic() - started, 1)
            facts.learned("silent_for", "no answer to the file read over the held SSH session", at=since)
            publish()

    files_read = asyncio.Event()  # the HA read waits for local.db

    async def files_then_reach() -> None:
        try:
            await _files_then_reach()
        finally:
            files_read.set()

    async def ha_liveset() -> None:
        await files_read.wait()
        if not ha_configured(facts) or "ha_local" not in facts.sources:
            return
        cmd = liveset_command(facts, timeouts.command)
        if cmd is None:
            return
        apply_liveset(facts, await session.run(cmd, timeouts.command + 1))
        publish()

    async def _files_then_reach() -> None:
        # With a hint the reach check rides on the file read's channel; the files are taken when
        # the reach section starts. A stalled link (cable pulled under an open session) is found
        # and dropped by HostSession.run itself; the end of the probe reports the session's state.
        head: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def on_head(text: str) -> None:
            if not head.done():
                head.set_result(text)

        cmd = files_command(hint, timeouts.reach)
        sent, sent_wall = time.monotonic(), time.time()
        early = (REACH_MARKER, on_head) if hint else None
        run = asyncio.ensure_future(session.run(cmd, max(timeouts.command, timeouts.reach + 2), early=early))
        watch = asyncio.ensure_future(silence(time.time()))
        try:
            try:
                await asyncio.wait({run, head}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                watch.cancel()
            if facts.silent_for is not None:
                facts.silent_for = None
                facts.sources.pop("silent_for", None)
            if head.done() and head.result().strip():
                r = CommandResult(session.name, cmd, 0, head.result(), "", sent_wall, time.monotonic() - sent)
            else:
                r = await run
            if r.timed_out:
                return
            facts.latency_ms = round(r.duration * 1000, 1) if r.ok else None
            if r.ok:
                session.note_answer(r.duration)
            apply_files(facts, r)
            files_read.set()
            publish()
            if facts.role is not Role.SLAVE or not facts.master_address:
                return
            if hint is not None and hint == facts.master_address:
                rr: CommandResult | None = reach_section_result(await run)
            else:
                rr = await reach(facts.master_address)
            if rr is None:
                facts.reaches_master_detail = f"master address {brief(repr(facts.master_address), 80)} is not a valid address"
                facts.learned("reaches_master", "pool.conf's master address, refused before any connect")
                return
            apply_reach(facts, rr, timeouts.reach)
            publish()
        finally:
            run.cancel()  # done already, or its reach check is not wanted (another master, or none)

    async def overdue(key: str, since: float) -> None:
        # No answer within the expected answer time: the last answer is not carried any more
        # (carry.py), the question is open — silence, not its last answer.
        await fair_sleep(timeouts.reach + session.slack)
        facts.learned(f"{key}_overdue", "no answer within the host's expected answer time", at=since)
        publish()

    async def xapi() -> None:
        conn = session.conn
        if conn is None:
            return
        asked = time.time()
        late = asyncio.ensure_future(overdue("xapi", asked))
        try:
            answer, forwarding = await xenapi_login(
                conn, user, password, timeouts.command + session.slack, held_timeout=timeouts.reach + session.slack
            )
        finally:
            late.cancel()
            facts.sources.pop("xapi_overdue", None)
        facts.xapi, facts.xapi_detail = answer.view, brief(answer.detail)
        facts.xapi_master_address = answer.master_address
        facts.forwarding = forwarding
        # observed from the moment it was asked: an answer is no proof of anything later than that
        facts.learned("xapi", "XenAPI login over an SSH port forward to 127.0.0.1:443", at=asked)
        publish()

    async def emergency() -> None:
        cmd = xc.timeout_wrapped(timeouts.command, xc.host_is_in_emergency_mode())
        apply_emergency(facts, await session.run(cmd, timeouts.command + 1))
        publish()

    async def pool_list() -> None:
        cmd = xc.timeout_wrapped(timeouts.command, xc.pool_list(params=["uuid", "master", "ha-enabled"]))
        late = asyncio.ensure_future(overdue("pool_list", time.time()))
        try:
            result = await session.run(cmd, timeouts.command + 1)
        finally:
            late.cancel()
            facts.sources.pop("pool_list_overdue", None)
        apply_pool_list(facts, result)
        publish()

    await asyncio.gather(files_then_reach(), xapi(), emergency(), pool_list(), ha_liveset())
    if facts.xapi is XapiView.UNAVAILABLE and facts.forwarding is False and facts.pool_list is QueryState.ANSWERED:
        # No XenAPI channel: the time-bounded xe answer stands in for the toolstack's view.
        facts.xapi_detail = (facts.xapi_detail or "") + "; xe over exec answered"
    facts.ssh = SshState.UP if session.state is SshState.UP else session.state
    if facts.ssh is not SshState.UP:  # the connection failed under the probe: say why, and when
        facts.ssh_error = session.error
        facts.learned("ssh", "SSH session lost under the probe")
    facts.probe_seconds = time.monotonic() - started
    publish()
    return facts
