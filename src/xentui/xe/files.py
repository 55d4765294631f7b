"""Parsers for the files every XenServer / XCP-ng host has, readable even
when xapi is hung (``/work/shared/xapi-reference.md`` §1), and for the output
of ``head`` over several of them at once.

Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from xentui.xe.records import LineParseError

__all__ = [
    "FileParseError",
    "Inventory",
    "Partition",
    "PoolConf",
    "PoolRole",
    "human_size",
    "parse_head_sections",
    "parse_inventory",
    "parse_partitions",
    "parse_pool_conf",
    "partition_disk_name",
]


class FileParseError(LineParseError):
    """A host file whose content does not have the expected shape."""


# --------------------------------------------------------------------------
# /etc/xensource/pool.conf

PoolRole = Literal["master", "slave", "broken"]


@dataclass(frozen=True, slots=True)
class PoolConf:
    """What ``/etc/xensource/pool.conf`` says about the host's role.

    ``role`` is ``"master"``, ``"slave"`` or ``"broken"``; ``master_address``
    is set only for a slave. ``raw`` is the file's text as read (``None`` if
    it could not be read). A file that is unreadable or says anything other
    than the three forms is ``broken`` — what xapi itself assumes.
    """

    role: PoolRole
    master_address: str | None = None
    raw: str | None = None

    @property
    def is_master(self) -> bool:
        """The file says ``master``."""
        return self.role == "master"

    @property
    def is_slave(self) -> bool:
        """The file says ``slave:<address>``."""
        return self.role == "slave"

    @property
    def is_well_formed(self) -> bool:
        """The text was one of the three forms (a literal ``broken`` included)."""
        return self.raw is not None and (self.role != "broken" or self.raw.strip() == "broken")


def parse_pool_conf(text: str | None) -> PoolConf:
    """Parse ``/etc/xensource/pool.conf``: ``master``, ``slave:<addr>`` or ``broken``.

    Surrounding whitespace (a trailing newline) is tolerated. The address is
    everything after the FIRST colon (IPv6 addresses contain colons). ``None``
    (unreadable), an empty address or any other text gives ``broken`` with
    ``raw`` kept. Never raises.
    """
    if text is None:
        return PoolConf(role="broken", master_address=None, raw=None)
    body = text.strip()
    if body == "master":
        return PoolConf(role="master", raw=text)
    if body.startswith("slave:"):
        address = body.split(":", 1)[1].strip()
        if address and not any(ch.isspace() for ch in address):
            return PoolConf(role="slave", master_address=address, raw=text)
    return PoolConf(role="broken", raw=text)


# --------------------------------------------------------------------------
# /etc/xensource-inventory


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def parse_inventory(text: str) -> dict[str, str]:
    """Parse ``/etc/xensource-inventory`` (``KEY='value'`` lines) into a dict.

    One layer of matching single or double quotes is removed; unquoted values
    are taken as they are (surrounding blanks stripped). Blank lines,
    ``#`` comments, an ``export`` prefix and lines without ``=`` are skipped.
    A later duplicate key wins. Never raises.
    """
    out: dict[str, str] = {}
    for raw_line in text.split("\n"):
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, value = line.split("=", 1)
        key = key.strip()
        if not key:
            continue
        out[key] = _unquote(value.strip())
    return out


@dataclass(frozen=True, slots=True)
class Inventory:
    """A typed view of the inventory fields xentui uses (all optional).

    ``installation_uuid`` is the host's own UUID — the way to learn it
    without name resolution. ``raw`` holds every key of the file.
    """

    installation_uuid: str | None = None
    control_domain_uuid: str | None = None
    management_interface: str | None = None
    management_address_type: str | None = None
    product_brand: str | None = None
    product_version: str | None = None
    product_version_text: str | None = None
    platform_version: str | None = None
    build_number: str | None = None
    primary_disk: str | None = None
    installation_date: str | None = None
    raw: dict[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def from_mapping(cls, values: dict[str, str]) -> Inventory:
        """Build from :func:`parse_inventory`'s dict (empty values count as missing)."""

        def get(key: str) -> str | None:
            value = values.get(key)
            return value if value else None

        return cls(
            installation_uuid=get("INSTALLATION_UUID"),
            control_domain_uuid=get("CONTROL_DOMAIN_UUID"),
            management_interface=get("MANAGEMENT_INTERFACE"),
            management_address_type=get("MANAGEMENT_ADDRESS_TYPE"),
            product_brand=get("PRODUCT_BRAND"),
            product_version=get("PRODUCT_VERSION"),
            product_version_text=get("PRODUCT_VERSION_TEXT"),
            platform_version=get("PLATFORM_VERSION"),
            build_number=get("BUILD_NUMBER"),
            primary_disk=get("PRIMARY_DISK"),
            installation_date=get("INSTALLATION_DATE"),
            raw=dict(values),
        )

    @classmethod
    def from_text(cls, text: str) -> Inventory:
        """Parse the inventory file's text."""
        return cls.from_mapping(parse_inventory(text))

    @property
    def primary_disk_name(self) -> str | None:
        """The kernel name of the system disk when ``PRIMARY_DISK`` is a plain
        ``/dev/<name>`` path (``/dev/sda`` → ``sda``); ``None`` for
        ``/dev/disk/by-id/…`` links, which only the host can resolve."""
        disk = self.primary_disk
        if disk and disk.startswith("/dev/") and "/" not in disk[len("/dev/") :]:
            return disk[len("/dev/") :] or None
        return None


# --------------------------------------------------------------------------
# /proc/partitions

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")

# whole-disk name + "p" + partition number (nvme0n1p2, mmcblk0p1, md126p1, loop0p1)
_P_SUFFIXED = re.compile(r"(?P<disk>(?:nvme\d+n\d+|mmcblk\d+|md\d+|loop\d+|nbd\d+|rbd\d+))p(?P<part>\d+)", re.ASCII)
# whole disks whose name ends with a digit
_DIGIT_DISKS = re.compile(
    r"(?:nvme\d+n\d+|mmcblk\d+|md\d+|loop\d+|nbd\d+|rbd\d+|dm-\d+|sr\d+|ram\d+|zram\d+|drbd\d+)", re.ASCII
)
# sda1, hdb2, vdc3, xvda1, tda1 (tapdisk)
_LETTER_DISKS = re.compile(r"(?P<disk>(?:s|h|v|xv|t)d[a-z]+)(?P<part>\d+)?", re.ASCII)


def partition_disk_name(name: str) -> tuple[str, bool]:
    """``(disk name, is a partition)`` for a kernel block-device name.

    ``sdb1`` → ``("sdb", True)``; ``nvme0n1p2`` → ``("nvme0n1", True)``;
    ``xvda1`` → ``("xvda", True)``; ``md0`` → ``("md0", False)``;
    ``sdb`` → ``("sdb", False)``. Unknown naming schemes are taken as whole
    disks.
    """
    m = _P_SUFFIXED.fullmatch(name)
    if m:
        return m.group("disk"), True
    if _DIGIT_DISKS.fullmatch(name):
        return name, False
    m = _LETTER_DISKS.fullmatch(name)
    if m:
        return m.group("disk"), m.group("part") is not None
    return name, False


def human_size(size_bytes: int) -> str:
    """A byte count in binary units with one decimal: ``500107862016`` → ``"465.8 GiB"``.

    Below 1 KiB the count is printed as is (``"512 B"``).
    """
    if size_bytes < 1024:
        return f"{size_bytes} B"
    value = float(size_bytes)
    unit = 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value /= 1024
        unit += 1
    text = f"{value:.1f}"
    if text == "1024.0" and unit < len(_UNITS) - 1:
        text, unit = "1.0", unit + 1
    return f"{text} {_UNITS[unit]}"


@dataclass(frozen=True, slots=True)
class Partition:
    """One row of ``/proc/partitions``; ``blocks`` are 1 KiB units."""

    major: int
    minor: int
    blocks: int
    name: str

    @property
    def size_bytes(self) -> int:
        """Size in bytes (``blocks * 1024``)."""
        return self.blocks * 1024

    def human_size(self) -> str:
        """Size in binary units, e.g. ``"465.8 GiB"``."""
        return human_size(self.size_bytes)

    @property
    def disk_name(self) -> str:
        """The whole disk this is on (itself for a whole disk): ``sdb1`` → ``sdb``."""
        return partition_disk_name(self.name)[0]

    @property
    def is_partition(self) -> bool:
        """True for ``sdb1`` / ``nvme0n1p2``, False for ``sdb`` / ``md0``."""
        return partition_disk_name(self.name)[1]

    @property
    def device_path(self) -> str:
        """``/dev/<name>``."""
        return f"/dev/{self.name}"


_HEADER = ["major", "minor", "#blocks", "name"]


def parse_partitions(text: str) -> list[Partition]:
    """Parse ``/proc/partitions``.

    The ``major minor  #blocks  name`` header and blank lines are skipped;
    every other line must be four fields: three non-negative integers and a
    name. Raises :class:`FileParseError` on a malformed row.
    """
    out: list[Partition] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        fields = line.split()
        if not fields or fields == _HEADER:
            continue
        if len(fields) != 4:
            raise FileParseError("expected 'major minor #blocks name'", lineno=lineno, line=line)
        major, minor, blocks, name = fields
        numbers: list[int] = []
        for num in (major, minor, blocks):
            if not (num.isascii() and num.isdigit()):
                raise FileParseError("not a non-negative integer", lineno=lineno, line=line)
            numbers.append(int(num))
        if not name.isprintable() or "/" in name:
            raise FileParseError("not a device name", lineno=lineno, line=line)
        out.append(Partition(major=numbers[0], minor=numbers[1], blocks=numbers[2], name=name))
    return out


# --------------------------------------------------------------------------
# head over several files

_SECTION_HEADER = re.compile(r"^==> (?P<name>.*?) <==\r?$", re.MULTILINE)


def parse_head_sections(text: str) -> dict[str, str]:
    """Split the output of ``head -c N f1 f2 …`` (or ``head -v …``) per file.

    head prints ``==> name <==`` before each file it could open, and a newline
    before every header but the first; a file that does not end with a
    newline is therefore directly followed by ``\\n==> next <==``. Returns
    ``{name: content}`` with that separator newline removed and contents
    otherwise exact. Files head could not open have no header and so no
    entry.

    Sections emitted by the caller with
    :func:`xentui.xe.commands.section_marker` (``printf '\\n==> label <==\\n'``)
    look exactly like head's and are read the same way. A plain
    ``echo '==> label <=='`` header is accepted too, but then the previous
    section loses one trailing newline (it cannot be told apart from head's
    separator), and it is only recognised at the start of a line.

    A header must be a whole line; a file line that looks like a header
    would split the file. Text before the first header is ignored. A later
    duplicate name wins. Never raises.
    """
    matches = list(_SECTION_HEADER.finditer(text))
    out: dict[str, str] = {}
    for idx, m in enumerate(matches):
        start = m.end()
        if start < len(text) and text[start] == "\n":
            start += 1
        if idx + 1 < len(matches):
            end = matches[idx + 1].start()
            if end > 0 and text[end - 1] == "\n":
                end -= 1
                # head's separator newline through a terminal (CRLF): only where the headers say CRLF,
                # so that a file's own last CR is kept in LF text
                if end > start and text[end - 1] == "\r" and matches[idx + 1].group(0).endswith("\r"):
                    end -= 1
        else:
            end = len(text)
        out[m.group("name")] = text[start:end] if end > start else ""
    return out
