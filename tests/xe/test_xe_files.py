"""Tests for xentui.xe.files: pool.conf, the inventory, /proc/partitions, head output."""

from __future__ import annotations

from helpers.paths import GOLDEN

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xentui.xe.files import (
    FileParseError,
    Inventory,
    Partition,
    PoolConf,
    human_size,
    parse_head_sections,
    parse_inventory,
    parse_partitions,
    parse_pool_conf,
    partition_disk_name,
)



def golden(name: str) -> str:
    return (GOLDEN / name).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# pool.conf

POOL_CONF_CASES: list[tuple[str | None, str, str | None]] = [
    ("master", "master", None),
    ("master\n", "master", None),
    ("  master \n", "master", None),
    ("slave:10.0.0.11", "slave", "10.0.0.11"),
    ("slave:10.0.0.11\n", "slave", "10.0.0.11"),
    ("slave:plot1.example.org", "slave", "plot1.example.org"),
    ("slave:fd00::11", "slave", "fd00::11"),  # split on the FIRST colon only
    ("slave:fe80::1:2:3", "slave", "fe80::1:2:3"),
    ("broken", "broken", None),
    ("broken\n", "broken", None),
    (None, "broken", None),
    ("", "broken", None),
    ("slave:", "broken", None),
    ("slave: ", "broken", None),
    ("Master", "broken", None),
    ("master\nslave:1.2.3.4", "broken", None),
    ("slave:1.2.3.4 junk", "broken", None),
    ("garbage", "broken", None),
]


@pytest.mark.parametrize(("text", "role", "address"), POOL_CONF_CASES)
def test_parse_pool_conf(text: str | None, role: str, address: str | None) -> None:
    conf = parse_pool_conf(text)
    assert (conf.role, conf.master_address) == (role, address)
    assert conf.raw == text


def test_pool_conf_flags() -> None:
    assert parse_pool_conf("master").is_master
    assert parse_pool_conf("slave:1.2.3.4").is_slave
    assert parse_pool_conf("broken").is_well_formed
    assert not parse_pool_conf("garbage").is_well_formed
    assert not parse_pool_conf(None).is_well_formed
    assert parse_pool_conf("master") == PoolConf("master", None, "master")


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.text()))
def test_pool_conf_never_raises(text: str | None) -> None:
    conf = parse_pool_conf(text)
    assert conf.role in ("master", "slave", "broken")
    assert (conf.master_address is not None) == (conf.role == "slave")


# ---------------------------------------------------------------------------
# inventory


def test_inventory_golden() -> None:
    inv = Inventory.from_text(golden("xensource-inventory.txt"))
    assert inv.installation_uuid == "9d41f57b-2da4-492d-8a7e-79309ec72ac7"
    assert inv.control_domain_uuid == "5f2c8a91-3b7e-4d6f-a1c2-8e9f0b1a2c3d"
    assert inv.management_interface == "xenbr0"
    assert inv.management_address_type == "IPv4"
    assert inv.product_brand == "XCP-ng"
    assert inv.product_version == "8.2.1"
    assert inv.product_version_text == "8.2"
    assert inv.platform_version == "3.2.1"
    assert inv.build_number == "release/yangtze/master/58"
    assert inv.primary_disk == "/dev/disk/by-id/scsi-36c81f660e1b2f3002a7c8e5f1b3d9a41"
    assert inv.primary_disk_name is None  # a by-id link: only the host can resolve it
    assert inv.installation_date == "2023-05-12 09:41:07.118243"
    assert inv.raw["DOM0_MEM"] == "4304"


INVENTORY_CASES: list[tuple[str, dict[str, str]]] = [
    ("", {}),
    ("A='1'\n", {"A": "1"}),
    ('A="1"\n', {"A": "1"}),
    ("A=1\n", {"A": "1"}),
    ("A=''\n", {"A": ""}),
    ("A='a b'\n", {"A": "a b"}),
    ("A='x=y'\n", {"A": "x=y"}),
    ("# comment\n\n  A='1'  \nnot a line\nB='2'", {"A": "1", "B": "2"}),
    ("export A='1'\n", {"A": "1"}),
    ("A='1\"\n", {"A": "'1\""}),  # mismatched quotes kept
    ("A='1'\nA='2'\n", {"A": "2"}),
    ("='x'\n", {}),
]


@pytest.mark.parametrize(("text", "expected"), INVENTORY_CASES)
def test_parse_inventory(text: str, expected: dict[str, str]) -> None:
    assert parse_inventory(text) == expected


def test_inventory_missing_and_empty_fields() -> None:
    inv = Inventory.from_text("INSTALLATION_UUID=''\nPRIMARY_DISK='/dev/sda'\n")
    assert inv.installation_uuid is None
    assert inv.product_brand is None
    assert inv.primary_disk_name == "sda"
    assert Inventory.from_text("") == Inventory()


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_inventory_never_raises(text: str) -> None:
    Inventory.from_mapping(parse_inventory(text))


# ---------------------------------------------------------------------------
# /proc/partitions


def test_partitions_golden() -> None:
    parts = parse_partitions(golden("proc-partitions.txt"))
    assert [p.name for p in parts] == [
        "sda", "sda1", "sda2", "sda3", "sda4", "sda5", "sda6", "sdb", "sdb1", "nvme0n1", "nvme0n1p1",
    ]  # fmt: skip
    sdb = parts[7]
    assert sdb == Partition(major=8, minor=16, blocks=488386584, name="sdb")
    assert sdb.size_bytes == 488386584 * 1024
    assert sdb.human_size() == "465.8 GiB"
    assert not sdb.is_partition and sdb.disk_name == "sdb"
    assert parts[8].is_partition and parts[8].disk_name == "sdb"
    assert parts[1].human_size() == "18.0 GiB"
    assert parts[4].human_size() == "512.0 MiB"
    assert parts[10].disk_name == "nvme0n1"
    assert parts[10].device_path == "/dev/nvme0n1p1"


PARTITION_TEXT_CASES: list[tuple[str, list[tuple[int, int, int, str]]]] = [
    ("", []),
    ("major minor  #blocks  name\n\n", []),
    ("major minor  #blocks  name\n\n   8       16  488386584 sdb\n", [(8, 16, 488386584, "sdb")]),
    ("8 16 488386584 sdb\n8 17 488385536 sdb1", [(8, 16, 488386584, "sdb"), (8, 17, 488385536, "sdb1")]),
    (" 202        0   20971520 xvda\n", [(202, 0, 20971520, "xvda")]),
]


@pytest.mark.parametrize(("text", "expected"), PARTITION_TEXT_CASES)
def test_parse_partitions(text: str, expected: list[tuple[int, int, int, str]]) -> None:
    assert [(p.major, p.minor, p.blocks, p.name) for p in parse_partitions(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "8 16 sdb\n",
        "8 16 488386584 sdb extra\n",
        "8 x 488386584 sdb\n",
        "8 16 -1 sdb\n",
        "8 16 ４８ sdb\n",  # non-ASCII digits
        "8 16 1 dev/sdb\n",
        "major minor  #blocks  name\n\ngarbage\n",
    ],
)
def test_parse_partitions_rejects(text: str) -> None:
    with pytest.raises(FileParseError):
        parse_partitions(text)


DISK_NAME_CASES = [
    ("sdb", "sdb", False),
    ("sdb1", "sdb", True),
    ("sdaa12", "sdaa", True),
    ("hda2", "hda", True),
    ("vdc", "vdc", False),
    ("xvda1", "xvda", True),
    ("xvda", "xvda", False),
    ("nvme0n1", "nvme0n1", False),
    ("nvme0n1p2", "nvme0n1", True),
    ("nvme10n2p15", "nvme10n2", True),
    ("mmcblk0p1", "mmcblk0", True),
    ("md0", "md0", False),
    ("md126p1", "md126", True),
    ("dm-0", "dm-0", False),
    ("sr0", "sr0", False),
    ("loop0", "loop0", False),
    ("tda1", "tda", True),
    ("weird", "weird", False),
]


@pytest.mark.parametrize(("name", "disk", "is_part"), DISK_NAME_CASES)
def test_disk_name(name: str, disk: str, is_part: bool) -> None:
    assert partition_disk_name(name) == (disk, is_part)
    p = Partition(0, 0, 1, name)
    assert (p.disk_name, p.is_partition) == (disk, is_part)


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (1024**2 - 1, "1.0 MiB"),
        (500107862016, "465.8 GiB"),
        (18 * 1024**3, "18.0 GiB"),
        (2 * 1024**4, "2.0 TiB"),
    ],
)
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_partitions_never_raise_anything_else(text: str) -> None:
    try:
        for p in parse_partitions(text):
            p.human_size()
            _ = (p.disk_name, p.is_partition)
    except FileParseError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4095), st.integers(0, 2**20), st.integers(0, 2**50),
                          st.from_regex(r"[a-z]{2,4}[0-9]{0,3}", fullmatch=True)), max_size=8))
def test_partitions_round_trip(rows: list[tuple[int, int, int, str]]) -> None:
    text = "major minor  #blocks  name\n\n" + "".join("%4d  %7d %10d %s\n" % r for r in rows)
    assert [(p.major, p.minor, p.blocks, p.name) for p in parse_partitions(text)] == rows


# ---------------------------------------------------------------------------
# head sections


def test_head_sections_golden() -> None:
    sections = parse_head_sections(golden("head-sections.txt"))
    assert list(sections) == [
        "etc/xensource/pool.conf",
        "etc/xensource-inventory",
        "var/lib/xcp/state.db.generation",
        "partitions",
    ]
    assert sections["etc/xensource/pool.conf"] == "slave:10.0.0.11"
    assert parse_pool_conf(sections["etc/xensource/pool.conf"]).master_address == "10.0.0.11"
    assert sections["etc/xensource-inventory"] == golden("xensource-inventory.txt")
    assert sections["var/lib/xcp/state.db.generation"] == "4711"
    assert sections["partitions"] == golden("proc-partitions.txt")


HEAD_CASES: list[tuple[str, dict[str, str]]] = [
    ("", {}),
    ("no header at all\n", {}),
    ("==> a <==\n", {"a": ""}),
    ("==> a <==\nx\n", {"a": "x\n"}),
    ("==> a <==\nx", {"a": "x"}),
    ("==> a <==\nx\n\n==> b <==\ny\n", {"a": "x\n", "b": "y\n"}),
    ("==> a <==\nx\n==> b <==\ny", {"a": "x", "b": "y"}),
    ("==> a <==\n\n==> b <==\n", {"a": "", "b": ""}),  # empty file a
    ("==> a <==\n\n\n==> b <==\n", {"a": "\n", "b": ""}),  # a holds one newline
    ("==> a b <==\nx", {"a b": "x"}),
    # a caller's plain echo header: the previous section loses its newline
    ("==> a <==\nx\n==> label <==\nout\n", {"a": "x", "label": "out\n"}),
    # two headers in a row
    ("==> a <==\n==> b <==\nz", {"a": "", "b": "z"}),
    # a header-looking text mid-line is not a header
    ("==> a <==\nfoo ==> b <==\n", {"a": "foo ==> b <==\n"}),
    # preamble ignored
    ("junk\n==> a <==\nx", {"a": "x"}),
]


@pytest.mark.parametrize(("text", "expected"), HEAD_CASES)
def test_parse_head_sections(text: str, expected: dict[str, str]) -> None:
    assert parse_head_sections(text) == expected


def _head_output(files: list[tuple[str, str]]) -> str:
    """What coreutils head prints for several readable files (verified against
    coreutils 9.1 for tests/golden/head-sections.txt)."""
    out = []
    for i, (name, content) in enumerate(files):
        out.append(("\n" if i else "") + f"==> {name} <==\n" + content)
    return "".join(out)


contents = st.text(st.characters(exclude_categories=("Cs",)), max_size=40).filter(
    lambda c: "\n==> " not in "\n" + c
)
names = st.text(st.characters(codec="ascii", categories=("Ll", "Nd"), include_characters="/._-"), min_size=1,
                max_size=20)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(names, contents), max_size=5, unique_by=lambda t: t[0]))
def test_head_sections_round_trip(files: list[tuple[str, str]]) -> None:
    assert parse_head_sections(_head_output(files)) == dict(files)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_head_sections_never_raise(text: str) -> None:
    parse_head_sections(text)
