"""What xentui knows about a host, as data.

`HostFacts` is the one record per host that flows from the engine (which
learns it over SSH) to the diagnosis (which judges it) and to the console and
CLI (which show it).  Timeouts are data here: "no answer in 10 s" is stored
the same way as "role: master".

Nothing in this module does I/O.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from xentui.core.power import OffAttestation, PowerFact


class SshState(StrEnum):
    """How the SSH connection to a host stands, as the jump box sees it."""

    UNKNOWN = "unknown"  # not tried yet
    UP = "up"
    REFUSED = "refused"  # TCP connection refused: host down or sshd stopped
    NO_ANSWER = "no-answer"  # nothing answered within the connect timeout
    AUTH_FAILED = "auth-failed"
    HOST_KEY_UNKNOWN = "host-key-unknown"  # never accepted silently
    HOST_KEY_CHANGED = "host-key-changed"  # refused loudly: possible attack
    DNS_FAILED = "dns-failed"
    ERROR = "error"  # anything else; ssh_error says what


class Role(StrEnum):
    """The role a host's /etc/xensource/pool.conf gives it."""

    MASTER = "master"
    SLAVE = "slave"
    BROKEN = "broken"


class XapiView(StrEnum):
    """What the toolstack itself answered to a XenAPI login over TCP."""

    UNKNOWN = "unknown"  # not asked (yet)
    MASTER = "master"  # login gave a session: this xapi acts as master
    SLAVE = "slave"  # HOST_IS_SLAVE <master address>: a healthy slave
    EMERGENCY = "emergency"  # an emergency-mode error (HOST_STILL_BOOTING, ...)
    NO_ANSWER = "no-answer"  # the call did not return within the timeout
    UNAVAILABLE = "unavailable"  # channel refused (sshd forbids forwarding, xapi down)
    ERROR = "error"  # any other failure; xapi_detail says what


class QueryState(StrEnum):
    """Outcome of a time-bounded remote command such as `xe pool-list`."""

    UNKNOWN = "unknown"
    ANSWERED = "answered"
    ERROR = "error"  # answered with an error (xapi_detail / *_error says which)
    NO_ANSWER = "no-answer"  # did not return within the timeout: a finding


class Source(BaseModel):
    """How and when a fact was learned."""

    model_config = ConfigDict(frozen=True)

    how: str  # e.g. "cat /etc/xensource/pool.conf", "XenAPI login over SSH forward"
    at: float  # time.time() when learned
    stale: bool = False  # kept from an earlier probe because this one could not learn it
    # kept from the last settled probe while this one has not re-read it yet (pending): it
    # may keep a picture steady, never outweigh a fresh observation (see diagnosis)
    carried: bool = False


class HaLivesetRow(BaseModel):
    """One host as a host's HA daemon reports it (`ha_query_liveset`; xe/ha.py)."""

    model_config = ConfigDict(frozen=True)

    liveness: bool
    master: bool
    statefile_access: bool
    statefile_corrupted: bool = False
    excluded: bool = False


class HostFacts(BaseModel):
    """Everything one probe learned about one host.

    A field left at None means "not known"; `sources` says how each known
    field was learned, and whether it is a stale value kept from an earlier
    probe.
    """

    name: str  # as written in the config (ssh alias or address)
    address: str  # what the jump box connects to
    port: int | None = None

    # --- SSH, from the jump box
    ssh: SshState = SshState.UNKNOWN
    ssh_error: str | None = None  # one line: the cause, naming the host
    host_key_fingerprint: str | None = None  # the key the host offered (refused or accepted)
    host_key_type: str | None = None  # its algorithm as SSH names it (ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa)
    known_host_keys: list[str] = Field(default_factory=list)  # fingerprints known_hosts holds for it (a changed key)
    known_hosts_file: str | None = None  # the known_hosts the jump box checked it against
    key_host: str | None = None  # where SSH really connects (ssh_config's HostName), the name known_hosts uses
    key_port: int | None = None  # and its port
    key_alias: str | None = None  # ssh_config's HostKeyAlias: known_hosts names the host by it
    latency_ms: float | None = None
    forwarding: bool | None = None  # did sshd allow the XenAPI channel?

    # --- files on the host (readable even when xapi is hung)
    role: Role | None = None
    pool_conf_raw: str | None = None
    master_address: str | None = None  # from pool.conf "slave:<addr>"
    uuid: str | None = None  # INSTALLATION_UUID from /etc/xensource-inventory
    hostname: str | None = None
    product_brand: str | None = None
    product_version: str | None = None
    own_addresses: list[str] = Field(default_factory=list)  # `hostname -I`
    db_generation: int | None = None

    # --- the toolstack
    xapi: XapiView = XapiView.UNKNOWN
    xapi_detail: str | None = None  # error code / message, or the master address from HOST_IS_SLAVE
    xapi_master_address: str | None = None  # master address the toolstack reports (HOST_IS_SLAVE)
    pool_list: QueryState = QueryState.UNKNOWN  # time-bounded `xe pool-list`
    pool_list_error: str | None = None
    pool_master_uuid: str | None = None  # `master` field of the pool record, when it answered
    ha_enabled: bool | None = None
    emergency_mode: bool | None = None  # `xe host-is-in-emergency-mode`: shown, never trusted alone
    emergency_error: str | None = None

    # --- HA, read on the host itself without xapi (xe/ha.py; sources "ha_local", "ha_config", "ha_liveset")
    ha_armed: bool | None = None  # local.db ha.armed ("true" only; a missing key or file is false, as xapi reads it)
    ha_disable_failover: bool | None = None  # local.db ha.disable_failover_decisions
    ha_cluster_stack: str | None = None  # local.db ha_cluster_stack (xhad)
    ha_peers: dict[str, str] = Field(default_factory=dict)  # local.db ha_peers: host uuid -> address
    ha_timeout: float | None = None  # T: xhad.conf HeartbeatTimeout, else local.db ha_base_t
    ha_config_hosts: list[str] = Field(default_factory=list)  # xhad.conf's HostIDs (the HA members)
    ha_liveset_status: str | None = None  # "online" / "starting" / "daemon-not-running" / "error"
    ha_liveset: dict[str, HaLivesetRow] = Field(default_factory=dict)  # host uuid -> as this host's daemon sees it
    ha_liveset_warnings: list[str] = Field(default_factory=list)  # warning_on_local_host flags that are TRUE
    ha_liveset_error: str | None = None  # the tool's exit code and description, or why its output was unreadable

    # --- the host's own check of its master's address on TCP 443
    reaches_master: bool | None = None
    reaches_master_detail: str | None = None

    # --- the probe's own first read (pool.conf etc.) has had no answer for this long (seconds),
    # while the SSH session is still held: a stalled link, said long before the command times out
    silent_for: float | None = None

    # --- out-of-band power (core/power.py): the BMC's last reading, and an operator's attestation
    power: PowerFact | None = None
    off_attested: OffAttestation | None = None
    # --- how the engine follows the host: "stream" (its watcher loop runs on the held session,
    # engine/watcher.py) or "polled" (the loop cannot run there: probed every poll_interval);
    # None for a one-shot probe. `watch_detail` says why a host is polled.
    watch: str | None = None
    watch_detail: str | None = None

    # --- bookkeeping
    probed_at: float | None = None
    probe_seconds: float | None = None
    sources: dict[str, Source] = Field(default_factory=dict)

    @property
    def silent(self) -> bool:
        """The SSH session is held, but the host answered nothing for `silent_for` s (cut off, or hung)."""
        return self.ssh is SshState.UP and self.silent_for is not None

    @property
    def reachable(self) -> bool:
        """The jump box holds a working SSH session to this host (one gone silent is not working)."""
        return self.ssh is SshState.UP and not self.silent

    def learned(self, field: str, how: str, at: float | None = None) -> None:
        """Record how a field was learned (call after setting it)."""
        self.sources[field] = Source(how=how, at=time.time() if at is None else at)

    def last_seen(self, key: str) -> bool:
        """The fact under `key` was not re-read by the latest probe: a memory, not an observation."""
        src = self.sources.get(key)
        return src is not None and src.stale

    def fresh(self, key: str) -> bool:
        """The fact under `key` was read by this probe (neither last seen nor carried while pending)."""
        src = self.sources.get(key)
        return src is not None and not src.stale and not src.carried

    def addresses(self) -> set[str]:
        """Every address or name this host is known by, for matching a master address."""
        names = {self.address, self.name, *self.own_addresses}
        if self.hostname:
            names.add(self.hostname)
        return {n.lower() for n in names if n}


class HostRef(BaseModel):
    """A host named the way a report names it."""

    name: str
    address: str | None = None
    uuid: str | None = None


@dataclass
class CommandResult:
    """What one remote command did."""

    host: str
    command: str
    exit_status: int | None
    stdout: str
    stderr: str
    started: float
    duration: float
    timed_out: bool = False
    error: str | None = None  # transport failure, not a non-zero exit

    @property
    def ok(self) -> bool:
        return self.exit_status == 0 and not self.timed_out and self.error is None

    @property
    def outcome(self) -> str:
        if self.timed_out:
            return "timeout"
        if self.error:
            return "error"
        return "ok" if self.exit_status == 0 else "failed"
