"""The HA part of a probe (issue 27): local.db and xhad.conf ride on the file read; the liveset
tool runs on a channel of its own, only on a host whose local.db or xhad.conf says HA is
configured there (a pool without HA pays nothing).

Pure except `liveset_command` (a string) and the `apply_*` functions (facts changed in place).
"""

from __future__ import annotations

from xentui.core.model import CommandResult, HaLivesetRow, HostFacts
from xentui.xe import commands as xc
from xentui.xe.ha import (
    DAEMON_NOT_PRESENT,
    LOCAL_DB,
    XHA_ERRNO,
    XHAD_CONF,
    HaParseError,
    liveset_tool,
    local_db_bool,
    parse_ha_peers,
    parse_liveset,
    parse_local_db,
    parse_xhad_conf,
    split_exit_line,
)

HA_FILES = [LOCAL_DB, XHAD_CONF]


def ha_files_command() -> str:
    """Both files in one `head`; xhad.conf is absent on a host that never had HA: nothing on stderr."""
    return xc.read_files(HA_FILES) + " 2>/dev/null"


def apply_ha_files(facts: HostFacts, sections: dict[str, str]) -> None:
    """local.db and xhad.conf, from the file read's sections (a missing local.db reads as empty, as in xapi)."""
    try:
        db = parse_local_db(sections.get(LOCAL_DB))
    except HaParseError:
        facts.ha_armed = None  # not the shape xapi writes: not known
    else:
        facts.ha_armed = local_db_bool(db, "ha.armed")
        facts.ha_disable_failover = local_db_bool(db, "ha.disable_failover_decisions")
        facts.ha_cluster_stack = db.get("ha_cluster_stack")
        try:
            facts.ha_peers = parse_ha_peers(db.get("ha_peers"))
        except HaParseError:
            facts.ha_peers = {}
        base = db.get("ha_base_t")
        facts.ha_timeout = float(base) if base and base.replace(".", "", 1).isdigit() else None
        facts.learned("ha_local", f"head {LOCAL_DB}")
    try:
        conf = parse_xhad_conf(sections.get(XHAD_CONF))
    except HaParseError:
        conf = None
    if conf is not None:
        if conf.timeout is not None:
            facts.ha_timeout = float(conf.timeout)
        facts.ha_config_hosts = sorted(conf.hosts)
        facts.learned("ha_config", f"head {XHAD_CONF}")


def ha_configured(facts: HostFacts) -> bool:
    """HA was set up on this host: worth asking its daemon."""
    return facts.ha_armed is True or "ha_config" in facts.sources


def liveset_command(facts: HostFacts, seconds: float) -> str | None:
    """The liveset tool, bounded, its exit status on a last line.  The xhad scripts source ha_rc,
    which refuses to run ("PATH is not properly setup", rc 16) unless their own directory is on PATH
    (they call ha_null and calldaemon by name): xapi appends it (xha_scripts.ml call_script), and so
    does this command.  The directory comes from `liveset_tool`, which validated the stack's name."""
    try:
        tool = liveset_tool(facts.ha_cluster_stack)
    except ValueError:
        return None
    directory = tool.rsplit("/", 1)[0]
    return f'PATH="$PATH:{directory}"; ' + xc.timeout_wrapped(seconds, tool) + "; echo rc=$?"


def apply_liveset(facts: HostFacts, result: CommandResult) -> None:
    how = "ha_query_liveset (the HA daemon's own view)"
    facts.ha_liveset = {}
    facts.ha_liveset_warnings = []
    facts.ha_liveset_error = None
    body, rc = split_exit_line(result.stdout)
    if result.timed_out or rc in xc.TIMED_OUT_EXIT_CODES or (rc is None and not result.ok):
        facts.ha_liveset_status = "error"
        facts.ha_liveset_error = result.error or "no answer (remote timeout)"
    elif rc == DAEMON_NOT_PRESENT:
        facts.ha_liveset_status = "daemon-not-running"
        facts.ha_liveset_error = "rc 14 MTC_EXIT_DAEMON_IS_NOT_PRESENT (Daemon is not present)"
    elif rc not in (0, None):
        code, text = XHA_ERRNO.get(rc, ("", ""))
        facts.ha_liveset_status = "error"
        facts.ha_liveset_error = f"rc {rc} MTC_EXIT_{code} ({text})" if code else f"Unrecognised MTC exit code: {rc}"
    else:
        try:
            ls = parse_liveset(body)
        except HaParseError as e:
            facts.ha_liveset_status = "error"
            facts.ha_liveset_error = f"unreadable liveset: {e}"[:200]
        else:
            facts.ha_liveset_status = ls.status
            facts.ha_liveset = {
                uuid: HaLivesetRow(
                    liveness=r.liveness, master=r.master, statefile_access=r.statefile_access,
                    statefile_corrupted=r.statefile_corrupted, excluded=r.excluded,
                )
                for uuid, r in ls.hosts.items()
            }
            facts.ha_liveset_warnings = list(ls.warnings)
    facts.learned("ha_liveset", how, at=result.started)
