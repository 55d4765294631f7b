"""One live stream per host: the watcher loop on the held SSH session, turned into facts.

`HostWatch.run()` starts the loop (xe/watch.py's `watcher_command`) on the host's session
and reads its lines until it ends. What the loop says (pool.conf, the host's own TCP
check of its master's :443, the DB generation) becomes facts at once, observed at the
start of the pass that saw it (on the jump box's clock, when that pass's heartbeat
arrived); a pass without a `C` line confirms every value as of that pass. A heartbeat
later than the loop's longest gap (`max_gap`) plus a margin is silence, with its age,
exactly as a probe's unanswered read is (`HostFacts.silent_for`).

The `xe` and XenAPI reads are not the loop's: the engine runs its probe when the loop
reports a change (not for the generation alone: it moves with every DB write), on
refresh and every `watch_read_interval`. Their facts and the loop's meet in
`HostWatch.overlay`, which lets the newer observation of each group stand.

A host where the loop cannot run (restricted shell, ForceCommand, a missing tool: no `W`
line first, or the loop ends before its first whole pass) is polled as before; its
facts say `watch="polled"` and why.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from enum import StrEnum

import asyncssh

from xentui.core.config import Settings
from xentui.core.model import CommandResult, HostFacts, Role, Source, SshState
from xentui.engine.carry import carry_forward
from xentui.engine.probe import brief, snapshot
from xentui.engine.sessions import HostSession
from xentui.xe import commands as xc
from xentui.xe.files import parse_pool_conf
from xentui.xe.watch import (
    Beat,
    Change,
    StreamView,
    WatchParser,
    max_gap,
    reach_outcome,
    watcher_command,
)

__all__ = ["HostWatch", "StreamEnd", "WatchMode"]

HOW = "watcher loop on the held SSH session"
MAX_STDERR = 4096


class WatchMode(StrEnum):
    STARTING = "starting"
    STREAM = "stream"
    POLLED = "polled"


class StreamEnd(StrEnum):
    CANNOT_RUN = "cannot-run"  # the loop cannot run on this host: poll it
    LOST = "lost"  # the session or the channel went away: reconnect, start again


class HostWatch:
    """The watcher loop of one host and what it said."""

    def __init__(
        self,
        session: HostSession,
        settings: Settings,
        publish: Callable[..., None],
        wants_read: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.session = session
        self.settings = settings
        # the engine publishes this host's facts again (through `overlay`); publish(quiet=True):
        # nothing but the observation times moved (a heartbeat), diagnosed at a slower pace
        self.publish = publish
        self.wants_read = wants_read  # the loop reported a change: the xe / XenAPI reads are due
        self.clock = clock
        self.mode = WatchMode.STARTING
        self.detail: str | None = None
        self.view = StreamView()
        self.live = False  # the loop runs and its first whole pass arrived
        self.observed: dict[str, float] = {}  # key -> wall time of the pass that last confirmed it
        self.pass_at: float | None = None  # wall time the current pass's heartbeat arrived
        self.last_line_at: float | None = None  # wall time of the last line
        self.last_line_mono = 0.0
        self.silent_for: float | None = None
        self.lines = 0
        self.bytes = 0

    # ------------------------------------------------------------------ bounds
    @property
    def slave(self) -> bool:
        conf = self.view.values.get("conf", "")
        return conf.startswith("slave:")

    def silence_after(self) -> float:
        s = self.settings
        gap = max_gap(s.watch_period, s.watch_toolstack_timeout, s.reach_timeout, self.slave)
        return gap + s.watch_silence_margin + self.session.slack

    # ------------------------------------------------------------------ facts
    def overlay(self, facts: HostFacts) -> HostFacts:
        """`facts` with what the loop says (changed in place).

        pool.conf and the generation: the loop's value stands while it runs and is heard, with the
        time of the pass that read it. It reads them every pass; a probe's read of the same file
        is dated when its answer arrived, which may be after a later pass of the loop read a newer
        value: taken as newer, it would put an old role back for a pass. The reach check: the
        newer of the two (both are dated when the check began). Nothing is laid over facts that
        say the host is not reachable (silent, or its session lost): the loop's values are then
        memories, kept stale as the probe left them."""
        facts.watch = self.mode.value
        facts.watch_detail = self.detail
        if not self.live:
            return facts
        if self.silent_for is not None:
            if facts.ssh is SshState.UP and (facts.silent_for is None or facts.silent_for < self.silent_for):
                facts.silent_for = self.silent_for
                facts.sources["silent_for"] = Source(how=f"no heartbeat from the {HOW}", at=self.last_line_at or 0.0)
            return facts
        if not facts.reachable:
            return facts
        values = self.view.values
        if "conf" in values and "conf" in self.observed:
            conf = parse_pool_conf(values["conf"] + "\n" if values["conf"] else None)
            facts.role, facts.pool_conf_raw, facts.master_address = Role(conf.role), conf.raw, conf.master_address
            facts.sources["role"] = Source(how=f"{HOW}: pool.conf", at=self.observed["conf"])
        if "gen" in values and "gen" in self.observed:
            try:
                facts.db_generation = int(values["gen"])
            except ValueError:
                facts.db_generation = None
            facts.sources["db_generation"] = Source(how=f"{HOW}: state.db.generation", at=self.observed["gen"])
        reach = values.get("reach", "-")
        if reach != "-" and facts.role is Role.SLAVE and self._newer(facts, "reaches_master", "reach"):
            address = values.get("conf", "").removeprefix("slave:")
            if facts.master_address == address:
                try:
                    xc.validate_address(address)
                except ValueError:
                    pass  # the loop's check of an address that is not one says nothing (the probe says why)
                else:
                    facts.reaches_master, facts.reaches_master_detail = reach_outcome(reach, self.settings.reach_timeout)
                    facts.sources["reaches_master"] = Source(
                        how=f"{HOW}: bash /dev/tcp connect to {address}:443 from the host", at=self.observed["reach"]
                    )
        return facts

    def _newer(self, facts: HostFacts, source: str, key: str) -> bool:
        at = self.observed.get(key)
        if at is None:
            return False
        src = facts.sources.get(source)
        return src is None or src.at <= at

    def stream_facts(self, current: HostFacts) -> HostFacts:
        """What the engine publishes when only the loop spoke: the last facts with the loop's newer
        values; a silent host as a probe that got no answer shows it (the file facts last seen,
        no toolstack answer claimed)."""
        if self.live and self.silent_for is not None and current.ssh is SshState.UP:
            base = HostFacts(
                name=current.name, address=current.address, port=current.port, ssh=current.ssh,
                host_key_fingerprint=current.host_key_fingerprint, host_key_type=current.host_key_type,
                known_hosts_file=current.known_hosts_file, key_host=current.key_host, key_port=current.key_port,
                key_alias=current.key_alias, probed_at=current.probed_at,
            )
            if "ssh" in current.sources:
                base.sources["ssh"] = current.sources["ssh"]
            return self.overlay(carry_forward(current, base, complete=False))
        facts = snapshot(current)
        src = facts.sources.get("silent_for")
        if src is not None and src.how.endswith(HOW):  # our own silence, over now
            facts.silent_for = None
            facts.sources.pop("silent_for", None)
        return self.overlay(facts)

    # ------------------------------------------------------------------ the loop
    def command(self) -> str:
        s = self.settings
        return watcher_command(s.reach_timeout, s.watch_toolstack_timeout, s.watch_period)

    def _cannot_run(self, why: str) -> StreamEnd:
        self.mode, self.detail, self.live = WatchMode.POLLED, brief(why), False
        self.publish()
        return StreamEnd.CANNOT_RUN

    def _lost(self, why: str) -> StreamEnd:
        self.detail, self.live, self.silent_for = brief(why), False, None
        self.view = StreamView()
        self.publish()
        return StreamEnd.LOST

    async def run(self) -> StreamEnd:
        """Run the loop on the held session until it ends. Never raises (but for cancellation)."""
        conn = self.session.conn
        if conn is None or conn.is_closed():
            return self._lost("no SSH session")
        self.view, self.live, self.silent_for, self.observed = StreamView(), False, None, {}
        command = self.command()
        started, started_wall = time.monotonic(), self.clock()
        try:
            proc = await asyncio.wait_for(conn.create_process(command, encoding=None), self.settings.connect_timeout)
        except (asyncio.TimeoutError, TimeoutError):
            return self._lost("the watcher's channel did not open in time")
        except asyncssh.ChannelOpenError as e:
            return self._cannot_run(f"sshd refused the watcher's channel: {e.reason}")
        except (asyncssh.Error, OSError) as e:
            return self._lost(f"connection lost: {e}")
        stderr = bytearray()

        async def collect_stderr() -> None:
            while data := await proc.stderr.read(1024):
                if len(stderr) < MAX_STDERR:
                    stderr.extend(data[: MAX_STDERR - len(stderr)])

        errors = asyncio.ensure_future(collect_stderr())
        parser = WatchParser()
        read: asyncio.Future[bytes] | None = None
        self.last_line_mono = time.monotonic()
        try:
            while True:
                if read is None:
                    read = asyncio.ensure_future(proc.stdout.read(65536))
                wait = self._wait_budget(started)
                done, _ = await asyncio.wait({read}, timeout=max(0.0, wait))
                if not done:
                    end = self._quiet(started)
                    if end is not None:
                        return end
                    continue
                try:
                    chunk = read.result()
                except (asyncssh.Error, OSError) as e:
                    return self._lost(f"connection lost: {e}")
                read = None
                if not chunk:
                    return await self._ended(proc, stderr, errors)
                self.bytes += len(chunk)
                end = self._lines(parser.feed(chunk))
                if end is not None:
                    return end
        finally:
            if read is not None:
                read.cancel()
            errors.cancel()
            proc.close()
            if self.session.on_command is not None:
                self.session.on_command(CommandResult(
                    self.session.name, "sh -c '<xentui watcher loop>'", proc.exit_status, "",
                    stderr.decode(errors="replace"), started_wall, time.monotonic() - started,
                ))

    def _wait_budget(self, started: float) -> float:
        now = time.monotonic()
        if not self.view.running:
            return started + self.settings.watch_start_timeout + self.session.slack - now
        if self.silent_for is not None:
            return 1.0  # the age of the silence is said again every second
        return self.last_line_mono + self.silence_after() - now

    def _quiet(self, started: float) -> StreamEnd | None:
        """No line within the budget: the loop never started (poll the host), or the host is silent."""
        if not self.view.running:
            return self._cannot_run(f"no first line from the watcher loop in {self.settings.watch_start_timeout:g} s")
        if not self.live:
            return self._cannot_run("the watcher loop did not finish its first pass")
        self.silent_for = round(time.monotonic() - self.last_line_mono, 1)
        self.publish()
        return None

    def _lines(self, events: list) -> StreamEnd | None:
        now, wall = time.monotonic(), self.clock()
        changed = False
        for ev in events:
            self.lines += 1
            was_ready = self.view.ready
            self.view.apply(ev)
            if self.view.refused is not None:
                return self._cannot_run(self.view.refused)
            if isinstance(ev, Beat):
                if self.pass_at is not None and was_ready:
                    for key in self.view.values:
                        self.observed[key] = self.pass_at  # the pass that just ended confirmed them
                self.pass_at = wall
                if self.view.ready and not self.live:
                    self.live, self.mode, self.detail = True, WatchMode.STREAM, None
                    changed = True
            elif isinstance(ev, Change):
                self.observed[ev.key] = self.pass_at if self.pass_at is not None else wall
                if ev.key != "gen" and self.live:
                    changed = True
        if self.silent_for is not None:
            self.silent_for = None
            changed = True  # heard again: what the toolstack says now is read again
        self.last_line_mono, self.last_line_at = now, wall
        if self.live:
            quiet = not changed and not any(isinstance(ev, Change) for ev in events)
            self.publish(quiet=True) if quiet else self.publish()
        if changed:
            self.wants_read()
        return None

    async def _ended(self, proc: asyncssh.SSHClientProcess, stderr: bytearray, errors: asyncio.Future[None]) -> StreamEnd:
        try:
            await asyncio.wait_for(proc.wait_closed(), 2.0)
            await asyncio.wait_for(errors, 0.5)
        except (asyncio.TimeoutError, TimeoutError, asyncssh.Error, OSError):
            pass
        status = proc.exit_status
        said = stderr.decode(errors="replace").strip().splitlines()
        why = said[-1] if said else (f"exit {status}" if status is not None else "closed")
        conn = self.session.conn
        if status is None or conn is None or conn.is_closed():
            return self._lost(f"the watcher loop's channel closed ({why})")
        if not self.live or status in (125, 126, 127):
            return self._cannot_run(f"the watcher loop cannot run here: {why} (exit {status})")
        return self._lost(f"the watcher loop ended: {why} (exit {status})")

