"""Every text parser reads text as it arrives, not only as xapi printed it.

Through a terminal, a paste, `ssh -t` or another tool, the same answer reaches us with CRLF
line ends, a trailing newline after a value, a separator left after the last member of a set or
map (`a; b; `), blanks before or after a line.  None of these may change what is read.

Two halves:
- every file of the real-format corpus (tests/fixtures/real/, tests/golden/), with every
  combination of the variations that applies to it, through the parser that reads it;
- property-based (hypothesis): generated values through each parser, varied the same way.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.paths import GOLDEN, REAL
from helpers.error_corpus import read_error_corpus
from xentui.actions.recover.readback import parse_recovered_uuids
from xentui.xe.records import parse_fuse
from xentui.actions.storage.devices import parse_mounts, parse_pvs
from xentui.actions.storage.gather import sr_device_paths
from xentui.engine.probe import ADDRESSES, GENERATION, HOSTNAME, INVENTORY, POOL_CONF, apply_emergency, apply_files
from xentui.core.model import CommandResult
from xentui.core.model import HostFacts
from xentui.xe.errors import parse_xe_error
from xentui.xe.files import parse_inventory, parse_partitions, parse_pool_conf
from xentui.xe.records import parse_map, parse_minimal, parse_set, read_records, set_separator


# ----------------------------------------------------------------------------- the variations


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def trailing_newline(text: str) -> str:
    """The other case of the final newline: `cat` of a file written with or without one, `$(…)`."""
    return text[:-1] if text.endswith("\n") else text + "\n"


def trailing_blanks(text: str) -> str:
    return "\n".join(line + " \t " if line.strip() else line for line in text.split("\n"))


def leading_blanks(text: str) -> str:
    return "\n".join("  " + line if line.strip() else line for line in text.split("\n"))


LINE_VARIATIONS: dict[str, Callable[[str], str]] = {
    "crlf": crlf, "trailing newline": trailing_newline, "trailing blanks": trailing_blanks,
    "leading blanks": leading_blanks,
}


def combinations(names: Iterable[str]) -> list[tuple[str, ...]]:
    names = list(names)
    return [c for n in range(1, len(names) + 1) for c in itertools.combinations(names, n)]


def vary(text: str, names: Iterable[str], extra: dict[str, Callable[[str], str]] | None = None) -> str:
    table = {**LINE_VARIATIONS, **(extra or {})}
    # CRLF last: the other variations work on lines, the terminal adds its CR at the end of each
    for name in sorted(names, key=lambda n: n == "crlf"):
        text = table[name](text)
    return text


# ----------------------------------------------------------------------------- what each file reads as


def records_read(text: str, cls: str) -> list[dict[str, Any]]:
    """The records, with every set and map field read into its members (what the code uses)."""
    got = read_records(text)
    assert got.unknown_annotations == []
    out = []
    for rec in got.records:
        decoded: dict[str, Any] = {}
        for key, f in rec.items():
            if f.kind == "set" and not f.placeholder:
                decoded[key] = parse_set(f.value, set_separator(cls, key))
            elif f.kind == "map" and not f.placeholder:
                decoded[key] = parse_map(f.value)
            else:
                decoded[key] = f.value
        out.append(decoded)
    return out


def with_trailing_separators(text: str, cls: str, sep: str | None = None) -> str:
    """A separator (or *sep*) left after the last member of every non-empty set and map value."""
    lines = []
    for line in text.split("\n"):
        rec = read_records(line).records if line.strip() else []
        if rec:
            ((key, f),) = rec[0].items()
            if f.kind in ("set", "map") and f.value and not f.placeholder:
                line = line + (sep or (set_separator(cls, key) if f.kind == "set" else "; "))
        lines.append(line)
    return "\n".join(lines)


def facts_from_files(text: str) -> dict[str, Any]:
    f = HostFacts(name="h", address="h")
    apply_files(f, CommandResult("h", "head", 0, text, "", 0.0, 0.1))
    return f.model_dump(include={"role", "master_address", "pool_conf_raw", "uuid", "hostname", "db_generation",
                                 "own_addresses", "product_brand", "product_version"}) | {
        "pool_conf_raw": (f.pool_conf_raw or "").strip()}


def error_read(text: str) -> tuple[Any, ...]:
    e = parse_xe_error(text)
    return e.code, e.description.strip(), [(k, v.strip()) for k, v in e.params]


def _release_files() -> list[tuple[str, Path]]:
    out = []
    for d in sorted(p for p in REAL.iterdir() if p.is_dir() and p.name != "errors"):
        out += [(f"{d.name}/{f.name}", f) for f in sorted(d.glob("*.txt"))]
    return out


Reader = tuple[Callable[[str], Any], dict[str, Callable[[str], str]], set[str]]

# Where blanks are the data's own, a parser must keep them, and the blank variations do not apply:
# xe prints a value verbatim and a name-label may begin or end in a blank (test_storage_labels.py).
VALUE_BLANKS = {"trailing blanks"}
MINIMAL_BLANKS = {"trailing blanks", "leading blanks"}


def reader_of(name: str) -> Reader:
    """The parser that reads a corpus file, the variations beyond the line ones that apply to it,
    and the line variations that do not (each for the reason given where it is named)."""
    base = name.rsplit("/", 1)[-1]
    if base.startswith("error-") or "/errors/" in f"/{name}":
        return error_read, {}, set()
    if "minimal" in base:
        return parse_minimal, {}, MINIMAL_BLANKS
    if base.startswith("host-param-get-API-version"):
        return lambda t: int(t.strip()), {}, set()
    if base.startswith(("host-param-get-software-version", "host-param-get-cpu_info")):
        return parse_map, {"trailing separator": lambda t: t.rstrip("\n") + "; \n"}, set()
    if base == "xensource-inventory.txt":
        return parse_inventory, {}, set()
    if base == "proc-partitions.txt":
        return parse_partitions, {}, set()
    if base == "head-sections.txt":
        return facts_from_files, {}, set()
    if "-list" in base:
        cls = base.split("-")[0]
        return (lambda t: records_read(t, cls)), {
            "trailing separator": lambda t: with_trailing_separators(t, cls),
            "blanks after sets and maps": lambda t: with_trailing_separators(t, cls, sep=" \t "),
        }, VALUE_BLANKS
    raise AssertionError(f"no parser is known for corpus file {name}")


CORPUS = [
    *_release_files(),
    *[(f"errors/{f.parent.name}/{f.name}", f) for f in sorted((REAL / "errors").glob("*/*.txt"))
      if f.name != "every-code.txt"],
    # the report-* goldens are what `xentui report` prints, not text a host sends
    *[(f"golden/{f.name}", f) for f in sorted(GOLDEN.glob("*.txt")) if not f.name.startswith("report")],
]
# every code of every release's datamodel: one file a release, one stderr block a code
EVERY_CODE = sorted((REAL / "errors").glob("*/every-code.txt"))


def test_the_corpus_is_all_here() -> None:
    """The list the next test walks: it would pass vacuously on an empty corpus."""
    kinds = {reader_of(name)[0].__name__ for name, _ in CORPUS}
    assert {name.split("/")[0] for name, _ in CORPUS} >= {"xcpng-8.2", "xcpng-8.3", "xenserver-8", "errors", "golden"}
    assert len(CORPUS) >= 60 and len(kinds) >= 6, (len(CORPUS), kinds)
    assert len(EVERY_CODE) == 6, EVERY_CODE


@pytest.mark.parametrize("name, path", CORPUS, ids=[n for n, _ in CORPUS])
def test_every_corpus_file_reads_the_same_however_it_arrives(name: str, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    read, extra, data_blanks = reader_of(name)
    want = read(text)
    names = [n for n in LINE_VARIATIONS if n not in data_blanks] + list(extra)
    checked = 0
    for combo in combinations(names):
        got = read(vary(text, combo, extra))
        assert got == want, (name, combo)
        checked += 1
    assert checked == 2 ** len(names) - 1


@pytest.mark.parametrize("path", EVERY_CODE, ids=[p.parent.name for p in EVERY_CODE])
def test_every_error_of_every_release_reads_the_same_however_it_arrives(path: Path) -> None:
    blocks = read_error_corpus(path.read_text(encoding="utf-8"))
    assert len(blocks) > 400, len(blocks)
    for code, text in blocks.items():
        want = error_read(text)
        for combo in combinations(LINE_VARIATIONS):
            assert error_read(vary(text, combo)) == want, (path.parent.name, code, combo)


# ----------------------------------------------------------------------------- generated values

WORD = st.text(alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters="-_./"),
               min_size=1, max_size=12)
VARIATIONS = st.sets(st.sampled_from(sorted(LINE_VARIATIONS)), min_size=1)


@given(members=st.lists(WORD, min_size=0, max_size=6), sep=st.sampled_from(["; ", ", "]),
       names=VARIATIONS, trailing_sep=st.booleans())
def test_sets_read_the_same(members: list[str], sep: str, names: set[str], trailing_sep: bool) -> None:
    value = sep.join(members)
    want = parse_set(value, sep)
    assert want == members
    if trailing_sep and members:
        value += sep
    assert parse_set(vary(value, names - {"leading blanks"}), sep) == want


@given(entries=st.dictionaries(WORD, st.text(alphabet="abc 0123:", max_size=8).map(str.strip), max_size=5),
       names=VARIATIONS, trailing_sep=st.booleans())
def test_maps_read_the_same(entries: dict[str, str], names: set[str], trailing_sep: bool) -> None:
    value = "; ".join(f"{k}: {v}" for k, v in entries.items())
    try:
        want = parse_map(value)
    except ValueError:
        return  # a value of ": " alone can't be told from a separator: not a map xe prints
    if trailing_sep and entries:
        value += "; "
    assert parse_map(vary(value, names - {"leading blanks"})) == want


@given(values=st.lists(st.uuids().map(str), min_size=1, max_size=5), names=VARIATIONS)
def test_minimal_lists_and_recovered_uuids_read_the_same(values: list[str], names: set[str]) -> None:
    assert parse_minimal(vary(",".join(values), names - MINIMAL_BLANKS)) == values
    text = "\n".join(values) + "\n"
    assert parse_recovered_uuids(vary(text, names)) == (list(dict.fromkeys(values)), [])


@given(conf=st.sampled_from(["master", "slave:10.0.0.1", "slave:fd00::1", "slave:plot1.example.org", "broken"]),
       names=VARIATIONS)
def test_pool_conf_reads_the_same(conf: str, names: set[str]) -> None:
    want = parse_pool_conf(conf)
    got = parse_pool_conf(vary(conf, names))
    assert (got.role, got.master_address, got.is_well_formed) == (want.role, want.master_address, want.is_well_formed)


@given(uuid=st.uuids().map(str), generation=st.integers(0, 10**9), hostname=WORD, names=VARIATIONS,
       conf=st.sampled_from(["master", "slave:10.0.0.1"]))
def test_the_probe_reads_the_host_files_the_same(uuid: str, generation: int, hostname: str, names: set[str],
                                                 conf: str) -> None:
    text = (f"==> {POOL_CONF} <==\n{conf}\n==> {INVENTORY} <==\nINSTALLATION_UUID='{uuid}'\nPRODUCT_BRAND='XCP-ng'\n"
            f"\n==> {HOSTNAME} <==\n{hostname}\n\n==> {GENERATION} <==\n{generation}\n==> {ADDRESSES} <==\n10.0.0.5 \n")
    want = facts_from_files(text)
    assert (want["uuid"], want["db_generation"], want["hostname"]) == (uuid, generation, hostname)
    # the headers are our own printf's; the files' contents are what varies
    varied = "\n".join(line if line.startswith("==> ") else vary(line, names - {"trailing newline"})
                       for line in text.split("\n"))
    assert facts_from_files(varied if "crlf" not in names else varied.replace("<==\n", "<==\r\n")) == want


@given(answer=st.sampled_from(["true", "false"]), names=VARIATIONS)
def test_emergency_mode_reads_the_same(answer: str, names: set[str]) -> None:
    f = HostFacts(name="h", address="h")
    apply_emergency(f, CommandResult("h", "xe host-is-in-emergency-mode", 0, vary(answer + "\n", names), "", 0.0, 0.1))
    assert f.emergency_mode is (answer == "true") and f.emergency_error is None


@given(fuse=st.sampled_from(["10.", "0.3", "10"]), names=VARIATIONS)
def test_the_toolstack_fuse_reads_the_same(fuse: str, names: set[str]) -> None:
    text = f"Host agent will restart and transition to master in {fuse} seconds...\n"
    assert parse_fuse(vary(text, names)) == float(fuse)


@given(devices=st.lists(st.sampled_from(["sdb", "sdb1", "sdc", "nvme0n1p2", "mapper/x"]), min_size=1, max_size=4,
                        unique=True), names=VARIATIONS)
def test_mounts_and_pvs_read_the_same(devices: list[str], names: set[str]) -> None:
    mounts = "".join(f"/dev/{d} /mnt/{i} ext4 rw 0 0\n" for i, d in enumerate(devices))
    pvs = "".join(f"  /dev/{d} VG_{i}\n" for i, d in enumerate(devices))
    want_m, want_p = parse_mounts(mounts), parse_pvs(pvs)
    assert len(want_m) == len(want_p) == len(devices)
    assert parse_mounts(vary(mounts, names)) == want_m and parse_pvs(vary(pvs, names)) == want_p


@given(devices=st.lists(st.sampled_from(["/dev/sdb", "/dev/sdc", "/dev/disk/by-id/scsi-3600"]), min_size=1,
                        max_size=3, unique=True), names=VARIATIONS, trailing_sep=st.booleans())
def test_every_device_of_a_device_config_belongs_to_its_sr(devices: list[str], names: set[str],
                                                          trailing_sep: bool) -> None:
    value = f"device: {','.join(devices)}" + ("; " if trailing_sep else "")
    assert sr_device_paths(vary(value, names - {"leading blanks"})) == devices
    assert sr_device_paths(f"SRmaster: true; device: {', '.join(devices)}") == devices
