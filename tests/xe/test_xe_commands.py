"""Tests for xentui.xe.commands: validation and shell-safe xe command lines."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xentui.xe.commands import (
    TIMED_OUT_EXIT_CODES,
    XE,
    InvalidUUID,
    host_forget,
    host_is_in_emergency_mode,
    host_list,
    host_param_get,
    name_label_for_local_sr,
    password_stdin,
    patch_apply,
    patch_list,
    patch_upload,
    pbd_list,
    pool_designate_new_master,
    pool_emergency_reset_master,
    pool_emergency_transition_to_master,
    pool_join,
    pool_list,
    pool_recover_slaves,
    read_files,
    section_marker,
    sr_create_local,
    sr_list,
    timeout_wrapped,
    update_apply,
    update_list,
    update_pool_apply,
    update_upload,
    validate_address,
    validate_device,
    validate_uuid,
    xe,
)
from xentui.xe.files import parse_head_sections

P1 = "9d41f57b-2da4-492d-8a7e-79309ec72ac7"
P2 = "de0ae348-9a3c-4b1e-8f5e-0c2f8e1c7a55"

HOSTILE = [
    "; rm -rf /",
    "$(id)",
    "`id`",
    "'; id; '",
    '"; id; "',
    "“Local storage”",
    "‘plot1’",
    "naïve – ünïcödé 日本語",
    "a\\b\\",
    "$HOME ${PATH} $((1+1))",
    "  leading and trailing  ",
    "*?[a-z]~!#&|<>(){}",
    "",
    "-x --force",
    "tab\there",
]
WITH_NEWLINES = ["a\nb", "x\rforce=true", "nul\x00byte", "\n"]


# ---------------------------------------------------------------------------
# validation tables

UUID_CASES: list[tuple[str, str | None]] = [
    (P1, P1),
    (P1.upper(), P1),
    ("00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000"),
    ("9d41f57b2da4492d8a7e79309ec72ac7", None),  # no dashes
    ("{9d41f57b-2da4-492d-8a7e-79309ec72ac7}", None),
    ("urn:uuid:9d41f57b-2da4-492d-8a7e-79309ec72ac7", None),
    (" " + P1, None),
    (P1 + "\n", None),
    (P1[:-1], None),
    (P1 + "0", None),
    ("9d41f57b-2da4-492d-8a7e-79309ec72ag7", None),  # g
    ("9d41f57b_2da4_492d_8a7e_79309ec72ac7", None),
    ("9d41f57b-2da4-492d-8a7e-79309ec72ac７", None),  # fullwidth digit
    ("", None),
    ("OpaqueRef:9d41f57b-2da4-492d-8a7e-79309ec72ac7", None),
]


@pytest.mark.parametrize(("text", "expected"), UUID_CASES)
def test_validate_uuid(text: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(InvalidUUID):
            validate_uuid(text)
        with pytest.raises(ValueError):  # InvalidUUID is a ValueError
            validate_uuid(text)
    else:
        assert validate_uuid(text) == expected


ADDRESS_OK = [
    "10.0.0.11",
    "192.168.1.254",
    "fd00::11",
    "fe80::1%eth0",
    "::1",
    "2001:db8::8a2e:370:7334",
    "plot1",
    "plot1.example.org",
    "plot1.example.org.",
    "xcp-ng-01",
    "a" * 63 + ".example",
]
ADDRESS_BAD = [
    "",
    " 10.0.0.1",
    "10.0.0.1 ",
    "10.0.0.256",
    "1.2.3",
    "999.1.1.1",
    "[fd00::11]",
    "fd00:::11",
    "host name",
    "host;id",
    "$(id)",
    "-oProxyCommand=id",
    "plot1..example",
    "a" * 64,
    "plöt1",
    "host_name",
    "10.0.0.1\n",
    "fe80::1%eth0;id",
]


@pytest.mark.parametrize("addr", ADDRESS_OK)
def test_validate_address_ok(addr: str) -> None:
    assert validate_address(addr) == addr


@pytest.mark.parametrize("addr", ADDRESS_BAD)
def test_validate_address_bad(addr: str) -> None:
    with pytest.raises(ValueError):
        validate_address(addr)


@pytest.mark.parametrize("dev", ["sdb", "sdb1", "nvme0n1p1", "xvdb", "md0", "dm-3", "sdaa12"])
def test_validate_device_ok(dev: str) -> None:
    assert validate_device(dev) == dev


@pytest.mark.parametrize("dev", ["", "/dev/sdb", "sdb 1", "sdb;id", "SDB", "1sdb", "sdb/1", "../sda", "sdb\n", "dm-"])
def test_validate_device_bad(dev: str) -> None:
    with pytest.raises(ValueError):
        validate_device(dev)


# ---------------------------------------------------------------------------
# exact argv of each builder

BUILDER_CASES: list[tuple[str, list[str]]] = [
    (pool_list(), [XE, "pool-list"]),
    (pool_list(minimal=True), [XE, "pool-list", "--minimal"]),
    (pool_list(["uuid", "master"]), [XE, "pool-list", "params=uuid,master"]),
    (host_list(["uuid", "name-label"], minimal=True), [XE, "host-list", "params=uuid,name-label", "--minimal"]),
    (host_list("all"), [XE, "host-list", "params=all"]),
    (sr_list(), [XE, "sr-list"]),
    (update_list(), [XE, "update-list"]),
    (patch_list(["uuid", "hosts"]), [XE, "patch-list", "params=uuid,hosts"]),
    (
        pbd_list(P1, ["device-config", "host-uuid", "sr-uuid"]),
        [XE, "pbd-list", f"host-uuid={P1}", "params=device-config,host-uuid,sr-uuid"],
    ),
    (pbd_list(), [XE, "pbd-list"]),
    (host_is_in_emergency_mode(), [XE, "host-is-in-emergency-mode"]),
    (pool_emergency_transition_to_master(), [XE, "pool-emergency-transition-to-master"]),
    (pool_emergency_transition_to_master(force=True), [XE, "pool-emergency-transition-to-master", "--force"]),
    (pool_emergency_reset_master("10.0.0.11"), [XE, "pool-emergency-reset-master", "master-address=10.0.0.11"]),
    (pool_emergency_reset_master("fd00::11"), [XE, "pool-emergency-reset-master", "master-address=fd00::11"]),
    (pool_recover_slaves(), [XE, "pool-recover-slaves"]),
    (pool_designate_new_master(P2.upper()), [XE, "pool-designate-new-master", f"host-uuid={P2}"]),
    (host_forget(P2, force=True), [XE, "host-forget", f"uuid={P2}", "--force"]),
    (host_forget(P2, force=False), [XE, "host-forget", f"uuid={P2}"]),
    (
        sr_create_local("sdb1", P1, "Local storage 2 on plot1"),
        [
            XE,
            "sr-create",
            "content-type=user",
            "device-config:device=/dev/sdb1",
            f"host-uuid={P1}",
            "name-label=Local storage 2 on plot1",
            "shared=false",
            "type=lvm",
        ],
    ),
    (update_upload("/tmp/XS82ECU1053.iso"), [XE, "update-upload", "file-name=/tmp/XS82ECU1053.iso"]),
    (patch_upload("/tmp/a b.xsupdate"), [XE, "patch-upload", "file-name=/tmp/a b.xsupdate"]),
    (update_apply(P2, P1), [XE, "update-apply", f"uuid={P2}", f"host-uuid={P1}"]),
    (patch_apply(P2, P1), [XE, "patch-apply", f"uuid={P2}", f"host-uuid={P1}"]),
    (update_pool_apply(P2), [XE, "update-pool-apply", f"uuid={P2}"]),
    (
        host_param_get(P1, "software-version"),
        [XE, "host-param-get", f"uuid={P1}", "param-name=software-version"],
    ),
    (
        host_param_get(P1, "software-version", "xapi"),
        [XE, "host-param-get", f"uuid={P1}", "param-name=software-version", "param-key=xapi"],
    ),
    (xe("vm-list", "--minimal", uuid=P1), [XE, "vm-list", f"uuid={P1}", "--minimal"]),
    (
        xe("sr-param-set", kv={"other-config:auto-scan": "true"}, uuid=P1),
        [XE, "sr-param-set", "other-config:auto-scan=true", f"uuid={P1}"],
    ),
    (read_files(["/etc/xensource/pool.conf", "/proc/partitions"]),
     ["head", "-v", "-c", "65536", "--", "/etc/xensource/pool.conf", "/proc/partitions"]),
    (section_marker("lsblk"), ["printf", "\\n==> %s <==\\n", "lsblk"]),
]


@pytest.mark.parametrize(("command", "argv"), BUILDER_CASES)
def test_builder_argv(command: str, argv: list[str]) -> None:
    assert shlex.split(command) == argv
    if argv[0] == XE:
        assert command.startswith(XE + " ")


def test_xe_word_is_quoted_as_a_whole() -> None:
    cmd = sr_create_local("sdb", P1, "Local storage 2 on “plot1”")
    assert "'name-label=Local storage 2 on “plot1”'" in cmd


@pytest.mark.parametrize(
    "call",
    [
        lambda: pool_designate_new_master("not-a-uuid"),
        lambda: host_forget("plot7", force=True),
        lambda: update_apply(P1, "x"),
        lambda: pbd_list("x"),
        lambda: pool_emergency_reset_master("10.0.0.1; reboot"),
        lambda: sr_create_local("/dev/sdb", P1, "x"),
        lambda: sr_create_local("sdb;reboot", P1, "x"),
        lambda: sr_create_local("sdb", P1, "   "),
        lambda: sr_create_local("sdb", P1, "a\nforce=true"),
        lambda: host_list(["uuid", "name label"]),
        lambda: host_list(["a,b"]),
        lambda: host_param_get(P1, "x;y"),
        lambda: xe("Host-List"),
        lambda: xe("host-list; id"),
        lambda: xe("host-list", "-f"),
        lambda: xe("host-list", "--force; id"),
        lambda: xe("host-list", kv={"a=b": "c"}),
        lambda: xe("host-list", kv={"-a": "c"}),
        lambda: xe("host-list", kv={"uuid": "x"}, uuid="y"),
        lambda: update_upload(""),
        lambda: pool_join("10.0.0.1", ""),
        lambda: pool_join("10.0.0.1 ", "root"),
        lambda: read_files([]),
        lambda: read_files("/etc/hostname"),
        lambda: read_files(["/etc/hostname"], 0),
        lambda: section_marker("a <== b"),
    ],
)
def test_builders_refuse(call: Callable[[], str]) -> None:
    with pytest.raises(ValueError):
        call()


# ---------------------------------------------------------------------------
# hostile strings: shlex.split gives back exactly the intended argv

free_text = st.one_of(st.sampled_from(HOSTILE), st.text(st.characters(exclude_categories=("Cs",)), max_size=30))


def _expect_argv_or_refusal(build: Callable[[], str], argv: list[str], value: str) -> None:
    if any(bad in value for bad in ("\n", "\r", "\x00")):
        with pytest.raises(ValueError):
            build()
    else:
        assert shlex.split(build()) == argv


@settings(max_examples=150, deadline=None)
@given(free_text)
def test_hostile_name_label(label: str) -> None:
    if not label.strip() and not any(c in label for c in "\n\r\x00"):
        with pytest.raises(ValueError):
            sr_create_local("sdb1", P1, label)
        return
    _expect_argv_or_refusal(
        lambda: sr_create_local("sdb1", P1, label),
        [XE, "sr-create", "content-type=user", "device-config:device=/dev/sdb1", f"host-uuid={P1}",
         f"name-label={label}", "shared=false", "type=lvm"],
        label,
    )


@settings(max_examples=150, deadline=None)
@given(free_text, free_text)
def test_hostile_generic_values(a: str, b: str) -> None:
    _expect_argv_or_refusal(
        lambda: xe("vm-param-set", kv={"other-config:note": a}, uuid=b),
        [XE, "vm-param-set", f"other-config:note={a}", f"uuid={b}"],
        a + b,
    )


@settings(max_examples=100, deadline=None)
@given(free_text)
def test_hostile_file_names_and_keys(value: str) -> None:
    if value:
        _expect_argv_or_refusal(lambda: update_upload(value), [XE, "update-upload", f"file-name={value}"], value)
        _expect_argv_or_refusal(lambda: patch_upload(value), [XE, "patch-upload", f"file-name={value}"], value)
        _expect_argv_or_refusal(
            lambda: read_files([value, "/proc/partitions"]),
            ["head", "-v", "-c", "65536", "--", value, "/proc/partitions"],
            value,
        )
    _expect_argv_or_refusal(
        lambda: host_param_get(P1, "other-config", value),
        [XE, "host-param-get", f"uuid={P1}", "param-name=other-config", f"param-key={value}"],
        value,
    )
    if "<==" not in value:
        _expect_argv_or_refusal(lambda: section_marker(value), ["printf", "\\n==> %s <==\\n", value], value)


@settings(max_examples=100, deadline=None)
@given(free_text)
def test_hostile_pool_join_username(user: str) -> None:
    if not user:
        return
    if any(bad in user for bad in ("\n", "\r", "\x00")):
        with pytest.raises(ValueError):
            pool_join("10.0.0.11", user)
        return
    outer = shlex.split(pool_join("10.0.0.11", user))
    assert outer[:2] == ["sh", "-c"] and len(outer) == 3
    inner = shlex.split(outer[2])
    assert inner[inner.index(XE):] == [
        XE, "pool-join", "master-address=10.0.0.11", f"master-username={user}", "master-password=$XENTUI_PW",
    ]


@settings(max_examples=100, deadline=None)
@given(free_text)
def test_hostile_timeout_wrapped(value: str) -> None:
    if not value.strip():
        with pytest.raises(ValueError):
            timeout_wrapped(5, value)
        return
    argv = shlex.split(timeout_wrapped(5, value))
    assert argv[:4] == ["timeout", "-k", "2", "5"]
    rest = argv[4:]
    # either the command's own argv, or sh -c with the command verbatim
    assert rest == ["sh", "-c", value] or rest == shlex.split(value)


# ---------------------------------------------------------------------------
# through a real POSIX shell, with xe replaced by a stub that prints its argv

needs_sh = pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX sh")


@pytest.fixture
def stub_xe(tmp_path: Path) -> Path:
    stub = tmp_path / "xe"
    stub.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\0" "$a"; done\n', encoding="utf-8")
    stub.chmod(0o755)
    return stub


def _run(command: str, stub: Path, stdin: str = "") -> list[str]:
    result = subprocess.run(
        ["sh", "-c", command.replace(XE, str(stub))],
        input=stdin.encode(),
        capture_output=True,
        timeout=10,
        check=True,
    )
    return result.stdout.decode().split("\0")[:-1]


@needs_sh
@pytest.mark.parametrize("label", [h for h in HOSTILE if h.strip()])
def test_real_shell_sr_create(label: str, stub_xe: Path) -> None:
    args = _run(sr_create_local("nvme0n1p1", P1, label), stub_xe)
    assert args == ["sr-create", "content-type=user", "device-config:device=/dev/nvme0n1p1", f"host-uuid={P1}",
                    f"name-label={label}", "shared=false", "type=lvm"]


@needs_sh
@pytest.mark.parametrize("password", ["s3cret", " spaced  out ", "$(id)", "`id`", "a'b\"c", "back\\slash\\", "“ü”", ""])
def test_real_shell_pool_join_reads_password_from_stdin(password: str, stub_xe: Path) -> None:
    command = pool_join("plot1.example.org", "root", force=True)
    if password:
        assert password not in command
    args = _run(command, stub_xe, stdin=password_stdin(password))
    assert args == ["pool-join", "master-address=plot1.example.org", "master-username=root",
                    f"master-password={password}", "force=true"]


@needs_sh
def test_real_shell_pool_join_without_final_newline(stub_xe: Path) -> None:
    args = _run(pool_join("10.0.0.11", "root"), stub_xe, stdin="pw")
    assert args[-1] == "master-password=pw"


@needs_sh
def test_real_shell_pool_join_no_password_fails(stub_xe: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError) as info:
        _run(pool_join("10.0.0.11", "root"), stub_xe, stdin="")
    assert info.value.returncode == 2


@needs_sh
def test_real_shell_timeout_and_sections(stub_xe: Path, tmp_path: Path) -> None:
    (tmp_path / "pool.conf").write_text("master", encoding="utf-8")
    cmd = read_files([str(tmp_path / "pool.conf")]) + "; " + section_marker("args") + "; " + xe("host-list")
    out = subprocess.run(["sh", "-c", cmd.replace(XE, str(stub_xe))], capture_output=True, timeout=10, check=True)
    sections = parse_head_sections(out.stdout.decode())
    assert sections == {str(tmp_path / "pool.conf"): "master", "args": "host-list\0"}


@needs_sh
@pytest.mark.skipif(shutil.which("timeout") is None, reason="needs coreutils timeout")
def test_real_shell_timeout_bounds_a_hung_command() -> None:
    result = subprocess.run(["sh", "-c", timeout_wrapped(0.2, "sleep 5; echo never")], capture_output=True,
                            timeout=10)
    assert result.returncode == 124
    assert result.returncode in TIMED_OUT_EXIT_CODES
    assert result.stdout == b""


# ---------------------------------------------------------------------------
# timeout_wrapped details


def test_timeout_wrapped_plain_command() -> None:
    cmd = pool_list(minimal=True)
    assert timeout_wrapped(10, cmd) == f"timeout -k 2 10 {cmd}"
    assert timeout_wrapped(2.5, cmd, kill_after=None) == f"timeout 2.5 {cmd}"
    assert timeout_wrapped(0.25, cmd, kill_after=1) == f"timeout -k 1 0.25 {cmd}"


def test_timeout_wrapped_compound_command() -> None:
    cmd = "xe pool-list | head -1; echo $?"
    assert shlex.split(timeout_wrapped(3, cmd)) == ["timeout", "-k", "2", "3", "sh", "-c", cmd]


def test_timeout_wrapped_pool_join_stays_plain() -> None:
    cmd = pool_join("10.0.0.11", "root")
    assert timeout_wrapped(30, cmd) == f"timeout -k 2 30 {cmd}"


@pytest.mark.parametrize("seconds", [0, -1, float("nan"), float("inf"), 0.0001])
def test_timeout_wrapped_bad_seconds(seconds: float) -> None:
    with pytest.raises(ValueError):
        timeout_wrapped(seconds, "true")


# ---------------------------------------------------------------------------
# local SR names


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        (set(), "Local storage 2 on plot1"),
        ({"Local storage", "Local storage 2 on plot2"}, "Local storage 2 on plot1"),
        ({"Local storage 2 on plot1"}, "Local storage 3 on plot1"),
        ({"Local storage 2 on plot1", "Local storage 3 on plot1"}, "Local storage 4 on plot1"),
        ({"Local storage 3 on plot1"}, "Local storage 2 on plot1"),
    ],
)
def test_name_label_for_local_sr(taken: set[str], expected: str) -> None:
    assert name_label_for_local_sr("plot1", taken) == expected


def test_password_stdin() -> None:
    assert password_stdin("pw") == "pw\n"
    with pytest.raises(ValueError):
        password_stdin("a\nb")
