"""The simulator's `xe` front end, driven through real SSH (asyncssh client).

Checked against /work/shared/xapi-reference.md §6 and, where a golden text
(tests/golden/) describes output the simulator can produce, byte for byte
against it: the master's database is replaced by the golden pool's data, so
the same printer has to produce the very same bytes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncssh
import pytest

from helpers.sim import ssh_connect
from helpers.paths import GOLDEN
from xensim import records as R
from xensim.scenarios import SOFTWARE_VERSION
from xensim.server import Simulator
from xensim.state import HostRec, PBDRec, PoolDB, SRRec, UpdateRec



def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


async def run(sim: Simulator, host: str, command: str, timeout: float = 5.0) -> asyncssh.SSHCompletedProcess:
    """One command over SSH; stdout/stderr as bytes, so comparisons are exact."""
    conn = await asyncio.wait_for(ssh_connect(sim, host), 5.0)
    async with conn:
        return await asyncio.wait_for(conn.run(command, check=False, encoding=None, stdin=asyncssh.DEVNULL), timeout)


def hosts_of(sim: Simulator) -> list[HostRec]:
    master = sim.pool.host("plot1")
    return list(master.db.hosts.values())


# An independent record printer, written from reference §6 (not from records.py).
def expected_records(records: list[list[tuple[str, str, str]]]) -> bytes:
    out = []
    for rec in records:
        names = [f"{k} {marker}" for k, marker, _ in rec]
        width = 4 + max(len(n) for n in names)
        lines = [(n.ljust(width) if i == 0 else n.rjust(width)) + ": " + v for i, (n, (_, _, v)) in enumerate(zip(names, rec))]
        out.append("\n".join(lines) + "\n\n\n")
    return "".join(out).encode()


# ----------------------------------------------------------------------------- record format


async def test_host_list_record_format(sim: Simulator) -> None:
    r = await run(sim, "plot2", "xe host-list")
    assert r.exit_status == 0, r.stderr
    assert r.stderr == b""
    expected = expected_records(
        [[("uuid", "( RO)", h.uuid), ("name-label", "( RW)", h.name_label), ("name-description", "( RW)", h.name_description)] for h in hosts_of(sim)]
    )
    assert r.stdout == expected
    assert r.stdout.endswith(b"Default install\n\n\n")
    first = r.stdout.split(b"\n")[:3]
    # width = 4 + len("name-description ( RW)") = 26; first padded right, others right-aligned.
    assert first[0] == b"uuid ( RO)                : " + hosts_of(sim)[0].uuid.encode()
    assert first[1] == b"          name-label ( RW): plot1"
    assert first[2] == b"    name-description ( RW): Default install"


async def test_pool_list_empty_value_leaves_trailing_space(sim: Simulator) -> None:
    r = await run(sim, "plot1", "xe pool-list")
    assert r.exit_status == 0
    lines = r.stdout.decode().split("\n")
    assert "    name-description ( RW): " in lines  # empty value, trailing space kept
    assert [ln.split(" (")[0].strip() for ln in lines if ln] == ["uuid", "name-label", "name-description", "master", "default-SR"]
    assert r.stdout.endswith(b"\n\n\n") and not r.stdout.endswith(b"\n\n\n\n")


async def test_markers_scalar_set_map(sim: Simulator) -> None:
    h = hosts_of(sim)[2]
    r = await run(sim, "plot1", f"xe host-param-list uuid={h.uuid}")
    assert r.exit_status == 0
    text = r.stdout.decode()
    recs = text.split("\n\n\n")
    assert recs[-1] == "" and len(recs) == 2  # one record, two blank lines after it
    lines = recs[0].split("\n")
    width = len(lines[0].split(":")[0])
    assert all(len(ln.split(": ", 1)[0]) == width for ln in lines)
    assert lines[0].startswith("uuid ( RO)  ")
    # hostname in software-version is the build host (xapi_version.ml hostname), not the host.
    sv = "; ".join(f"{k}: {v}" for k, v in SOFTWARE_VERSION.items())
    assert f"software-version (MRO): {sv}" in text
    assert "capabilities (SRO): " in text
    assert "name-label ( RW): plot3" in text
    assert "other-config (MRW): " in text
    assert "tags (SRW): " in text


async def test_no_records_no_output(sim: Simulator) -> None:
    r = await run(sim, "plot3", "xe host-list name-label=nosuch")
    assert (r.exit_status, r.stdout, r.stderr) == (0, b"", b"")


async def test_params_keep_record_order_and_ignore_unknown(sim: Simulator) -> None:
    r = await run(sim, "plot1", "xe host-list params=address,nosuch,name-label,uuid")
    assert r.exit_status == 0
    expected = expected_records([[("uuid", "( RO)", h.uuid), ("name-label", "( RW)", h.name_label), ("address", "( RO)", h.address)] for h in hosts_of(sim)])
    assert r.stdout == expected


async def test_filter_by_name_label(sim: Simulator) -> None:
    h = hosts_of(sim)[2]
    r = await run(sim, "plot5", "xe host-list name-label=plot3")
    assert r.stdout == expected_records([[("uuid", "( RO)", h.uuid), ("name-label", "( RW)", "plot3"), ("name-description", "( RW)", "Default install")]])
    r = await run(sim, "plot5", "xe host-list name-label=plot3 --minimal")
    assert r.stdout == h.uuid.encode() + b"\n"


async def test_minimal(sim: Simulator) -> None:
    r = await run(sim, "plot4", "xe host-list --minimal")
    assert r.stdout == (",".join(h.uuid for h in hosts_of(sim)) + "\n").encode()
    r = await run(sim, "plot4", "xe host-list name-label=nosuch --minimal")
    assert (r.exit_status, r.stdout) == (0, b"\n")
    r = await run(sim, "plot4", "xe host-list params=name-label --minimal")
    assert r.stdout == (",".join(f"plot{i}" for i in range(1, 9)) + "\n").encode()


async def test_minimal_escapes_commas(sim: Simulator) -> None:
    master = sim.pool.host("plot1")
    recs = list(master.db.hosts.values())
    recs[1].name_description = "Rack 3, shelf 2"
    r = await run(sim, "plot1", "xe host-list name-label=plot2 params=name-description --minimal")
    assert r.stdout == b"Rack 3\\, shelf 2\n"
    # The record format prints the value unescaped.
    r = await run(sim, "plot1", "xe host-list name-label=plot2 params=name-description")
    assert r.stdout == b"name-description ( RW)    : Rack 3, shelf 2\n\n\n"


async def test_host_param_get_software_version_map(sim: Simulator) -> None:
    h = hosts_of(sim)[1]
    r = await run(sim, "plot2", f"xe host-param-get uuid={h.uuid} param-name=software-version")
    assert r.exit_status == 0
    assert r.stdout == ("; ".join(f"{k}: {v}" for k, v in h.software_version.items()) + "\n").encode()
    assert r.stdout.startswith(b"product_version: 8.2.1; product_version_text: 8.2; ")
    r = await run(sim, "plot2", f"xe host-param-get uuid={h.uuid} param-name=software-version param-key=xapi")
    assert r.stdout == b"1.249\n"


async def test_full_path_xe(sim: Simulator) -> None:
    r = await run(sim, "plot6", "/opt/xensource/bin/xe host-list --minimal")
    assert r.exit_status == 0
    assert r.stdout == (",".join(h.uuid for h in hosts_of(sim)) + "\n").encode()
    assert ("plot6", ["/opt/xensource/bin/xe", "host-list", "--minimal"]) in sim.received


# ----------------------------------------------------------------------------- errors


async def test_unknown_command(sim: Simulator) -> None:
    r = await run(sim, "plot1", "xe pool-frobnicate")
    assert (r.exit_status, r.stdout) == (1, b"")
    assert r.stderr == golden("error-unknown-command.txt")
    assert r.stderr == b"Unknown command: pool-frobnicate\nFor usage run: 'xe help'\n"


async def test_sr_create_without_host_uuid_in_multi_host_pool(sim: Simulator) -> None:
    r = await run(
        sim, "plot1",
        'xe sr-create content-type=user device-config:device=/dev/sdb1 name-label="Local storage 2 on plot3" shared=false type=lvm',
    )
    assert (r.exit_status, r.stdout) == (1, b"")
    assert r.stderr == golden("error-cli-required-parameter.txt")
    assert r.stderr == b"Error: Required parameter not found: host-uuid\n"


async def test_uuid_invalid(sim: Simulator) -> None:
    r = await run(sim, "plot2", "xe host-param-list uuid=7e1bd2f3-0c51")
    assert (r.exit_status, r.stdout) == (1, b"")
    assert r.stderr == golden("error-uuid-invalid.txt")


async def test_host_forget_force_on_live_host(sim: Simulator) -> None:
    p7 = sim.pool.host("plot7").uuid
    r = await run(sim, "plot1", f"xe host-forget uuid={p7} --force")
    assert (r.exit_status, r.stdout) == (1, b"")
    expected = golden("error-host-is-live.txt").replace(b"7e1bd2f3-0c51-4a0c-a3d2-3a3f3e6a9d11", p7.encode())
    assert r.stderr == expected
    assert r.stderr.startswith(b"This operation cannot be completed because the server is still live.\n")


async def test_host_forget_without_force_loses_connection(sim: Simulator) -> None:
    p7 = sim.pool.host("plot7").uuid
    # Non-interactive SSH: stdin at EOF (like `ssh -n` or a tool's exec channel).
    async with await ssh_connect(sim, "plot1") as conn:
        r = await conn.run(f"xe host-forget uuid={p7}", check=False, encoding=None, stdin=asyncssh.DEVNULL, timeout=10)
    assert r.exit_status == 1
    assert r.stderr.endswith(b"Lost connection to the server.\n")
    assert r.stderr == golden("error-lost-connection.txt")
    assert b"Type 'yes' to continue" in r.stdout
    r = await run(sim, "plot1", "xe host-list --minimal")
    assert p7.encode() in r.stdout  # nothing was forgotten


async def test_unable_to_contact_server_while_toolstack_starts(sim_factory: Any) -> None:
    sim = await sim_factory(hosts=3, boot=3.0)
    await sim.fault("shutdown", "plot3")
    await sim.fault("boot", "plot3")
    r = await run(sim, "plot3", "xe host-list")
    assert (r.exit_status, r.stdout) == (1, b"")
    assert r.stderr == golden("error-unable-to-contact-server.txt")
    # Files are still readable.
    r = await run(sim, "plot3", "cat /etc/xensource/pool.conf")
    assert r.stdout == f"slave:{sim.pool.host('plot1').address}".encode()


# ----------------------------------------------------------------------------- golden texts, byte for byte

P1 = "9d41f57b-2da4-492d-8a7e-79309ec72ac7"
P2 = "de0ae348-9a3c-4b1e-8f5e-0c2f8e1c7a55"
P7 = "7e1bd2f3-0c51-4a0c-a3d2-3a3f3e6a9d11"
POOL = "3f0a7c1e-5b2d-4c8e-9a61-2d7b0e4f8c93"
SR1 = "0c8e4b2a-7f31-4d6e-b5a9-1e2f3a4b5c6d"
SR2 = "a6f1d2c3-4b5e-4f60-8a71-9b2c3d4e5f60"
SR3 = "51e2b7c9-8d3a-4e1f-9c6b-7a8d9e0f1a2b"
GOLDEN_SV = {
    "product_version": "8.2.1",
    "product_version_text": "8.2",
    "product_version_text_short": "8.2",
    "platform_name": "XCP",
    "platform_version": "3.2.1",
    "product_brand": "XCP-ng",
    "build_number": "release/yangtze/master/58",
    "hostname": "localhost",
    "date": "2023-03-03",
    "dbv": "0.0.1",
    "xapi": "1.249",
    "xen": "4.13.5-9.36",
    "linux": "4.19.0+1",
    "xencenter_min": "2.16",
    "xencenter_max": "2.16",
    "network_backend": "openvswitch",
    "db_schema": "5.602",
}


def golden_db(*hosts: tuple[str, str, str]) -> PoolDB:
    """The pool of tests/golden/README.md; hosts are (uuid, name, description)."""
    db = PoolDB(pool_uuid=POOL, pool_name="plots", master_uuid=P1, hosts={}, default_sr=SR1)
    for i, (uuid, name, desc) in enumerate(hosts):
        db.hosts[uuid] = HostRec(
            uuid=uuid, name_label=name, address=f"10.0.0.{11 + i}", hostname=name,
            software_version=dict(GOLDEN_SV), name_description=desc,
        )
    db.srs = {
        SR1: SRRec(SR1, "Local storage", "lvm", "user", False, P1),
        SR2: SRRec(SR2, "Local storage 2 on plot1", "lvm", "user", False, P1),
        SR3: SRRec(SR3, "Local storage", "lvm", "user", False, "00000000-dead-4bee-8000-000000000000"),
    }
    db.pbds = {
        "11111111-2222-4333-8444-555555555551": PBDRec("11111111-2222-4333-8444-555555555551", P1, SR1, {"device": "/dev/sda3"}),
        "11111111-2222-4333-8444-555555555552": PBDRec("11111111-2222-4333-8444-555555555552", P1, SR2, {"device": "/dev/sdb1"}),
        # SR3's one PBD is on a host no longer in the database (golden README).
        "11111111-2222-4333-8444-555555555553": PBDRec("11111111-2222-4333-8444-555555555553", "00000000-dead-4bee-8000-000000000000", SR3, {"device": "/dev/sda3"}),
    }
    u1, u2 = "2a1b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f"
    db.updates = {
        u1: UpdateRec(u1, "XS82ECU1053", "Hotfix XS82ECU1053", "1.0", 61038592, [P1, P2], ["restartHost"]),
        u2: UpdateRec(u2, "XS82ECU1054", "Hotfix XS82ECU1054", "1.0", 1048576, [], ["restartHVM", "restartXAPI"]),
    }
    return db


TWO = ((P1, "plot1", "Default install"), (P2, "plot2", "Default install"))

GOLDEN_COMMANDS = [
    ("host-list.txt", TWO, "xe host-list"),
    ("host-list-empty-value.txt", TWO + ((P7, "plot7", ""),), "xe host-list"),
    ("host-list-minimal.txt", TWO, "xe host-list --minimal"),
    ("host-list-minimal-no-match.txt", TWO, "xe host-list name-label=nosuch --minimal"),
    ("host-list-no-match.txt", TWO, "xe host-list name-label=nosuch"),
    (
        "host-list-description-minimal-escaped.txt",
        ((P1, "plot1", "Default install"), (P2, "plot2", "Rack 3, shelf 2"), (P7, "plot7", "path C:\\xen")),
        "xe host-list params=name-description --minimal",
    ),
    ("pool-list.txt", TWO, "xe pool-list"),
    ("host-param-get-software-version.txt", TWO, f"xe host-param-get uuid={P1} param-name=software-version"),
    ("update-list.txt", TWO, "xe update-list"),
    ("sr-list.txt", TWO, "xe sr-list"),
    ("pbd-list-params.txt", TWO, f"xe pbd-list host-uuid={P1} params=device-config,host-uuid,sr-uuid"),
    ("host-list-params-set-map.txt", TWO, f"xe host-list uuid={P1} params=uuid,name-label,allowed-operations,software-version"),
]


@pytest.mark.parametrize("name,hosts,command", GOLDEN_COMMANDS, ids=[g[0] for g in GOLDEN_COMMANDS])
async def test_golden_stdout(sim_factory: Any, monkeypatch: pytest.MonkeyPatch, name: str, hosts: Any, command: str) -> None:
    sim = await sim_factory(hosts=2)
    sim.pool.host("plot1").db = golden_db(*hosts)
    if name == "host-list-params-set-map.txt":
        # The golden host's allowed-operations differ from the simulator's fixed set.
        original = R.host_record

        def host_record(db: PoolDB, h: HostRec) -> R.Record:
            rec = original(db, h)
            for f in rec:
                if f.name == "allowed-operations":
                    f.value = "VM.migrate; provision; VM.resume; evacuate; VM.start"
            return rec

        monkeypatch.setattr(R, "host_record", host_record)
    r = await run(sim, "plot1", command)
    assert r.exit_status == 0, r.stderr
    assert r.stderr == b""
    assert r.stdout == golden(name)
    # A slave forwards the call to the master and prints the same bytes.
    r2 = await run(sim, "plot2", command)
    assert r2.stdout == golden(name)
