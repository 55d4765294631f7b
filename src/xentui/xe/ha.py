"""Parsers for a host's own HA state, readable without xapi (issue 27).

Every format here was read in xapi's source (notes/ha-27.md has the citations):

* ``/var/lib/xcp/local.db`` — written by ``Localdb.flush`` through
  ``Hashtbl_xml.to_xml`` (ocaml/xapi/hashtbl_xml.ml:28-36): an XML ``<config>``
  of ``<row key="K" value="V"/>`` elements, attribute values escaped, row order
  arbitrary, no indentation.  Whether the prolog ends in a newline is not
  confirmed, so rows are found by pattern, never by line.  Keys that matter:
  ``ha.armed`` (``"true"``/``"false"``; missing = false, as xapi reads it),
  ``ha.disable_failover_decisions``, ``ha_base_t`` (the HA timeout T, seconds),
  ``ha_cluster_stack`` (default ``xhad``), ``ha_peers`` (an S-expression of
  ``('uuid' 'address')`` pairs, ocaml/libs/sexpr/sExpr.ml ``string_of``).
* ``/etc/xensource/xhad.conf`` — ``Xha_interface.DaemonConfiguration.to_xml_string``
  (xml-light's pretty printer; exact whitespace not confirmed, so an XML parser
  reads it): ``xhad-config/common-config`` (``GenerationUUID``, ``UDPport``,
  ``host/HostID+IPaddress``, ``parameters/*``) and ``local-config/localhost/HostID``.
* the output of ``/usr/libexec/xapi/cluster-stack/<stack>/ha_query_liveset``
  (xhad's calldaemon ``print_query_liveset``): ``ha_liveset_info`` with
  ``status`` (Online / Starting), ``localhost/HostID`` and, when online, one
  ``host`` per member (``liveness master statefile_access statefile_corrupted
  excluded``: ``TRUE``/``FALSE``, lower-cased by xapi before ``bool_of_string``),
  and ``warning_on_local_host`` flags (counted only when exactly ``TRUE``).
  Its exit status is an ``Xha_errno`` code (ocaml/xapi/xha_errno.ml);
  14 = the daemon is not running (xapi relies on it), printing nothing.  Confirmed in xhad's own
  source (github.com/xenserver/xha): scripts/ha_query_liveset is ``calldaemon query_liveset``;
  calldaemon's failed connect (MTC_ERROR_SC_CONNECT_TO_DAEMON) exits MTC_EXIT_DAEMON_IS_NOT_PRESENT
  = 14 (include/mtcerrno.def); scripts/ha_rc exits 16 ("PATH is not properly setup") unless the
  scripts' directory is on PATH, which xapi appends (xha_scripts.ml call_script) and so does the probe.

Pure functions, no I/O.  Text is taken as the wire gives it (CRLF, a trailing
newline or none, a final `rc=N` line from the probe's wrapper).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

__all__ = [
    "HA_CLUSTER_STACK_DEFAULT",
    "LIVESET_TOOL_ROOT",
    "LOCAL_DB",
    "LivesetHost",
    "Liveset",
    "XHAD_CONF",
    "XHA_ERRNO",
    "XhadConf",
    "HaParseError",
    "liveset_tool",
    "local_db_bool",
    "parse_ha_peers",
    "parse_liveset",
    "parse_local_db",
    "parse_xhad_conf",
    "split_exit_line",
]

LOCAL_DB = "/var/lib/xcp/local.db"  # xapi_globs.ml local_database
XHAD_CONF = "/etc/xensource/xhad.conf"  # xha_interface.ml DaemonConfiguration.filename
LIVESET_TOOL_ROOT = "/usr/libexec/xapi/cluster-stack"  # xapi_globs.ml cluster_stack_root
HA_CLUSTER_STACK_DEFAULT = "xhad"  # constants.ml default_ha_cluster_stack

# ocaml/xapi/xha_errno.ml (v24.40.0:40-124, to_string / to_description): exit status -> (code, description);
# every code is printed MTC_EXIT_<code>.
XHA_ERRNO: dict[int, tuple[str, str]] = {
    0: ("SUCCESS", ""),
    1: ("INVALID_PARAMETER", "Invalid parameter"),
    2: ("SYSTEM_ERROR", "Fatal system error"),
    3: ("TRANSIENT_SYSTEM_ERROR", "Transient system error"),
    4: ("WATCHDOG_ERROR", "Watchdog error"),
    5: ("IMPROPER_LICENSE", "Improper license"),
    6: ("CAN_NOT_READ_CONFIG_FILE", "Config-file is inaccessible"),
    7: ("INVALID_CONFIG_FILE", "Invalid config-file contents"),
    8: ("CAN_NOT_ACCESS_STATEFILE", "State-File is inaccessible"),
    9: ("INVALID_STATE_FILE", "Invalid State-File contents"),
    10: ("GENERATION_UUID_MISMATCH", "Generation UUID mismatch"),
    11: ("INVALID_POOL_STATE", "Invalid pool state"),
    12: ("BOOTJOIN_TIMEOUT", "Join timeout during start"),
    13: ("CAN_NOT_JOIN_EXISTING_LIVESET", "Join is not allowed"),
    14: ("DAEMON_IS_NOT_PRESENT", "Daemon is not present"),
    15: ("DAEMON_IS_PRESENT", "Daemon is (already) present"),
    16: ("INVALID_ENVIRONMENT", "Invalid operation environment"),
    17: ("INVALID_LOCALHOST_STATE", "Invalid local host state"),
    18: ("BOOT_BLOCKED_BY_EXCLUDED", "Start failed"),
    19: ("SET_EXCLUDED", "Exclude flag is set while the daemon is operating"),
    127: ("INTERNAL_BUG", "Internal bug"),
}
DAEMON_NOT_PRESENT = 14


class HaParseError(ValueError):
    """An HA file or tool output that does not have the shape xapi writes."""


def liveset_tool(cluster_stack: str | None) -> str:
    """The liveset query tool's path for the local.db ``ha_cluster_stack`` (xha_scripts.ml ha_dir)."""
    stack = cluster_stack or HA_CLUSTER_STACK_DEFAULT
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", stack) or stack.startswith(".."):
        raise ValueError(f"not a cluster stack name: {stack!r}")
    return f"{LIVESET_TOOL_ROOT}/{stack}/ha_query_liveset"


# --------------------------------------------------------------------------- local.db

_ROW_RE = re.compile(r"""<row\s+key\s*=\s*"([^"]*)"\s+value\s*=\s*"([^"]*)"\s*/>""")


def parse_local_db(text: str | None) -> dict[str, str]:
    """The rows of ``local.db`` as a dict (entities unescaped).  Missing or empty file = empty DB
    (as ``Localdb.assert_loaded`` treats it).  A text with content but no ``<config`` is refused."""
    if text is None or not text.strip():
        return {}
    if "<config" not in text:
        raise HaParseError("local.db: no <config> element")
    return {html.unescape(k): html.unescape(v) for k, v in _ROW_RE.findall(text)}


def local_db_bool(db: dict[str, str], key: str) -> bool:
    """A boolean key as xapi reads it: exactly ``"true"`` is true; anything else, or missing, is false."""
    return db.get(key) == "true"


def parse_ha_peers(text: str | None) -> dict[str, str]:
    """``ha_peers`` (uuid -> address) from its S-expression ``(('uuid' 'addr') ...)`` (sExpr.string_of:
    strings single-quoted, ``\\`` ``'`` ``"`` backslash-escaped)."""
    if not text:
        return {}
    strings = [re.sub(r"\\(.)", r"\1", s) for s in re.findall(r"'((?:[^'\\]|\\.)*)'", text)]
    if len(strings) % 2:
        raise HaParseError("ha_peers: an odd number of strings")
    return dict(zip(strings[0::2], strings[1::2]))


# --------------------------------------------------------------------------- xhad.conf


@dataclass(frozen=True)
class XhadConf:
    generation_uuid: str | None = None
    udp_port: int | None = None
    hosts: dict[str, str] = field(default_factory=dict)  # HostID -> IPaddress
    parameters: dict[str, int] = field(default_factory=dict)  # HeartbeatTimeout, ... (seconds)
    local_host: str | None = None

    @property
    def timeout(self) -> int | None:
        """T, the HA timeout: HeartbeatTimeout (= t in Timeouts.derive)."""
        return self.parameters.get("HeartbeatTimeout")

    @property
    def boot_join_timeout(self) -> int | None:
        return self.parameters.get("BootJoinTimeout")


def _xml_root(text: str, what: str) -> ET.Element:
    body = text.replace("\r\n", "\n").strip()
    try:
        return ET.fromstring(body.encode())
    except ET.ParseError as e:
        raise HaParseError(f"{what}: not XML ({e})") from None


def _text(el: ET.Element | None) -> str | None:
    return None if el is None or el.text is None else el.text.strip()


def parse_xhad_conf(text: str | None) -> XhadConf | None:
    """``xhad.conf``; None when the file is absent or empty (HA never configured on the host)."""
    if text is None or not text.strip():
        return None
    root = _xml_root(text, "xhad.conf")
    if root.tag != "xhad-config":
        raise HaParseError(f"xhad.conf: root is <{root.tag}>, not <xhad-config>")
    common = root.find("common-config")
    hosts: dict[str, str] = {}
    params: dict[str, int] = {}
    gen = port = None
    if common is not None:
        gen = _text(common.find("GenerationUUID"))
        p = _text(common.find("UDPport"))
        port = int(p) if p and p.isdigit() else None
        for h in common.findall("host"):
            hid, ip = _text(h.find("HostID")), _text(h.find("IPaddress"))
            if hid:
                hosts[hid] = ip or ""
        ps = common.find("parameters")
        for el in ps if ps is not None else []:
            v = _text(el)
            if v is not None and re.fullmatch(r"-?\d+", v):
                params[el.tag] = int(v)
    local = _text(root.find("local-config/localhost/HostID"))
    return XhadConf(generation_uuid=gen, udp_port=port, hosts=hosts, parameters=params, local_host=local)


# --------------------------------------------------------------------------- the liveset


@dataclass(frozen=True)
class LivesetHost:
    liveness: bool
    master: bool
    statefile_access: bool
    statefile_corrupted: bool
    excluded: bool


@dataclass(frozen=True)
class Liveset:
    """What one host's HA daemon reports (``ha_query_liveset``)."""

    status: str  # "online" / "starting" / "offline" (lower-cased, as xapi reads it)
    local_host: str
    hosts: dict[str, LivesetHost] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # the warning_on_local_host flags that are exactly TRUE

    @property
    def masters(self) -> list[str]:
        """Hosts xapi would follow: ``master && liveness`` (CP-25481: a dead host may keep the lock)."""
        return sorted(h for h, v in self.hosts.items() if v.master and v.liveness)

    @property
    def live(self) -> list[str]:
        return sorted(h for h, v in self.hosts.items() if v.liveness)

    @property
    def statefile_broken(self) -> bool:
        """The local host lost or found corrupted the statefile (its own row, or the warning)."""
        me = self.hosts.get(self.local_host)
        return "statefile_lost" in self.warnings or (
            me is not None and (me.statefile_corrupted or not me.statefile_access)
        )


_BOOL_FIELDS = ("liveness", "master", "statefile_access", "statefile_corrupted", "excluded")


def _bool(el: ET.Element, tag: str) -> bool:
    v = _text(el.find(tag))
    if v is None:
        raise HaParseError(f"ha_liveset_info: host without <{tag}>")
    low = v.lower()
    if low not in ("true", "false"):  # OCaml bool_of_string after String.lowercase_ascii
        raise HaParseError(f"ha_liveset_info: <{tag}> is {v!r}")
    return low == "true"


def parse_liveset(text: str) -> Liveset:
    """``ha_liveset_info`` as xapi's LiveSetInformation reads it (required: status, localhost/HostID;
    each host: HostID and the five booleans)."""
    root = _xml_root(text, "ha_liveset_info")
    if root.tag != "ha_liveset_info":
        raise HaParseError(f"root is <{root.tag}>, not <ha_liveset_info>")
    status = _text(root.find("status"))
    local = _text(root.find("localhost/HostID"))
    if not status or not local:
        raise HaParseError("ha_liveset_info: no status or localhost/HostID")
    hosts: dict[str, LivesetHost] = {}
    for h in root.findall("host"):
        hid = _text(h.find("HostID"))
        if not hid:
            raise HaParseError("ha_liveset_info: host without HostID")
        hosts[hid] = LivesetHost(**{f: _bool(h, f) for f in _BOOL_FIELDS})
    warn = root.find("warning_on_local_host")
    warnings = tuple(el.tag for el in (warn if warn is not None else []) if _text(el) == "TRUE")
    return Liveset(status=status.lower(), local_host=local, hosts=hosts, warnings=warnings)


_RC_RE = re.compile(r"(?:^|\n)rc=(\d+)\s*$")


def split_exit_line(text: str) -> tuple[str, int | None]:
    """A run's output ``...\\nrc=N`` (the probe's ``; echo rc=$?``) -> (output, N); no line -> (text, None)."""
    body = text.replace("\r\n", "\n")
    m = _RC_RE.search(body)
    if m is None:
        return body, None
    return body[: m.start()], int(m.group(1))
