"""The real-format corpus (tests/fixtures/real/<release>/): every parser reads every
file of every release, the simulator's fresh install matches it field by field over
real SSH, and onboarding reads a complete profile from a fresh XCP-ng 8.2 host.

The corpus is printed by xapi's own rules from records.ml at each release's tag
(tests/fixtures/real/make_corpus.py, README.md there says where each file comes from).
"""

from __future__ import annotations

import sys

import pytest

from helpers.sim import run_on
from helpers.paths import REAL
from xentui.actions.onboard import connect_new_host, gather_host_profile
from xentui.engine.sessions import HostTarget
from xensim.releases import RELEASES
from xensim.xapi_fields import FIELDS
from xentui.xe.commands import validate_uuid
from xentui.xe.records import (
    AFTER_APPLY_GUIDANCE,
    Field,
    XeParseError,
    parse_map,
    parse_minimal,
    parse_records,
    parse_set,
    read_records,
    set_separator,
    split_after_apply_guidance,
)

sys.path.insert(0, str(REAL))
from xapi_fields import CLASSES, MIRROR, fields_of, records_ml  # noqa: E402

FILES = sorted((d.name, f.name) for d in REAL.iterdir() if d.is_dir() and d.name in RELEASES for f in d.glob("*.txt"))
CLASS_OF = {"host": "host", "pool": "pool", "sr": "sr", "pbd": "pbd", "update": "update"}


def corpus(release: str, name: str) -> str:
    return (REAL / release / name).read_text(encoding="utf-8")


def test_corpus_covers_every_release_and_command() -> None:
    wanted = {"host-list-params-all.txt", "pool-list-params-all.txt", "sr-list-params-all.txt",
              "pbd-list-params-all.txt", "update-list.txt", "host-param-get-software-version.txt"}
    for release in RELEASES:
        assert wanted <= {n for r, n in FILES if r == release}, release
    readme = (REAL / "README.md").read_text()
    for release, name in FILES:
        assert f"`{release}/{name}`" in readme, f"README.md says nothing of {release}/{name}"


@pytest.mark.skipif(not MIRROR.exists(), reason="no xapi mirror on this machine")
@pytest.mark.parametrize("tag", sorted(FIELDS))
def test_field_tables_are_records_ml(tag: str) -> None:
    src = records_ml(tag)
    for cls, fn in CLASSES.items():
        assert list(FIELDS[tag][cls]) == fields_of(src, fn), (tag, cls)


def _check_field(cls: str, name: str, f: Field) -> None:
    if f.placeholder:
        return
    if f.kind == "map" or (cls == "host" and name in ("software-version", "cpu_info")):
        parse_map(f.value)
    if f.kind == "set":
        members = parse_set(f.value, set_separator(cls, name))
        assert all(m and m == m.strip() for m in members), (cls, name, f.value)  # the right separator
    if name == "after-apply-guidance":
        assert set(split_after_apply_guidance(f.value)) <= set(AFTER_APPLY_GUIDANCE)
    if name in ("uuid", "host-uuid", "sr-uuid", "master", "control-domain-uuid"):
        validate_uuid(f.value)


@pytest.mark.parametrize(("release", "name"), FILES)
def test_every_parser_reads_every_corpus_file(release: str, name: str) -> None:
    text = corpus(release, name)
    if "-list" in name and "minimal" not in name:
        cls = CLASS_OF[name.split("-")[0]]
        got = read_records(text)
        assert got.unknown_annotations == []
        # a fresh install has no update: the one file that is empty on purpose, and says so
        assert bool(got.records) == (name != "update-list.txt"), (release, name, len(got.records))
        assert [list(r) for r in parse_records(text)] == [list(r) for r in got.records]
        for rec in got.records:
            for key, f in rec.items():
                _check_field(cls, key, f)
        # the same text through a terminal (CRLF) reads the same
        assert read_records(text.replace("\n", "\r\n")).records == got.records
        if name.startswith("update-list") and got.records:
            assert [set_separator("update", "hosts")] == [", "]
        spec = {row.split()[0]: row for row in FIELDS[RELEASES[release].xapi_tag][cls]}
        for rec in got.records:
            for key, f in rec.items():
                assert f.deprecated == (" D" in spec[key]), key
    elif name.endswith("minimal.txt"):
        values = parse_minimal(text)
        assert values and all(validate_uuid(v) for v in values)
        assert parse_minimal(text.replace("\n", "\r\n")) == values
    elif name == "host-param-get-software-version.txt":
        sv = parse_map(text.removesuffix("\n"))
        rel = RELEASES[release]
        assert (sv["product_version"], sv["db_schema"], sv["product_brand"]) == (
            rel.product_version, rel.db_schema, rel.product_brand)
    elif name == "host-param-get-cpu_info.txt":
        assert parse_map(text.removesuffix("\n"))["vendor"]
    elif name == "host-param-get-API-version-minor.txt":
        assert int(text) == RELEASES[release].api_minor
    else:
        pytest.fail(f"no parser is fed {release}/{name}")


def test_deprecated_and_expensive_forms_are_in_the_corpus() -> None:
    # The forms that broke onboarding (issue 12) are exercised by the corpus itself.
    for release in RELEASES:
        hosts = corpus(release, "host-list-params-all.txt")
        assert "patches (SRO) [DEPRECATED]: " in hosts and "memory-free-computed ( RO): <expensive field>" in hosts
        assert "host ( RO) [DEPRECATED]: " in corpus(release, "pbd-list-params-all.txt")
        assert "<expensive field>" not in corpus(release, "host-param-list.txt")


def _structure(text: str) -> list[list[tuple[str, str, bool]]]:
    return [[(k, f.annotation, f.deprecated) for k, f in rec.items()] for rec in read_records(text).records]


COMMANDS = {
    "host-list-params-all.txt": "xe host-list params=all",
    "pool-list-params-all.txt": "xe pool-list params=all",
    "sr-list-params-all.txt": "xe sr-list params=all",
    "pbd-list-params-all.txt": "xe pbd-list params=all",
    "update-list.txt": "xe update-list",
    "host-param-list.txt": "xe host-param-list uuid={host}",
    "host-param-get-software-version.txt": "xe host-param-get uuid={host} param-name=software-version",
}


@pytest.mark.parametrize("release", list(RELEASES))
async def test_sim_fresh_install_matches_corpus_over_ssh(sim_factory, release: str) -> None:
    sim = await sim_factory(scenario="fresh-install", hosts=1, release=release)
    host = sim.pool.host("plot1").uuid
    for name, command in COMMANDS.items():
        r = await run_on(sim, "plot1", command.format(host=host))
        assert r.exit_status == 0, (command, r.stderr)
        want = corpus(release, name)
        if name.startswith("host-param-get"):
            assert list(parse_map(r.stdout.removesuffix("\n"))) == list(parse_map(want.removesuffix("\n"))), name
            continue
        got_s, want_s = _structure(r.stdout), _structure(want)
        assert len(got_s) == len(want_s), (release, name)
        for got_rec, want_rec in zip(got_s, want_s):
            # field by field: name, annotation, [DEPRECATED], in order
            assert got_rec == want_rec, (release, name)
        got_v = [[k for k, f in rec.items() if f.value == "<expensive field>"] for rec in read_records(r.stdout).records]
        want_v = [[k for k, f in rec.items() if f.value == "<expensive field>"] for rec in read_records(want).records]
        assert got_v == want_v, (release, name)


@pytest.mark.parametrize("release", list(RELEASES))
async def test_fresh_install_has_the_tools_sr(sim_factory, release: str) -> None:
    sim = await sim_factory(scenario="fresh-install", hosts=1, release=release)
    r = await run_on(sim, "plot1", "xe sr-list params=name-label,type,shared,is-tools-sr,other-config")
    srs = {rec["name-label"]: rec for rec in parse_records(r.stdout)}
    assert set(srs) == {"Local storage", "DVD drives", "Removable storage", RELEASES[release].tools_sr_name}
    tools = srs[RELEASES[release].tools_sr_name]
    assert (tools["type"], tools["shared"], tools["is-tools-sr"]) == ("iso", "true", "true")
    assert parse_map(tools["other-config"])["xenserver_tools_sr"] == "true"


async def test_onboarding_profile_of_a_fresh_xcpng82_host_is_complete(sim_factory) -> None:
    sim = await sim_factory(scenario="fresh-install", hosts=1, release="xcpng-8.2")
    target = HostTarget("plot1", "plot1", ssh_config=str(sim.dir / "ssh_config"))
    conn = await connect_new_host(target, 2.0)
    try:
        assert conn.connected, conn.error
        p = await gather_host_profile(conn.session, 3.0)
    finally:
        await conn.session.close()
    rel = RELEASES["xcpng-8.2"]
    assert p.errors == []
    assert p.uuid == sim.pool.host("plot1").uuid and p.name_label == "plot1" and p.role == "master"
    assert (p.api_version, p.db_schema, p.product_version, p.product_brand) == (
        rel.api_version, rel.db_schema, rel.product_version, rel.product_brand)
    assert p.cpu_vendor == "GenuineIntel"
    assert p.updates == [] and p.known_updates == [] and p.update_mechanism == "update"  # read, and none
    assert {s.name_label for s in p.srs} == {"Local storage", "DVD drives", "Removable storage", "XCP-ng Tools"}
    assert [s.name_label for s in p.srs if s.is_tools_sr] == ["XCP-ng Tools"]
    assert [s for s in p.shared_srs if not s.is_tools_sr] == []  # the tools SR does not count for pool-join
    assert p.pool_master_uuid == p.uuid and p.hosts_in_pool == 1 and p.ha_enabled is False


def test_unknown_annotation_in_corpus_text_is_reported_not_fatal() -> None:
    text = corpus("xcpng-8.3", "pbd-list-params-all.txt").replace("(MRW)", "(XRW)", 1)
    got = read_records(text)
    assert len(got.unknown_annotations) == 1 and "other-config (XRW)" in got.unknown_annotations[0]
    assert len(got.records) == len(read_records(corpus("xcpng-8.3", "pbd-list-params-all.txt")).records)
    with pytest.raises(XeParseError):
        parse_records("not a record line\n")


@pytest.mark.parametrize("release", list(RELEASES))
def test_engine_probe_reads_the_corpus_pool_list(release: str) -> None:
    # The console's own probe parses `xe pool-list` too: it must read every release's.
    from xentui.engine.probe import apply_pool_list
    from xentui.core.model import CommandResult
    from xentui.core.model import HostFacts, QueryState

    text = corpus(release, "pool-list-params-all.txt")
    facts = HostFacts(name="plot1", address="127.0.0.1")
    apply_pool_list(facts, CommandResult("plot1", "xe pool-list", 0, text, "", 0.0, 0.01))
    assert facts.pool_list is QueryState.ANSWERED
    assert facts.pool_master_uuid == parse_records(text)[0]["master"] and facts.ha_enabled is False


def test_sim_and_demo_commands_take_a_release() -> None:
    import argparse

    from xentui.cli.main import build_parser
    from xensim.__main__ import add_arguments

    sim = argparse.ArgumentParser(prog="xentui sim")  # `xentui sim` hands its arguments to the simulator's parser
    add_arguments(sim)
    assert sim.parse_args([]).release == "xcpng-8.2"  # the most deployed: the default
    assert sim.parse_args(["--release", "xenserver-8"]).release == "xenserver-8"
    assert build_parser().parse_args(["demo", "--release", "xcpng-8.3"]).release == "xcpng-8.3"
    with pytest.raises(SystemExit):
        sim.parse_args(["--release", "xcpng-9.9"])


# SR fields of a public `xe sr-list params=all` transcript on a XenServer 7.x host
# (see tests/fixtures/real/README.md): names and annotations in printed order.
TRANSCRIPT_SR_FIELDS = (
    "uuid RO", "name-label RW", "name-description RW", "host RO", "allowed-operations SRO",
    "current-operations SRO", "VDIs SRO", "PBDs SRO", "virtual-allocation RO", "physical-utilisation RO",
    "physical-size RO", "type RO", "content-type RO", "shared RW", "introduced-by RO", "is-tools-sr RO",
    "other-config MRW", "sm-config MRO", "blobs RO", "local-cache-enabled RO", "tags SRW", "clustered RO",
)


@pytest.mark.parametrize("release", list(RELEASES))
def test_sr_fields_match_a_public_transcript(release: str) -> None:
    got = tuple(f"{k} {f.annotation.strip()}" for k, f in read_records(corpus(release, "sr-list-params-all.txt")).records[0].items())
    assert got == TRANSCRIPT_SR_FIELDS


class CorpusSession:
    """A HostSession stand-in answering onboarding's commands from one release's corpus."""

    def __init__(self, release: str, host_uuid: str) -> None:
        self.name = "plot1"
        self.release = release
        self.host_uuid = host_uuid
        self.commands: list[str] = []

    async def run(self, command: str, timeout: float, stdin: str | None = None):  # noqa: ANN201
        from xentui.core.model import CommandResult

        self.commands.append(command)
        files = {
            "host-list": "host-list-params-all.txt", "pool-list": "pool-list-params-all.txt",
            "sr-list": "sr-list-params-all.txt", "update-list": "update-list-applied.txt",
        }
        out = next((corpus(self.release, f) for k, f in files.items() if f"xe {k}" in command), None)
        if out is None and command.startswith("head "):
            out = (f"==> /etc/xensource-inventory <==\nINSTALLATION_UUID='{self.host_uuid}'\n"
                   "\n==> /etc/xensource/pool.conf <==\nmaster")
        return CommandResult(self.name, command, 0 if out is not None else 127, out or "", "", 0.0, 0.01)


@pytest.mark.parametrize("release", list(RELEASES))
async def test_onboarding_profile_reads_every_release_corpus(release: str) -> None:
    rel = RELEASES[release]
    host = parse_records(corpus(release, "host-list-params-all.txt"))[0]
    session = CorpusSession(release, host["uuid"])
    p = await gather_host_profile(session, 3.0)  # type: ignore[arg-type]
    assert p.errors == [], (release, session.commands)
    assert (p.name_label, p.api_version, p.db_schema, p.product_version, p.cpu_vendor) == (
        "plot1", rel.api_version, rel.db_schema, rel.product_version, "GenuineIntel")
    assert [s.name_label for s in p.srs if s.is_tools_sr] == [rel.tools_sr_name] and [s for s in p.shared_srs if not s.is_tools_sr] == []
    applied = [u for u in p.updates if u.after_apply_guidance == list(AFTER_APPLY_GUIDANCE)]
    assert applied, "after-apply-guidance read as xapi's four values"
    assert p.tls_verification_enabled is (None if release == "xcpng-8.2" else True)  # no such pool field at 1.249
