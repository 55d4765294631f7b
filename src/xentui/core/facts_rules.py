"""The rules that read one host's facts, written once (pure, no I/O).

The diagnosis, the plans' guard rails, the runner's checks and the panes all
ask the same questions of a `HostFacts`; they ask them here, so the answers
cannot drift apart:

* `ssh_cause(f)`: why the jump box cannot reach a host, in one line;
* `JUMP_BOX_DOWN`: the SSH states that say the host itself is down
  (refused, no answer), as opposed to the jump box's own problem (keys, DNS);
* `toolstack_answers_locally(f)`: the host's own xapi answers (a login was
  answered as master, slave or in emergency mode, or a local-only xe call
  answered) — what a promotion candidate and a restarted toolstack need;
* `in_emergency(f)`, `orphaned(f)`: emergency mode; forgotten by the pool
  (HOST_UNKNOWN_TO_MASTER seen in any answer);
* `pool_list_failed(f)`: a slave's `xe pool-list` got no answer from its
  master (timed out, or CANNOT_CONTACT_HOST);
* `master_toolstack_answers(f)`: a master's toolstack serves the pool
  (True), gave no answer (False), or it is not known (None);
* `host_is_live(f)`: reachable and its toolstack answers for the pool (what
  a handover needs), with the reason;
* `still_to_answer(f)`: nothing has told yet what the host follows, because the
  answers that would are still to come (its SSH connect, its pool.conf read or
  its XenAPI login) — not a finding about the host.
"""

from __future__ import annotations

from xentui.core.model import HostFacts, QueryState, Role, SshState, XapiView

__all__ = [
    "JUMP_BOX_DOWN",
    "SSH_TEXT",
    "host_is_live",
    "host_key_changed_advice",
    "in_emergency",
    "master_toolstack_answers",
    "orphaned",
    "pool_list_failed",
    "ssh_cause",
    "still_to_answer",
    "toolstack_answers_locally",
]

#: the host is down (or its network is): not the jump box's own problem
JUMP_BOX_DOWN = frozenset({SshState.REFUSED, SshState.NO_ANSWER})

SSH_TEXT = {
    SshState.UNKNOWN: "not probed yet",
    SshState.REFUSED: "connection refused",
    SshState.NO_ANSWER: "no answer to SSH",
    SshState.AUTH_FAILED: "SSH authentication failed",
    SshState.HOST_KEY_UNKNOWN: "host key not yet accepted",
    SshState.HOST_KEY_CHANGED: "host key CHANGED (possible attack)",
    SshState.DNS_FAILED: "name does not resolve",
    SshState.ERROR: "SSH error",
}


def ssh_cause(f: HostFacts) -> str:
    """Why the jump box cannot reach a host, in one line (the session's own words first)."""
    if f.silent:
        return f"{f.name}: no answer for {f.silent_for:.0f} s (SSH session held, link stalled)"
    if f.ssh_error:
        return f.ssh_error
    return SSH_TEXT.get(f.ssh, str(f.ssh))


_KEY_FILE = {"ssh-ed25519": "ed25519", "ssh-rsa": "rsa", "rsa-sha2-256": "rsa", "rsa-sha2-512": "rsa",
             "ecdsa-sha2-nistp256": "ecdsa", "ecdsa-sha2-nistp384": "ecdsa", "ecdsa-sha2-nistp521": "ecdsa",
             "ssh-dss": "dsa"}


def host_key_changed_advice(f: HostFacts) -> str:
    """What to do about a host whose SSH key is not the one known_hosts holds: the known and the
    offered fingerprints, how to verify the offered one on the host itself, and the exact commands
    that replace the entry.  Nothing about the host being down: it answered, with another key."""
    import shlex

    known = ", ".join(f.known_host_keys) or "a different key"
    offered = f.host_key_fingerprint or "a key whose fingerprint was not read"
    kind = _KEY_FILE.get(f.host_key_type or "", "")
    pub = f"/etc/ssh/ssh_host_{kind}_key.pub" if kind else "/etc/ssh/ssh_host_*_key.pub"
    file = f.known_hosts_file or "~/.ssh/known_hosts"
    qfile = file if file.startswith("~/") and shlex.quote(file[2:]) == file[2:] else shlex.quote(file)
    host = f.key_host or f.address
    port = f.key_port or f.port
    entry = f.key_alias or (host if not port or port == 22 else f"[{host}]:{port}")
    scan_type = f" -t {kind}" if kind else ""
    scan_port = f" -p {port}" if port and port != 22 else ""
    return (
        f"{f.name}'s SSH host key is not the one known_hosts holds: known {known}, offered {offered}"
        f"{f' ({f.host_key_type})' if f.host_key_type else ''}. xentui will not log in to it until the key is checked. "
        f"Verify on {f.name} itself (its local console, not over this network): `ssh-keygen -lf {pub}` must print "
        f"{offered}. If it does (reinstalled, or its keys were regenerated), replace the entry: "
        f"`ssh-keygen -R {shlex.quote(entry)} -f {qfile}`, then "
        + (f"`ssh-keyscan{scan_type}{scan_port} {shlex.quote(host)} | sed 's/^[^ ]*/{entry}/' >> {qfile}`"
           if f.key_alias else f"`ssh-keyscan{scan_type}{scan_port} {shlex.quote(host)} >> {qfile}`")
        + " and check that "
        f"`ssh-keygen -lf {qfile} -F {shlex.quote(entry)}` prints {offered}. If it does not match, do not connect: "
        f"something else answers at {host}{f':{port}' if port and port != 22 else ''}."
    )


def toolstack_answers_locally(f: HostFacts) -> bool:
    """The host's own xapi answers: a login answered (master, slave, emergency), or a local-only xe call did."""
    if f.xapi is XapiView.NO_ANSWER:
        return False
    return f.xapi in (XapiView.MASTER, XapiView.SLAVE, XapiView.EMERGENCY) or f.emergency_mode is not None


def in_emergency(f: HostFacts) -> bool:
    return f.xapi is XapiView.EMERGENCY or f.emergency_mode is True


def orphaned(f: HostFacts) -> bool:
    """Forgotten by the pool: HOST_UNKNOWN_TO_MASTER in any of its answers."""
    texts = (f.xapi_detail, f.pool_list_error, f.emergency_error, f.reaches_master_detail)
    return any(t and "HOST_UNKNOWN_TO_MASTER" in t.upper() for t in texts)


def pool_list_failed(f: HostFacts) -> bool:
    """A slave's `xe pool-list` got no answer from its master (timed out, or CANNOT_CONTACT_HOST)."""
    if f.pool_list is QueryState.NO_ANSWER:
        return True
    err = (f.pool_list_error or "").upper()
    return f.pool_list is QueryState.ERROR and "CANNOT_CONTACT_HOST" in err


def master_toolstack_answers(f: HostFacts) -> bool | None:
    """A master's toolstack: True answers; False gave no answer; None not known."""
    if f.pool_list is QueryState.ANSWERED:
        return True
    if f.xapi is XapiView.NO_ANSWER or f.pool_list is QueryState.NO_ANSWER:
        return False
    if f.xapi is XapiView.MASTER:
        return True
    return None


def host_is_live(f: HostFacts) -> tuple[bool, str]:
    """Reachable from the jump box and its toolstack answers for the pool (what a handover needs)."""
    if not f.reachable:
        return False, f"{f.name} is unreachable ({ssh_cause(f)})"
    if f.xapi is XapiView.NO_ANSWER or f.pool_list is QueryState.NO_ANSWER:
        return False, f"{f.name}'s toolstack gives no answer"
    if in_emergency(f):
        return False, f"{f.name}'s toolstack is in emergency mode"
    if f.pool_list is QueryState.ANSWERED or f.xapi in (XapiView.MASTER, XapiView.SLAVE):
        return True, f"{f.name} answers"
    if f.pool_list is QueryState.ERROR:
        return False, f"{f.name}'s toolstack answers with an error ({f.pool_list_error})"
    return False, f"{f.name}'s toolstack has not answered yet"


def still_to_answer(f: HostFacts) -> bool:
    """The answers that say what the host follows (SSH, pool.conf, the XenAPI login) are not all in yet."""
    if f.ssh is SshState.UNKNOWN:
        return True
    if f.ssh is not SshState.UP or f.silent:
        return False
    files_read = "role" in f.sources or "files_error" in f.sources
    # read by a probe (its "files" source), its XenAPI login not answered yet: still to answer
    login_pending = "files" in f.sources and "xapi" not in f.sources and f.xapi is XapiView.UNKNOWN
    # its xapi was not listening (forwarding allowed: a toolstack restarting, a host booting): its
    # answer is still to come, the host is not known to be fine
    login_pending = login_pending or ("files" in f.sources and f.xapi is XapiView.UNAVAILABLE and f.forwarding is True)
    # a slave's own check of its master's :443 rides on the file read: a moment later
    reach_pending = "files" in f.sources and f.role is Role.SLAVE and "reaches_master" not in f.sources
    return not files_read or login_pending or reach_pending
