"""Injection: every builder that takes a user value, run on a simulated host over real SSH.

Each value -- `; rm -rf /`, `$(id)`, backticks, curly quotes, `'`, `"`, `\\`,
non-ASCII, blanks -- must reach the host's shell as exactly ONE argument
with exactly its text (`name-label=<exact>`), which `sim.received` (every
argv a simulated shell ran) shows.  Newlines, CR and NUL must be refused by
the builders before anything is sent.  Values that must be UUIDs or
addresses are refused unless they are valid, and valid ones arrive intact.

Commands go through the engine's own `HostSession` (asyncssh, the jump box's
path).  sr-create really creates a few SRs (one per spare device of the
healthy scenario) and reads each name-label back; the bulk of the
name-labels (hypothesis) only checks what arrived, on a device that does not
exist, so no device is consumed.
"""

from __future__ import annotations

import shlex
import uuid as uuidlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xentui.engine.sessions import HostSession, HostTarget
from xentui.xe import commands as xc
from xentui.xe.records import parse_minimal, parse_records

XE = xc.XE

NASTY = [
    "; rm -rf /",
    "$(id)",
    "`id`",
    "a && reboot || true",
    "“curly” ‘quotes’",
    "it's",
    "'",
    '"',
    "\\",
    'say "hi" \\" it\'s',
    "'\"'\"'",
    "nön-ÄSCII ☃ 日本語",
    "two  spaces ",
    " leading blank",
    "tab\there",
    "$HOME ${IFS} $",
    "*?[a] ~root",
    "a|b>c<d&e",
    "--force",
    "name-label=inner",
    "#not a comment",
    "!!",
    "\x1b[31mred",
]
REFUSED = ["line\nbreak", "carriage\rreturn", "nul\x00byte", "\n", "trailing\n"]

# Any text a user can type into a name-label (no newline/CR/NUL, no lone surrogates), not blank.
LABELS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x00"), min_size=1, max_size=40
).filter(lambda s: s.strip())


@pytest.fixture
async def shell(sim_factory):
    """(sim, run): run(host, command, stdin=None) -> (result, argvs the host received for it)."""
    sim = await sim_factory("healthy")
    sessions: dict[str, HostSession] = {}

    async def run(host: str, command: str, stdin: str | None = None):
        session = sessions.get(host)
        if session is None:
            target = HostTarget(name=host, host=host, ssh_config=str(sim.dir / "ssh_config"))
            session = sessions[host] = HostSession(target, connect_timeout=5)
        before = len(sim.received)
        result = await session.run(command, 10, stdin=stdin)
        assert result.error is None, (command, result.error)
        return result, [argv for h, argv in sim.received[before:] if h == host]

    yield sim, run
    for s in sessions.values():
        await s.close()


def only_xe(argvs: list[list[str]], verb: str) -> list[str]:
    calls = [a for a in argvs if a[:2] == [XE, verb]]
    assert len(calls) == 1, argvs
    return calls[0]


# --------------------------------------------------------------------------- free-text values


@pytest.mark.parametrize("value", NASTY)
async def test_free_text_values_arrive_as_one_exact_argument(shell, value):
    sim, run = shell
    plot4 = sim.pool.host("plot4").uuid

    # xe with any key=value (a name-label filter)
    _, argvs = await run("plot3", xc.xe("sr-list", kv={"name-label": value}))
    assert only_xe(argvs, "sr-list") == [XE, "sr-list", f"name-label={value}"]

    # sr-create on a device that does not exist: nothing is consumed, the argv is what matters
    cmd = xc.sr_create_local("sdz9", plot4, value)
    _, argvs = await run("plot4", cmd)
    argv = only_xe(argvs, "sr-create")
    assert f"name-label={value}" in argv and argv.count(f"name-label={value}") == 1
    assert argv == shlex.split(cmd)

    # host-param-get param-key
    _, argvs = await run("plot3", xc.host_param_get(plot4, "other-config", value))
    assert only_xe(argvs, "host-param-get")[-1] == f"param-key={value}"

    # update-upload / patch-upload file names
    for builder, verb in ((xc.update_upload, "update-upload"), (xc.patch_upload, "patch-upload")):
        _, argvs = await run("plot3", builder(value))
        assert only_xe(argvs, verb) == [XE, verb, f"file-name={value}"]

    # head of a file with that name; a section marker with that label
    _, argvs = await run("plot3", xc.read_files([f"/tmp/{value}"]))
    assert argvs == [["head", "-v", "-c", str(xc.HEAD_MAX_BYTES), "--", f"/tmp/{value}"]]
    if "<==" not in value:
        _, argvs = await run("plot3", xc.section_marker(value))
        assert argvs == [["printf", "\\n==> %s <==\\n", value]]

    # bounded: timeout wraps the same argv, untouched
    _, argvs = await run("plot3", xc.timeout_wrapped(5, xc.xe("host-list", kv={"name-label": value})))
    assert [XE, "host-list", f"name-label={value}"] in argvs


@pytest.mark.parametrize("value", NASTY)
async def test_pool_join_username_and_password_arrive_intact(shell, value):
    sim, run = shell
    master = sim.pool.host("plot1").address
    password = f"pw{value}pw"
    cmd = xc.pool_join(master, value)
    assert password not in cmd  # it goes through stdin, never the command line
    _, argvs = await run("plot8", cmd, stdin=xc.password_stdin(password))
    assert only_xe(argvs, "pool-join") == [
        XE, "pool-join", f"master-address={master}", f"master-username={value}", f"master-password={password}",
    ]


@pytest.mark.parametrize("value", REFUSED)
def test_newlines_are_refused_by_every_builder(value):
    u = str(uuidlib.uuid4())
    builders = [
        lambda: xc.xe("sr-list", kv={"name-label": value}),
        lambda: xc.xe("sr-list", **{"params": value}),
        lambda: xc.sr_create_local("sdb1", u, value),
        lambda: xc.host_param_get(u, "other-config", value),
        lambda: xc.update_upload(value),
        lambda: xc.patch_upload(value),
        lambda: xc.read_files([value]),
        lambda: xc.section_marker(value),
        lambda: xc.pool_join("10.0.0.1", value),
        lambda: xc.password_stdin(value),
        lambda: xc.pool_emergency_reset_master(value),
        lambda: xc.host_forget(value, force=True),
        lambda: xc.sr_create_local(value, u, "label"),
    ]
    for build in builders:
        with pytest.raises(ValueError):
            build()


# --------------------------------------------------------------------------- validated values


@pytest.mark.parametrize("value", NASTY + ["10.0.0.1; reboot", "fd00::1 x", "host name", "1.2.3.4.5", ""])
def test_addresses_and_uuids_refuse_anything_else(value):
    with pytest.raises(ValueError):
        xc.pool_emergency_reset_master(value)
    with pytest.raises(ValueError):
        xc.pool_join(value, "root")
    for build in (
        xc.pool_designate_new_master,
        lambda v: xc.host_forget(v, force=True),
        xc.update_pool_apply,
        lambda v: xc.update_apply(v, str(uuidlib.uuid4())),
        lambda v: xc.patch_apply(str(uuidlib.uuid4()), v),
        lambda v: xc.pbd_list(host_uuid=v),
        lambda v: xc.sr_create_local("sdb1", v, "label"),
    ):
        with pytest.raises(ValueError):
            build(value)
    with pytest.raises(ValueError):
        xc.sr_create_local(value, str(uuidlib.uuid4()), "label")  # not a plain device name


@pytest.mark.parametrize("address", ["127.0.1.11", "fd00::1", "fe80::1%eth0", "plot1.example.org", "plot1."])
async def test_valid_addresses_arrive_intact(shell, address):
    sim, run = shell
    _, argvs = await run("plot8", xc.pool_emergency_reset_master(address))
    assert only_xe(argvs, "pool-emergency-reset-master") == [XE, "pool-emergency-reset-master", f"master-address={address}"]


async def test_valid_uuids_arrive_lowercased_and_intact(shell):
    sim, run = shell
    u = str(uuidlib.uuid4()).upper()  # no such host/update: the call fails, the argv is what matters
    low = u.lower()
    host = sim.pool.host("plot3").uuid
    cases = [
        (xc.host_forget(u, force=True), "host-forget", [f"uuid={low}", "--force"]),
        (xc.pool_designate_new_master(u), "pool-designate-new-master", [f"host-uuid={low}"]),
        (xc.update_pool_apply(u), "update-pool-apply", [f"uuid={low}"]),
        (xc.update_apply(u, host), "update-apply", [f"uuid={low}", f"host-uuid={host}"]),
        (xc.patch_apply(u, host), "patch-apply", [f"uuid={low}", f"host-uuid={host}"]),
        (xc.pbd_list(host_uuid=u, params=["sr-uuid"]), "pbd-list", [f"host-uuid={low}", "params=sr-uuid"]),
    ]
    for cmd, verb, rest in cases:
        _, argvs = await run("plot1", cmd)
        assert only_xe(argvs, verb) == [XE, verb, *rest]


# --------------------------------------------------------------------------- sr-create, for real


REAL_LABELS = [  # (host, device, name-label): one per spare device of the healthy scenario
    ("plot3", "sdb1", "“Local” storage; rm -rf / $(id) `id`"),
    ("plot4", "sdb1", "it's \"quoted\" \\ back\\slash"),
    ("plot4", "sdb2", " nön-ÄSCII ☃ 日本語  two  spaces "),
    ("plot5", "sdb", "'; echo pwned #"),
]


async def test_sr_create_name_labels_round_trip_exactly(shell):
    sim, run = shell
    for host, device, label in REAL_LABELS:
        result, argvs = await run(host, xc.sr_create_local(device, sim.pool.host(host).uuid, label))
        assert result.ok, (label, result.stderr)
        argv = only_xe(argvs, "sr-create")
        assert f"name-label={label}" in argv and f"device-config:device=/dev/{device}" in argv
        sr = result.stdout.strip()
        assert xc.UUID_RE.fullmatch(sr), result.stdout
        listed, _ = await run("plot1", xc.sr_list(params=["uuid", "name-label"]))
        labels = {r["uuid"]: r["name-label"] for r in parse_records(listed.stdout)}
        assert labels[sr] == label
        minimal, _ = await run("plot1", xc.xe("sr-list", "--minimal", kv={"uuid": sr, "params": "name-label"}))
        assert parse_minimal(minimal.stdout) == [label]  # --minimal escapes `\\` and `,`; parsed back exactly


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=LABELS)
async def test_any_name_label_arrives_as_one_exact_argument(shell, label):
    sim, run = shell
    cmd = xc.sr_create_local("sdz9", sim.pool.host("plot5").uuid, label)  # no such device: nothing consumed
    _, argvs = await run("plot5", cmd)
    argv = only_xe(argvs, "sr-create")
    assert argv == shlex.split(cmd)
    assert [a for a in argv if a.startswith("name-label=")] == [f"name-label={label}"]
