"""classify_devices: which disks and partitions may become a local SR (pure, table-driven)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xentui.actions.storage import (
    DeviceStatus,
    StorageFacts,
    classify_devices,
    hosts_with_spare_devices,
    parse_mounts,
    parse_pvs,
    plan_local_sr,
)

PARTITIONS = """major minor  #blocks  name

   8        0  488386584 sda
   8        1   18874368 sda1
   8        2   18874368 sda2
   8        3  444818415 sda3
   8        4     524288 sda4
   8        5    4194304 sda5
   8        6    1048576 sda6
   8       16  976762584 sdb
   8       17  488380416 sdb1
   8       18  488381144 sdb2
   8       32  234431064 sdc
  11        0    1048575 sr0
   7        0     102400 loop0
"""
MOUNTS = "/dev/sda1 / ext3 rw 0 0\n/dev/sda5 /var/log ext3 rw 0 0\n/dev/sda4 /boot/efi vfat rw 0 0\nproc /proc proc rw 0 0\n"
PVS = "  /dev/sda3  VG_XenStorage-8ec35484-8efc-51a1-80d2-b4ccf67922a4\n"


def by_name(devs: list[DeviceStatus]) -> dict[str, DeviceStatus]:
    return {d.name: d for d in devs}


@pytest.mark.parametrize(
    "name, free, reason",
    [
        ("sda", False, "system disk"),
        ("sda1", False, "partition of the system disk"),
        ("sda2", False, "partition of the system disk"),  # backup root: unmounted, still not free
        ("sda3", False, "LVM physical volume of VG_XenStorage-"),
        ("sda5", False, "mounted on /var/log"),
        ("sdb1", True, None),
        ("sdb2", True, None),
        ("sdb", True, None),
        ("sdc", True, None),
    ],
)
def test_classify_table(name, free, reason):
    devs = by_name(classify_devices(PARTITIONS, parse_mounts(MOUNTS), parse_pvs(PVS), {}, "sda"))
    assert devs[name].free is free
    if reason:
        assert any(reason in r for r in devs[name].reasons), devs[name].reasons
    assert "sr0" not in devs and "loop0" not in devs
    assert "erases them" in " ".join(devs["sdb"].notes)


def test_sr_device_and_its_disk_are_in_use():
    devs = by_name(classify_devices(PARTITIONS, {}, {}, {"sdb1": "Local storage 2 on plot4"}, "sda"))
    assert not devs["sdb1"].free and "device of SR Local storage 2 on plot4" in devs["sdb1"].reasons
    assert not devs["sdb"].free and "partition sdb1 is in use" in devs["sdb"].reasons[0]
    assert devs["sdb2"].free


def test_partition_of_a_disk_used_whole_is_not_free():
    devs = by_name(classify_devices(PARTITIONS, {}, {"sdb": "VG_X"}, {}, "sda"))
    assert not devs["sdb1"].free and "its disk sdb is in use" in devs["sdb1"].reasons[0]


def test_plan_refuses_a_device_in_use_and_quotes_the_label():
    devs = classify_devices(PARTITIONS, parse_mounts(MOUNTS), parse_pvs(PVS), {}, "sda")
    s = StorageFacts("plot4", "4f6327b1-b6c0-5543-875b-5e9aa1c4e9bf", "plot4", devs, {"Local storage 2 on plot4"})
    with pytest.raises(ValueError, match="not free"):
        plan_local_sr(s, "sda2")
    plan = plan_local_sr(s, "sdb1")
    assert plan.name_label == "Local storage 3 on plot4"
    assert "'name-label=Local storage 3 on plot4'" in plan.command
    assert "device-config:device=/dev/sdb1" in plan.command
    assert hosts_with_spare_devices([s]) == {"plot4": [d for d in devs if d.free]}


@settings(max_examples=50)
@given(st.text())
def test_parsers_never_crash(text):
    parse_mounts(text)
    parse_pvs(text)
