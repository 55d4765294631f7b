"""The diagnoser: the rules of the package docstring, applied to one pool's facts (pure)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from xentui.core.facts_rules import (
    JUMP_BOX_DOWN,
    host_key_changed_advice,
    in_emergency,
    master_toolstack_answers,
    orphaned,
    pool_list_failed,
    ssh_cause,
    still_to_answer,
    toolstack_answers_locally,
)
from xentui.core.model import HostFacts, HostRef, QueryState, Role, SshState, XapiView

from xentui.diagnosis.addresses import normalize_address, resolve_address
from xentui.diagnosis.ha import HA_ELECTION_MARGIN, apply_ha
from xentui.diagnosis.commands import (
    _cmd_designate,
    _cmd_host_forget,
    _cmd_promote,
    _cmd_recover_slaves,
    _cmd_reset_master,
    _recommend,
)
from xentui.diagnosis.verdict import Action, Diagnosis, Forbidden, HostFlag, HostVerdict, Recommendation, Verdict, hosts_following

__all__ = ["diagnose_pool"]


# --------------------------------------------------------------------------
# internal working state


_DOWN = JUMP_BOX_DOWN


class _State(StrEnum):
    UP = "up"
    ASKING = "asking"  # its slaves just lost it; its own answer predates that and is being re-read
    CUT_OFF = "cut-off"
    HUNG = "hung"
    DOWN = "down"
    DOWN_UNCONFIRMED = "down-unconfirmed"
    UNKNOWN = "unknown"


_LOST = {_State.HUNG, _State.DOWN, _State.DOWN_UNCONFIRMED}


@dataclass
class _Host:
    f: HostFacts
    claims: bool  # pool.conf master, or xapi acts as master
    raw: str | None  # master address it points at (None for masters / not known)
    target: str | None  # configured host that address resolves to
    key: str | None = None  # what it follows: host name or normalized raw address
    flags: list[HostFlag] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.f.name

    @property
    def reachable(self) -> bool:
        return self.f.reachable

    @property
    def unreachable(self) -> bool:
        """SSH failed (refused, no answer, dropped...). A held session gone quiet is `silent`, not this:
        silence past the expected answer time is "no answer yet", it says nothing of the host."""
        return self.f.ssh not in (SshState.UP, SshState.UNKNOWN)

    @property
    def silent(self) -> bool:
        return self.f.silent

    def flag(self, fl: HostFlag, note: str | None = None) -> None:
        if fl not in self.flags:
            self.flags.append(fl)
        if note:
            self.notes.append(note)


@dataclass
class _Master:
    key: str
    host: _Host | None  # None: an address no configured host has
    followers: list[_Host]  # reachable hosts following it (not itself)
    votes: int = 0
    state: _State = _State.UNKNOWN
    served: int = 0
    cannot_reach: int = 0
    no_answer: int = 0
    address: str | None = None

    @property
    def name(self) -> str:
        return self.host.name if self.host else self.key

    @property
    def generation(self) -> int:
        g = self.host.f.db_generation if self.host else None
        return g if g is not None else -1

    def ref(self) -> HostRef:
        return HostRef(name=self.name, address=self.address, uuid=self.host.f.uuid if self.host else None)


# the rules that read one host's facts: one place for the diagnosis, the guards and the panes
_ssh_cause = ssh_cause
_orphaned = orphaned
_emergency = in_emergency
_toolstack_answers_locally = toolstack_answers_locally
_pool_list_failed = pool_list_failed
_master_toolstack = master_toolstack_answers


def _role(f: HostFacts) -> Role | None:
    """The role pool.conf gives the host, as observed now: a last-seen pool.conf is a memory, not a role.

    A pool.conf read as master before the host's own toolstack answered HOST_IS_SLAVE is outdated
    by that answer (a handover under way): the later observation wins, the role is not known."""
    if f.last_seen("role"):
        return None
    if f.role is Role.MASTER and f.xapi is XapiView.SLAVE:
        role_at, xapi_at = _seen_at(f, "role"), _seen_at(f, "xapi")
        if role_at is not None and xapi_at is not None and xapi_at > role_at:
            return None
    return f.role


def _seen_at(f: HostFacts, key: str) -> float | None:
    """When the fact under `key` was observed (None: no time recorded, taken as current)."""
    src = f.sources.get(key)
    return src.at if src is not None else None


def _not_before(at: float | None, since: float | None) -> bool:
    """An observation at `at` is no older than the first sign of trouble at `since`."""
    return at is None or since is None or at >= since


def _answered_by(f: HostFacts, master: _Host | None) -> bool:
    """The slave's `xe pool-list` answer came from this master: the pool record names it (when both are known).

    A slave recovered onto a new master mid-probe read pool.conf before, and pool-list after:
    that answer is the new master's, not evidence that the old one serves it."""
    if master is None or not f.pool_master_uuid or not master.f.uuid:
        return True
    return f.pool_master_uuid.lower() == master.f.uuid.lower()


def _master_claim_at(f: HostFacts) -> float | None:
    """When the host itself was last read holding master (its pool.conf, or a master session)."""
    times = []
    if _role(f) is Role.MASTER and "role" in f.sources:
        times.append(f.sources["role"].at)
    if f.xapi is XapiView.MASTER and "xapi" in f.sources:
        times.append(f.sources["xapi"].at)
    return max(times, default=None)


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S UTC", time.gmtime(at))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _names(xs: Sequence[str], limit: int = 4) -> str:
    xs = list(xs)
    if len(xs) <= limit:
        return ", ".join(xs)
    return ", ".join(xs[:limit]) + f" and {len(xs) - limit} more"


# --------------------------------------------------------------------------
# the diagnosis


def diagnose_pool(facts: Sequence[HostFacts], pool: str = "", ha_margin: float = HA_ELECTION_MARGIN) -> Diagnosis:
    """Judge a pool from its hosts' facts (pure; see the package docstring), then as HA changes it
    (diagnosis/ha.py: `ha_margin` widens the election window past T)."""
    facts = list(facts)
    return apply_ha(_Diagnoser(facts, pool).run(), facts, ha_margin)


class _Diagnoser:
    def __init__(self, facts: list[HostFacts], pool: str) -> None:
        self.facts = facts
        self.pool = pool
        self.hosts: dict[str, _Host] = {}
        self.forbidden: list[Forbidden] = []
        self.ha = any(f.ha_enabled is True for f in facts)

    # ---------------------------------------------------------------- set up

    def _build_hosts(self) -> None:
        for f in self.facts:
            if f.name in self.hosts:  # duplicate names: the first one wins
                continue
            role = _role(f)
            claims = role is Role.MASTER or f.xapi is XapiView.MASTER
            raw: str | None = None
            if not claims:
                if role is Role.SLAVE and f.master_address:
                    raw = f.master_address
                elif f.xapi_master_address:
                    raw = f.xapi_master_address
                if raw is not None and not normalize_address(raw):
                    raw = None
            target = resolve_address(raw, self.facts) if raw else None
            h = _Host(f=f, claims=claims, raw=raw, target=target)
            if claims:
                h.key = f.name
            elif target is not None:
                h.key = target
            elif raw is not None:
                h.key = normalize_address(raw)
            self.hosts[f.name] = h

    def _find_masters(self) -> dict[str, _Master]:
        hs = self.hosts
        masters: dict[str, _Master] = {}
        for h in hs.values():
            if h.claims:
                masters[h.name] = _Master(key=h.name, host=h, followers=[])
        for h in hs.values():
            if h.target and h.target not in masters:
                t = hs[h.target]
                role_unknown = t.raw is None and _role(t.f) is None and t.f.xapi is not XapiView.SLAVE
                if role_unknown:  # counted by what its slaves believe
                    masters[t.name] = _Master(key=t.name, host=t, followers=[])
        if not masters:  # the master is not configured: unresolved addresses stand in
            for h in hs.values():
                if h.key and h.target is None and h.raw and h.key not in masters:
                    masters[h.key] = _Master(key=h.key, host=None, followers=[])
        for m in masters.values():
            m.followers = [h for h in hs.values() if h.key == m.key and h.reachable and h.name != m.key]
            m.votes = hosts_following(m.name, (h.name for h in m.followers))  # the master counts itself
            raws = Counter(normalize_address(h.raw) for h in hs.values() if h.key == m.key and h.raw)
            if raws:
                m.address = raws.most_common(1)[0][0]
            elif m.host and m.host.f.own_addresses:
                m.address = m.host.f.own_addresses[0]
            elif m.host:
                m.address = m.host.f.address
            else:
                m.address = m.key
            self._judge(m)
        return masters

    def _judge(self, m: _Master) -> None:
        """How the master stands.  A sign that it works counts only when it was observed no earlier
        than the first sign that it does not (a slave's failed TCP check or hung `xe pool-list`):
        an answer from before the trouble is a memory, and must not outweigh it."""
        fs = m.followers
        negatives = [_seen_at(h.f, "reaches_master") for h in fs if h.f.reaches_master is False]
        # (a hung `xe pool-list` is no first sign: the slave's own toolstack may be what hangs)
        host = m.host
        if host is not None and host.f.silent_for is not None:  # gone quiet under a held session
            negatives.append(_seen_at(host.f, "silent_for"))
        elif host is not None and host.unreachable:
            negatives.append(_seen_at(host.f, "ssh"))
        since = min((t for t in negatives if t is not None), default=None)
        # A slave that says it cannot reach the master on :443 is not served by it, whatever its
        # pool-list said: mid-promotion its own toolstack answers from a database that still names
        # the old master (seed 2301 of the truth checker).
        m.served = sum(
            1
            for h in fs
            if h.f.pool_list is QueryState.ANSWERED
            and _not_before(_seen_at(h.f, "pool_list"), since)
            and _answered_by(h.f, host)
            and h.f.reaches_master is not False
        )
        m.cannot_reach = sum(1 for h in fs if h.f.reaches_master is False)
        m.no_answer = sum(1 for h in fs if _pool_list_failed(h.f))
        reach = sum(
            1 for h in fs if h.f.reaches_master is True and _not_before(_seen_at(h.f, "reaches_master"), since)
        )
        jb_up = host is not None and host.reachable
        toolstack = _master_toolstack(host.f) if host is not None and jb_up else None
        quiet = host is not None and host.f.silent
        if quiet and not (m.served or reach or m.cannot_reach or m.no_answer):
            m.state = _State.ASKING  # silent to the jump box; its slaves have not said yet
            return
        if toolstack is True and host is not None:
            seen = [_seen_at(host.f, k) for k in ("pool_list", "xapi") if k in host.f.sources]
            if seen and not any(_not_before(t, since) for t in seen):
                toolstack = None  # it answered before its slaves lost it: ask it again
                if not m.served and not reach:
                    m.state = _State.ASKING
                    return
        if jb_up and toolstack is True:
            cut = m.cannot_reach > 0 and m.served == 0 and reach == 0
            m.state = _State.CUT_OFF if cut else _State.UP
        elif m.served:
            m.state = _State.UP
        elif jb_up and toolstack is False:
            m.state = _State.HUNG
        elif jb_up:
            # its toolstack's answer is still to come: a lost master only when most of its slaves
            # say so (a single slave's failed check says more about that slave); else it is asked
            troubled = max(m.cannot_reach, m.no_answer)
            if troubled and 2 * troubled > len(fs):
                m.state = _State.HUNG
            else:
                m.state = _State.UNKNOWN
        elif m.cannot_reach or m.no_answer:
            m.state = _State.DOWN
        elif host is not None and host.f.ssh in _DOWN:
            m.state = _State.DOWN_UNCONFIRMED
        else:
            m.state = _State.UNKNOWN

    @staticmethod
    def _majority(masters: dict[str, _Master]) -> _Master | None:
        if not masters:
            return None
        pool = [m for m in masters.values() if m.state not in (_State.DOWN, _State.DOWN_UNCONFIRMED)]
        pool = pool or list(masters.values())
        return min(pool, key=lambda m: (-m.votes, -m.generation, m.host is None, m.name))

    # ---------------------------------------------------------------- flags

    def _base_flags(self) -> None:
        for h in self.hosts.values():
            f = h.f
            if h.unreachable:
                h.flag(HostFlag.UNREACHABLE, _ssh_cause(f))
                if f.role is not None and f.last_seen("role"):
                    h.notes.append(f"was {f.role.value} when last seen at {_clock(f.sources['role'].at)}")
            elif f.silent:
                h.notes.append(f"{_ssh_cause(f)}: asking")
            elif f.ssh is SshState.UNKNOWN:
                h.notes.append("not probed yet")
            if _orphaned(f):
                h.flag(HostFlag.ORPHANED, "forgotten by the pool (HOST_UNKNOWN_TO_MASTER): reinstall or fresh join")
            if f.role is Role.BROKEN:
                h.flag(HostFlag.BROKEN, "pool.conf is broken")
            if _emergency(f):
                h.flag(HostFlag.EMERGENCY, "toolstack in emergency mode (started without its master)")
            if h.raw and h.target is None:
                if self._addresses_pending():
                    # some host's own addresses are still to be read: the match is not known yet
                    h.notes.append(f"points at {h.raw}: matched once every host has answered")
                else:
                    h.flag(HostFlag.STALE_MASTER_ADDRESS, f"points at {h.raw}, which no configured host has")
            if not h.claims and f.reaches_master is False:
                who = h.target or h.raw or "its master"
                h.flag(HostFlag.MASTER_UNREACHABLE, f"cannot reach {who} on TCP 443")

    def _hung_flags(self, masters: dict[str, _Master]) -> None:
        for h in self.hosts.values():
            if not h.reachable:
                continue
            f = h.f
            if h.name in masters:
                m = masters[h.name]
                hung = f.xapi is XapiView.NO_ANSWER or f.pool_list is QueryState.NO_ANSWER
                if hung or m.state is _State.HUNG:
                    h.flag(HostFlag.TOOLSTACK_HUNG, "SSH works but the toolstack gives no answer")
                continue
            hung = f.xapi is XapiView.NO_ANSWER  # a slave's login answers HOST_IS_SLAVE at once
            followed = masters.get(h.key or "")
            if f.pool_list is QueryState.NO_ANSWER and followed is not None and followed.state in (
                _State.UP,
                _State.CUT_OFF,
            ):
                hung = hung or f.reaches_master is not False
            if hung:
                h.flag(HostFlag.TOOLSTACK_HUNG, "SSH works but the toolstack gives no answer")

    # ---------------------------------------------------------------- forbidden

    def _forbid(self, action: Action, host: str | None, command: str | None, reason: str) -> None:
        for i, fb in enumerate(self.forbidden):
            if fb.action is action and fb.host == host:  # one entry per (action, host): reasons add up
                if reason not in fb.reason:
                    self.forbidden[i] = fb.model_copy(update={"reason": f"{fb.reason} {reason}"})
                return
        self.forbidden.append(Forbidden(action=action, host=host, command=command, reason=reason))

    def _forbid_common(self, master: _Master | None, split: bool) -> None:
        # A name that does not resolve is a configuration error, not a down host: no forget or
        # handover advice is about it (nothing says which host, if any, it names).
        unreachable = [h for h in self.hosts.values() if h.unreachable and h.f.ssh is not SshState.DNS_FAILED]
        for h in unreachable:
            self._forbid(
                Action.HOST_FORGET,
                h.name,
                _cmd_host_forget(h.f.uuid, h.name),
                f"{h.name} is only unreachable ({_ssh_cause(h.f)}), not gone: forgetting it orphans it "
                "(HOST_UNKNOWN_TO_MASTER) until it is reinstalled.",
            )
        if self.ha:
            self._forbid(
                Action.PROMOTE,
                None,
                _cmd_promote(),
                "HA is enabled: pool-emergency-transition-to-master is refused (HA_IS_ENABLED); "
                "HA elects a new master itself.",
            )
            self._forbid(
                Action.DESIGNATE_NEW_MASTER,
                None,
                _cmd_designate(),
                "HA is enabled: pool-designate-new-master is refused (HA_IS_ENABLED).",
            )
        if split:
            self._forbid(
                Action.DESIGNATE_NEW_MASTER,
                None,
                _cmd_designate(),
                "Two hosts hold master: heal the split brain with pool-recover-slaves first.",
            )
        elif master is not None and master.state in _LOST:
            self._forbid(
                Action.DESIGNATE_NEW_MASTER,
                None,
                _cmd_designate(),
                f"pool-designate-new-master needs a live master to hand over, and {master.name} is not answering.",
            )
        if unreachable:
            self._forbid(
                Action.DESIGNATE_NEW_MASTER,
                None,
                _cmd_designate(),
                f"{_names([h.name for h in unreachable])} unreachable: the handover needs every host and "
                "would abort with HOST_OFFLINE.",
            )

    # ---------------------------------------------------------------- run

    def run(self) -> Diagnosis:
        self._build_hosts()
        if not self.hosts:
            rec = Recommendation(action=Action.INVESTIGATE, reason="No hosts are configured: add the pool's hosts.")
            return self._finish(Verdict.UNKNOWN, "No hosts configured.", None, None, {}, rec, None)
        self._base_flags()
        masters = self._find_masters()
        self._hung_flags(masters)
        majority = self._majority(masters)

        if not any(h.reachable for h in self.hosts.values()):
            self._forbid_common(None, False)
            rec = Recommendation(
                action=Action.INVESTIGATE,
                reason="No host answers SSH from the jump box: check the jump box's own network and the hosts' power "
                "before anything else.",
            )
            return self._finish(
                Verdict.UNKNOWN,
                "Nothing known: no host answers SSH from the jump box.",
                None,
                majority,
                masters,
                rec,
                None,
            )
        if not masters:
            self._forbid_common(None, False)
            rec = Recommendation(
                action=Action.INVESTIGATE,
                reason="No host has told which master it follows yet (pool.conf unread or broken): wait for the "
                "probe or read /etc/xensource/pool.conf by hand.",
            )
            return self._finish(Verdict.UNKNOWN, "No master known yet.", None, None, masters, rec, None)

        if len(masters) >= 2:
            unread = self._unconfirmed(masters)
            if unread:
                return self._asking_masters(masters, unread, majority)
            return self._split_brain(masters, majority)
        (m,) = masters.values()
        return self._one_master(m, masters)

    # ---------------------------------------------------------------- split brain

    @staticmethod
    def _unconfirmed(masters: dict[str, _Master]) -> list[_Master]:
        """Masters whose claim was not read, first hand, since another master took the role.

        The rule "two masters" rests on: each master's own claim (pool.conf says master, or its
        xapi gave a master session), read no earlier than the last role change read of every other
        master (`role_changed`, kept by the engine).  A master counted only by what its slaves
        believe, or last read before the other took over (a handover, a promotion while it was cut
        off), may have handed the role over meanwhile: the rule abstains until it is read again."""
        out = []
        for m in masters.values():
            changes = [
                _seen_at(o.host.f, "role_changed")
                for o in masters.values()
                if o is not m and o.host is not None and "role_changed" in o.host.f.sources
            ]
            if not changes:
                continue
            since = max(t for t in changes if t is not None)
            claim = _master_claim_at(m.host.f) if m.host is not None and m.host.claims else None
            if claim is None or claim < since:
                out.append(m)
        return out

    def _asking_masters(self, masters: dict[str, _Master], unread: list[_Master], maj: _Master | None) -> Diagnosis:
        self._forbid_common(None, False)
        read = [m.name for m in masters.values() if m not in unread]
        parts = []
        for m in unread:
            n = len(m.followers)
            who = f" ({_plural(n, 'host')} follow{'s' if n == 1 else ''} it)" if n else ""
            seen = _master_claim_at(m.host.f) if m.host is not None else None
            when = f"last read as master at {_clock(seen)}" if seen is not None else "not read as master"
            parts.append(f"{m.name}{who}: {when}, before {_names(read) or 'another host'} took the role")
        summary = (
            f"{_names(read)} hold{'s' if len(read) == 1 else ''} master; " if read else ""
        ) + "; ".join(parts) + f" · asking {_names([m.name for m in unread])}."
        return self._finish(Verdict.UNKNOWN, summary, None, maj, masters, None, None)

    def _split_brain(self, masters: dict[str, _Master], maj: _Master | None) -> Diagnosis:
        assert maj is not None
        for m in masters.values():
            if m is maj:
                continue
            if m.host is not None:
                m.host.flag(HostFlag.FOLLOWS_MINORITY, f"holds master too, against {maj.name}")
            for h in self.hosts.values():
                if h.key == m.key and h.name != m.key:
                    h.flag(HostFlag.FOLLOWS_MINORITY, f"follows {m.name}, not the majority master {maj.name}")
        self._flag_disagreeing(maj, masters)
        self._forbid_common(maj, True)
        others = [m for m in masters.values() if m is not maj]
        for m in others:
            self._forbid(
                Action.RECOVER_SLAVES,
                m.name,
                _cmd_recover_slaves(),
                f"{m.name} is not the master the pool follows: recover-slaves there would pull the pool back to "
                f"{m.name}'s database and throw away what happened on {maj.name}.",
            )
        gen = f" (database generation {maj.generation})" if maj.generation >= 0 else ""
        others_txt = _names([m.name for m in others])
        dead = [m for m in others if m.state in (_State.DOWN, _State.DOWN_UNCONFIRMED)]
        if maj.host is not None and maj.host.reachable and maj.state is _State.UP:
            if any(m.votes > maj.votes for m in others):
                why = (
                    f"{maj.name} is the only master that answers{gen} ({_names([m.name for m in dead])} "
                    "down, its slaves stranded)"
                )
            else:
                why = f"{maj.votes} of {len(self.hosts)} hosts follow {maj.name}{gen}"
            rec = _recommend(
                Action.RECOVER_SLAVES, maj.name,
                f"{why}: run pool-recover-slaves on {maj.name} to point {others_txt} and its slaves at it, "
                "then check that every expected host UUID is printed.",
            )
        elif maj.host is not None and maj.host.reachable and maj.state is _State.HUNG:
            rec = _recommend(
                Action.RESTART_TOOLSTACK, maj.name,
                f"{maj.name} is the master most hosts follow but its toolstack gives no answer: restart it "
                "before healing the split brain with pool-recover-slaves on it.",
            )
        else:
            rec = _recommend(
                Action.INVESTIGATE, maj.name if maj.host else None,
                f"{maj.name} is the master most hosts follow but the jump box cannot run commands on it "
                f"({maj.state}): reach it before healing the split brain from it.",
            )
        holders = sorted(m.name for m in masters.values())
        both = f"{holders[0]} and {holders[1]} both" if len(holders) == 2 else f"{_names(holders)} all"
        summary = f"Split brain: {both} hold master; {maj.votes} of {len(self.hosts)} hosts follow {maj.name}."
        return self._finish(Verdict.SPLIT_BRAIN, summary, None, maj, masters, rec, None)

    def _addresses_pending(self) -> bool:
        """A host that answers (or is being asked) has not told its own addresses yet."""
        return any(
            (still_to_answer(f) or f.silent) and "own_addresses" not in f.sources and f.ssh is not SshState.UNKNOWN
            and "ssh" in f.sources  # facts from a probe (a table of facts has told everything it will)
            for f in self.facts
        )

    def _outdated(self, h: _Host) -> bool:
        """What the host follows was read before a host of the pool last took or left master
        (`role_changed`): a handover may have moved it since; it is being read again."""
        if h.claims:
            return False
        changes = [src.at for f in self.facts if (src := f.sources.get("role_changed")) is not None]
        read = _seen_at(h.f, "role")
        if changes and read is not None and read < max(changes):
            return True
        # it follows a host whose own role was read before it: that read is what is outdated
        t = self.hosts.get(h.target or "")
        t_read = _seen_at(t.f, "role") if t is not None else None
        return t is not None and read is not None and (t_read is None or t_read < read) and not t.claims

    def _flag_disagreeing(self, m: _Master, masters: dict[str, _Master]) -> None:
        """Hosts that follow neither the master nor any other master (a slave, an unknown address)."""
        for h in self.hosts.values():
            if h.key is None or h.key in masters or self._outdated(h):
                continue
            what = "which is not a master" if h.target else "which no configured host has"
            h.flag(HostFlag.DISAGREES, f"follows {h.target or h.raw}, {what}; the pool follows {m.name}")

    # ---------------------------------------------------------------- one master

    def _one_master(self, m: _Master, masters: dict[str, _Master]) -> Diagnosis:
        self._flag_disagreeing(m, masters)
        self._forbid_common(m, False)
        if m.state in _LOST:
            return self._master_lost(m, masters)
        if m.state is _State.ASKING:
            if m.cannot_reach or m.no_answer:
                told = (
                    f"{m.cannot_reach} of {len(m.followers)} slaves cannot reach {m.name}"
                    if m.cannot_reach
                    else f"xe pool-list hangs on {m.no_answer} of {len(m.followers)} slaves"
                )
                told += f" · asking {m.name} (its last answer predates that)."
            else:
                told = f"{_ssh_cause(m.host.f) if m.host else m.name} · asking its slaves whether they reach it."
            return self._finish(
                Verdict.UNKNOWN,
                told,
                None,
                m,
                masters,
                None,  # no advice until the master's own answer settles it
                None,
            )
        if m.state is _State.UNKNOWN:
            rec = _recommend(
                Action.INVESTIGATE, m.name if m.host else None,
                f"Nothing says yet whether {m.name} (master) answers: wait for the probe of it and of its "
                "slaves' xe pool-list.",
            )
            return self._finish(
                Verdict.UNKNOWN,
                f"{m.name} holds master, but whether it answers is not known yet.",
                None,
                m,
                masters,
                rec,
                None,
            )
        # up or cut off: the master is there
        mh = m.host
        if mh is not None and not mh.reachable and m.served:
            self._forbid(
                Action.PROMOTE,
                None,
                _cmd_promote(),
                f"{m.name} still answers its slaves (xe pool-list answers on {_plural(m.served, 'host')}); only the "
                "jump box's path to it is broken, and a promotion would make a second master.",
            )
        if m.state is _State.CUT_OFF:
            self._forbid(
                Action.PROMOTE,
                None,
                _cmd_promote(),
                f"{m.name} still answers the jump box: promoting a slave would make a second master (split brain).",
            )
        # A host whose first answers are still to come has told nothing of what it follows: it is
        # not a host that needs attention, and the pool is not healthy either until it has
        # answered (the first moments of a probe).
        # (a host read by a probe whose other answers are still to come counts too, whatever it follows)
        unprobed = [
            h for h in self.hosts.values()
            if not h.flags and still_to_answer(h.f) and (h.key is None or ("files" in h.f.sources and h is not mh))
        ]
        # a slave gone quiet under its held session is being asked: no finding yet, either way
        quiet = [
            h for h in self.hosts.values()
            if (
                h.silent
                or (h.reachable and self._outdated(h) and h.key != m.key)
                or (h.raw and h.target is None and HostFlag.STALE_MASTER_ADDRESS not in h.flags and h.key != m.key)
            )
            and h is not mh and h not in unprobed
        ]
        unprobed += quiet
        issues = [h for h in self.hosts.values() if h not in unprobed and (h.flags or h.key is None)]
        if mh is not None and mh not in issues and not mh.reachable:
            issues.append(mh)
        unprobed_names = _names([h.name for h in unprobed])
        waiting = f" No answer yet from {unprobed_names}." if unprobed else ""
        if not issues and unprobed:
            rec = _recommend(
                Action.INVESTIGATE, None,
                f"Wait for the probe of {unprobed_names}: nothing is known of "
                f"{'it' if len(unprobed) == 1 else 'them'} yet.",
            )
            summary = f"{m.name} is master and answers; the hosts that answered follow it.{waiting}"
            return self._finish(Verdict.UNKNOWN, summary, None, m, masters, rec, None)
        if not issues:
            rec = Recommendation(action=Action.NONE, reason="Every host answers and follows the master.")
            summary = f"Healthy: {m.name} is master and all {len(self.hosts)} hosts follow it."
            return self._finish(Verdict.HEALTHY, summary, m, m, masters, rec, None)
        rec = self._degraded_recommendation(m, issues)
        bad = [h.name for h in issues]
        stands = "answers" if mh is None or mh.reachable else "serves its slaves, but the jump box cannot reach it"
        if m.state is _State.CUT_OFF:
            stands = "answers the jump box, but its slaves cannot reach it"
        summary = (
            f"Degraded: {m.name} is master and {stands}; "
            f"{_plural(len(bad), 'host')} need{'s' if len(bad) == 1 else ''} attention ({_names(bad)}).{waiting}"
        )
        return self._finish(Verdict.DEGRADED, summary, m, m, masters, rec, None)

    @staticmethod
    def _others_reach(m: _Master, h: _Host) -> bool:
        """Another follower's own check of the master's :443 succeeded, no earlier than h's failed."""
        failed = _seen_at(h.f, "reaches_master")
        return any(
            o is not h and o.f.reaches_master is True and o.f.fresh("reaches_master")
            and _not_before(_seen_at(o.f, "reaches_master"), failed)
            for o in m.followers
        )

    def _degraded_recommendation(self, m: _Master, issues: list[_Host]) -> Recommendation:
        mh = m.host
        addr = m.address or m.name

        def has(h: _Host, *fl: HostFlag) -> bool:
            return any(x in h.flags for x in fl)

        if m.state is _State.CUT_OFF:
            return _recommend(
                Action.INVESTIGATE, m.name,
                f"{m.name} answers the jump box but {_plural(m.cannot_reach, 'slave')} cannot reach it on "
                "TCP 443: look at the network between them; do not promote.",
            )
        if mh is not None and not mh.reachable:
            return _recommend(
                Action.INVESTIGATE, m.name,
                f"{m.name} (master) still serves its slaves but the jump box cannot reach it "
                f"({_ssh_cause(mh.f)}): fix the jump box's path, do not promote.",
            )
        if mh is None:
            return _recommend(
                Action.INVESTIGATE, None,
                f"The hosts follow {m.name}, which is not in the configuration: add the master so it can "
                "be checked.",
            )
        for h in issues:
            if (
                h.reachable
                and h is not mh
                and h.key != m.key
                and not has(h, HostFlag.ORPHANED)
                and has(h, HostFlag.DISAGREES, HostFlag.STALE_MASTER_ADDRESS, HostFlag.BROKEN)
            ):
                return Recommendation(
                    action=Action.RESET_MASTER,
                    host=h.name,
                    command=_cmd_reset_master(addr),
                    reason=f"{h.name} does not follow {m.name} ({h.notes[0] if h.notes else 'pool.conf'}): point it "
                    f"at {addr}; its toolstack restarts in 10 s.",
                )
        for h in issues:
            if h.reachable and not has(h, HostFlag.ORPHANED) and has(h, HostFlag.TOOLSTACK_HUNG, HostFlag.EMERGENCY):
                why = "gives no answer" if has(h, HostFlag.TOOLSTACK_HUNG) else "is in emergency mode"
                return _recommend(
                    Action.RESTART_TOOLSTACK, h.name,
                    f"{h.name}'s toolstack {why} while {m.name} is fine: restart it so it rejoins its master.",
                )
        # Then what only an admin can look into, in this order: (which hosts, what to tell about one).
        investigate: tuple[tuple[Callable[[_Host], bool], Callable[[_Host], str]], ...] = (
            (
                lambda h: has(h, HostFlag.ORPHANED),
                lambda h: f"{h.name} was forgotten by the pool (HOST_UNKNOWN_TO_MASTER): only a reinstall or a "
                "fresh pool-join brings it back.",
            ),
            (
                lambda h: has(h, HostFlag.MASTER_UNREACHABLE),
                lambda h: f"{h.name} cannot reach {m.name} on TCP 443"
                + (" while others can" if self._others_reach(m, h) else "")
                + ": check its network.",
            ),
            (
                lambda h: h.f.ssh is SshState.DNS_FAILED,
                lambda h: f"{h.name} does not resolve ({_ssh_cause(h.f)}): fix its name in the configuration "
                "(or in DNS); it is not known to be a host of this pool.",
            ),
            (
                lambda h: h.f.ssh is SshState.HOST_KEY_CHANGED,
                lambda h: host_key_changed_advice(h.f),
            ),
            (
                lambda h: h.unreachable,
                lambda h: f"{h.name} is unreachable ({_ssh_cause(h.f)}): check its power and console; "
                "do not forget it from the pool.",
            ),
        )
        for matches, reason in investigate:
            for h in issues:
                if matches(h):
                    return Recommendation(action=Action.INVESTIGATE, host=h.name, reason=reason(h))
        h = issues[0]
        return _recommend(
            Action.INVESTIGATE, h.name,
            f"{h.name} is not fully known yet ({h.notes[0] if h.notes else 'no pool.conf'}): wait for the probe.",
        )

    # ---------------------------------------------------------------- master lost

    def _evidence(self, m: _Master, slaves_only: bool = False) -> str:
        parts = []
        if slaves_only:
            pass
        elif m.host is not None and not m.host.reachable:
            parts.append(_ssh_cause(m.host.f))
        elif m.state is _State.HUNG:
            parts.append("its toolstack gives no answer")
        n = len(m.followers)
        if m.cannot_reach:
            parts.append(f"{m.cannot_reach} of {n} slaves cannot reach it")
        if m.no_answer:
            parts.append(f"xe pool-list hangs on {m.no_answer} of {n}")
        return "; ".join(parts) or "no answer"

    def _candidates(self, masters: dict[str, _Master]) -> list[_Host]:
        ok = [
            h
            for h in self.hosts.values()
            if h.reachable
            and h.name not in masters
            and HostFlag.ORPHANED not in h.flags
            and HostFlag.BROKEN not in h.flags
            and HostFlag.TOOLSTACK_HUNG not in h.flags
            and _toolstack_answers_locally(h.f)
        ]

        def rank(h: _Host) -> tuple[int, int, str]:
            # Latency counts only in coarse bands (under 0.5 s, under 2 s, slower): a
            # few milliseconds of jitter must not change the proposed candidate
            # from one probe to the next.
            g = h.f.db_generation
            lat = h.f.latency_ms
            band = 3 if lat is None else 0 if lat < 500 else 1 if lat < 2000 else 2
            return (-(g if g is not None else -1), band, h.name)

        return sorted(ok, key=rank)

    def _master_lost(self, m: _Master, masters: dict[str, _Master]) -> Diagnosis:
        for h in m.followers:
            if HostFlag.MASTER_UNREACHABLE not in h.flags and h.f.pool_list is QueryState.NO_ANSWER:
                h.notes.append(f"stranded: xe pool-list hangs waiting for {m.name}")
        mh = m.host
        if mh is not None:
            mh.notes.insert(0, f"master, {m.state}")
        evidence = self._evidence(m)
        cands = self._candidates(masters)
        cand = cands[0] if cands else None
        why = ""
        if cand is not None:
            bits = ["reachable", "toolstack answers"]
            g = cand.f.db_generation
            if g is not None:
                rivals = [c.f.db_generation for c in cands[1:] if c.f.db_generation is not None]
                fresh = "freshest database" if not rivals or g > max(rivals) else "database as fresh as any"
                bits.append(f"{fresh} (generation {g})")
            elif cand.f.latency_ms is not None:
                bits.append(f"answers quickly ({cand.f.latency_ms:.0f} ms)")
            why = f"{cand.name}: {', '.join(bits)}"
            cand.notes.append("promotion candidate")

        if m.state is _State.HUNG and mh is not None and mh.reachable:
            rec = _recommend(
                Action.RESTART_TOOLSTACK, m.name,
                f"{m.name} (master) answers SSH but its toolstack gives no answer"
                + (f" ({self._evidence(m, slaves_only=True)})" if m.followers else "")
                + ": restart it first; promote only if it stays silent."
                + (f" Candidate {why}." if why else ""),
            )
        elif self.ha:
            rec = _recommend(
                Action.INVESTIGATE, m.name if mh else None,
                f"{m.name} (master) is gone ({evidence}) but HA is enabled: HA should elect a new master by "
                "itself; a manual promotion is refused with HA_IS_ENABLED.",
            )
        elif m.state is _State.DOWN_UNCONFIRMED:
            rec = _recommend(
                Action.INVESTIGATE, m.name if mh else None,
                f"{m.name} (master) does not answer the jump box ({evidence}), but no slave has confirmed it "
                "is gone: probe the slaves (TCP 443, xe pool-list) before promoting anyone.",
            )
        elif cand is None:
            rec = _recommend(
                Action.INVESTIGATE, None,
                f"{m.name} (master) is gone ({evidence}) and no slave qualifies for promotion (reachable, "
                "toolstack answering): get one back first.",
            )
        else:
            rec = _recommend(
                Action.PROMOTE, cand.name,
                f"Promote {why}, then run pool-recover-slaves on it.",
            )
        short = self._evidence(m, slaves_only=True)
        down = "unreachable from here" if m.host is not None and not m.host.reachable else "not answering"
        summary = f"Master lost: {m.name} is {down}" + (f" and {short}." if short != "no answer" else ".")
        if rec.action is Action.PROMOTE and cand is not None:
            summary = summary[:-1] + f"; promote {cand.name}."
        return self._finish(Verdict.MASTER_LOST, summary, None, m, masters, rec, cand.name if cand else None)

    # ---------------------------------------------------------------- output

    def _last_seen_masters(self, masters: dict[str, _Master], majority: _Master | None) -> str:
        """Context, never evidence: hosts nobody reaches now that were master when last seen."""
        out = ""
        for h in self.hosts.values():
            f = h.f
            if h.name in masters or not h.unreachable or f.role is not Role.MASTER or not f.last_seen("role"):
                continue
            heal = f" — then heal from {majority.name}" if majority is not None and majority.name != h.name else ""
            out += (
                f" {h.name} is unreachable and was master when last seen at {_clock(f.sources['role'].at)}: "
                f"if it comes back cut off it will still believe it is master{heal}."
            )
        return out

    def _host_verdict(self, h: _Host, masters: dict[str, _Master]) -> HostVerdict:
        f = h.f
        if h.name in masters:
            role: str | None = "master"
        elif f.role is Role.BROKEN:
            role = "broken"
        elif h.raw is not None or f.role is Role.SLAVE or f.xapi is XapiView.SLAVE:
            role = "slave"
        else:
            role = None
        follows = h.raw if h.raw is not None and h.target is None else h.key  # unresolved: as written
        if h.name in masters:
            follows = h.name  # a master follows itself
        notes = list(dict.fromkeys(h.notes))  # unique, in order
        if not notes:
            if h.name in masters:
                m = masters[h.name]
                notes = [f"master, {m.votes} of {len(self.hosts)} hosts follow it"]  # as the header counts
            elif role == "slave" and follows:
                notes = [f"slave of {follows}"]
            else:
                notes = ["role not known yet"]
        note = "; ".join(notes[:2])
        return HostVerdict(name=h.name, role=role, flags=list(h.flags), follows=follows, note=note)

    def _finish(
        self,
        verdict: Verdict,
        summary: str,
        master: _Master | None,
        majority: _Master | None,
        masters: dict[str, _Master],
        rec: Recommendation | None,
        candidate: str | None,
    ) -> Diagnosis:
        if rec is not None and rec.action is not Action.NONE:  # never recommend what is forbidden
            if any(fb.action is rec.action and fb.host in (None, rec.host) for fb in self.forbidden):
                rec = _recommend(
                    Action.INVESTIGATE, rec.host,
                    f"The obvious step ({rec.action} on {rec.host}) is forbidden now: {rec.reason}",
                )
        summary += self._last_seen_masters(masters, majority)
        prefix = f"Pool {self.pool}: " if self.pool else ""
        return Diagnosis(
            pool=self.pool,
            verdict=verdict,
            summary=prefix + summary,
            master=master.ref() if master is not None else None,
            majority_master=majority.ref() if majority is not None else None,
            masters=sorted(m.name for m in masters.values()),
            candidate=candidate,
            hosts={name: self._host_verdict(h, masters) for name, h in self.hosts.items()},
            recommendation=rec,
            forbidden=list(self.forbidden),
        )
