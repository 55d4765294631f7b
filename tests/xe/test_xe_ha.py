"""The HA parsers (xe/ha.py): local.db, xhad.conf, ha_query_liveset, as the wire gives them."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xentui.xe.ha import (
    HaParseError,
    XHA_ERRNO,
    liveset_tool,
    local_db_bool,
    parse_ha_peers,
    parse_liveset,
    parse_local_db,
    parse_xhad_conf,
    split_exit_line,
)

A, B, C = (
    "1c6a0b2e-0000-4000-8000-0000000000a1",
    "5f2e0b2e-0000-4000-8000-0000000000b2",
    "9d410b2e-0000-4000-8000-0000000000c3",
)

# Localdb.flush -> Hashtbl_xml.to_xml: Xmlm's prolog, then the whole <config> on one line.
LOCAL_DB = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f"<config><row key=\"ha_peers\" value=\"(('{A}' '10.0.0.11') ('{B}' '10.0.0.12'))\"/>"
    '<row key="ha.armed" value="true"/><row key="ha_base_t" value="60"/>'
    '<row key="ha_cluster_stack" value="xhad"/><row key="ha.disable_failover_decisions" value="false"/></config>'
)


@pytest.mark.parametrize(
    "text, key, expected",
    [
        (LOCAL_DB, "ha.armed", "true"),
        (LOCAL_DB, "ha_base_t", "60"),
        (LOCAL_DB.replace("\n", "\r\n"), "ha.armed", "true"),  # CRLF
        (LOCAL_DB + "\n", "ha_cluster_stack", "xhad"),  # a final newline or none
        (LOCAL_DB.replace('value="true"', 'value="false"'), "ha.armed", "false"),
        ('<config><row key="a&amp;b" value="&quot;x&lt;y&gt;&quot;"/></config>', "a&b", '"x<y>"'),
        ("<config></config>", "ha.armed", None),
        ("", "ha.armed", None),  # a missing file reads as the empty database
    ],
)
def test_local_db_rows(text: str, key: str, expected: str | None) -> None:
    assert parse_local_db(text).get(key) == expected


def test_local_db_garbage_is_refused() -> None:
    with pytest.raises(HaParseError):
        parse_local_db("ha.armed=true\n")


@pytest.mark.parametrize("value, expected", [("true", True), ("false", False), ("TRUE", False), (None, False)])
def test_local_db_bool_is_xapis_reading(value: str | None, expected: bool) -> None:
    db = {} if value is None else {"ha.armed": value}
    assert local_db_bool(db, "ha.armed") is expected


@given(st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=30), max_size=6))
def test_local_db_round_trip(rows: dict[str, str]) -> None:
    """Whatever Hashtbl_xml writes (values escaped as Xmlm does) reads back as written."""
    def esc(s: str) -> str:
        return html.escape(s, quote=True).replace("&#x27;", "'")
    rows = {k: v for k, v in rows.items() if all(c.isprintable() for c in k + v)}
    text = "<config>" + "".join(f'<row key="{esc(k)}" value="{esc(v)}"/>' for k, v in rows.items()) + "</config>"
    assert parse_local_db(text) == rows


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"(('{A}' '10.0.0.11') ('{B}' '10.0.0.12'))", {A: "10.0.0.11", B: "10.0.0.12"}),
        (f"(('{A}' 'fd00::1'))", {A: "fd00::1"}),
        ("()", {}),
        ("", {}),
        (r"(('a\'b' 'x'))", {"a'b": "x"}),
    ],
)
def test_ha_peers(text: str, expected: dict[str, str]) -> None:
    assert parse_ha_peers(text) == expected


XHAD_CONF = f"""<?xml version="1.0" encoding="utf-8"?>
<xhad-config version="1.0">
  <common-config>
    <GenerationUUID>4b8e2c1a-9f0d-4e43-b7a2-0c6d5e1f2a33</GenerationUUID>
    <UDPport>694</UDPport>
    <host>
      <HostID>{A}</HostID>
      <IPaddress>10.0.0.11</IPaddress>
    </host>
    <host><HostID>{B}</HostID><IPaddress>10.0.0.12</IPaddress></host>
    <parameters>
      <HeartbeatInterval>3</HeartbeatInterval>
      <HeartbeatTimeout>60</HeartbeatTimeout>
      <StateFileTimeout>60</StateFileTimeout>
      <StateFileWatchdogTimeout>75</StateFileWatchdogTimeout>
      <BootJoinTimeout>120</BootJoinTimeout>
    </parameters>
  </common-config>
  <local-config>
    <localhost>
      <HostID>{B}</HostID>
      <HeartbeatInterface>xenbr0</HeartbeatInterface>
    </localhost>
  </local-config>
</xhad-config>
"""


@pytest.mark.parametrize("text", [XHAD_CONF, XHAD_CONF.replace("\n", "\r\n"), XHAD_CONF.rstrip("\n")])
def test_xhad_conf(text: str) -> None:
    conf = parse_xhad_conf(text)
    assert conf is not None
    assert conf.timeout == 60 and conf.boot_join_timeout == 120
    assert conf.parameters["StateFileWatchdogTimeout"] == 75
    assert conf.hosts == {A: "10.0.0.11", B: "10.0.0.12"}
    assert conf.local_host == B and conf.udp_port == 694


@pytest.mark.parametrize("text", [None, "", "\n"])
def test_xhad_conf_absent(text: str | None) -> None:
    assert parse_xhad_conf(text) is None


@pytest.mark.parametrize("text", ["<config/>", "not xml at all"])
def test_xhad_conf_refused(text: str) -> None:
    with pytest.raises(HaParseError):
        parse_xhad_conf(text)


def _host(uuid: str, live: bool, master: bool, sf: bool = True, corrupt: bool = False) -> str:
    b = lambda x: "TRUE" if x else "FALSE"  # noqa: E731
    return (
        f"  <host>\n    <HostID>{uuid}</HostID>\n    <HostIndex>0</HostIndex>\n"
        f"    <liveness>{b(live)}</liveness>\n    <master>{b(master)}</master>\n"
        f"    <statefile_access>{b(sf)}</statefile_access>\n    <statefile_corrupted>{b(corrupt)}</statefile_corrupted>\n"
        f"    <excluded>FALSE</excluded>\n  </host>\n"
    )


def liveset_text(local: str, hosts: str, warn: str = "FALSE", status: str = "Online") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ha_liveset_info version="1.0">\n'
        f"  <status>{status}</status>\n  <localhost>\n    <HostID>{local}</HostID>\n    <HostIndex>1</HostIndex>\n"
        f"  </localhost>\n{hosts}  <warning_on_local_host>\n    <statefile_lost>{warn}</statefile_lost>\n"
        "    <heartbeat_approaching_timeout>FALSE</heartbeat_approaching_timeout>\n  </warning_on_local_host>\n"
        "</ha_liveset_info>\n"
    )


@pytest.mark.parametrize(
    "hosts, masters, live, broken",
    [
        (_host(A, True, True) + _host(B, True, False), [A], [A, B], False),
        (_host(A, False, False) + _host(B, True, False) + _host(C, True, False), [], [B, C], False),
        (_host(A, False, True) + _host(B, True, False), [], [B], False),  # a dead host keeps the lock: not followed
        (_host(A, False, False) + _host(B, True, True) + _host(C, True, False), [B], [B, C], False),
        (_host(A, False, False) + _host(B, True, False, sf=False), [], [B], True),
        (_host(B, True, False, corrupt=True), [], [B], True),
    ],
)
def test_liveset(hosts: str, masters: list[str], live: list[str], broken: bool) -> None:
    ls = parse_liveset(liveset_text(B, hosts))
    assert ls.status == "online" and ls.local_host == B
    assert ls.masters == masters and ls.live == live
    assert ls.statefile_broken is broken


def test_liveset_warning_counts_only_exact_true() -> None:
    assert parse_liveset(liveset_text(B, _host(B, True, True), warn="TRUE")).warnings == ("statefile_lost",)
    assert parse_liveset(liveset_text(B, _host(B, True, True), warn="true")).warnings == ()


def test_liveset_starting_has_no_hosts() -> None:
    ls = parse_liveset(liveset_text(B, "", status="Starting").replace("\n", "\r\n"))
    assert ls.status == "starting" and ls.hosts == {}


@pytest.mark.parametrize(
    "text",
    [
        "<ha_liveset_info><status>Online</status></ha_liveset_info>",  # no localhost
        "<other/>",
        liveset_text(B, _host(B, True, True)).replace("<liveness>TRUE", "<liveness>yes"),
        liveset_text(B, _host(B, True, True)).replace("<master>TRUE</master>", ""),
        "",
    ],
)
def test_liveset_refused(text: str) -> None:
    with pytest.raises(HaParseError):
        parse_liveset(text)


@pytest.mark.parametrize(
    "text, body, rc",
    [
        ("rc=14\n", "", 14),
        ("<x/>\nrc=0\n", "<x/>", 0),
        ("<x/>\r\nrc=0", "<x/>", 0),
        ("<x/>\n", "<x/>\n", None),
    ],
)
def test_split_exit_line(text: str, body: str, rc: int | None) -> None:
    assert split_exit_line(text) == (body, rc)


def test_errno_table_names_the_daemon_absent() -> None:
    assert XHA_ERRNO[14] == ("DAEMON_IS_NOT_PRESENT", "Daemon is not present")
    assert XHA_ERRNO[8][1] == "State-File is inaccessible"


@pytest.mark.parametrize("stack, ok", [("xhad", True), (None, True), ("../x", False), ("a b", False)])
def test_liveset_tool_path(stack: str | None, ok: bool) -> None:
    if ok:
        assert liveset_tool(stack) == "/usr/libexec/xapi/cluster-stack/xhad/ha_query_liveset".replace(
            "xhad", stack or "xhad"
        )
    else:
        with pytest.raises(ValueError):
            liveset_tool(stack)
