"""Every error code of every release's datamodel, fed to parse_xe_error.

The corpus (tests/fixtures/real/errors/<release>/every-code.txt) holds, for every
error of xapi's datamodel at the release's tag, what xe prints on stderr for it
(see each README.md; regenerate with extract.py). Each must come back as its own
code, with the datamodel's parameters; the few codes that share their wording and
parameters are read as "one of these" (code None, candidates), never as one of them.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from helpers.error_corpus import (
    CODES_AT_TAG,
    ERRORS,
    SHARED_WORDINGS,
    TAGS,
    read_error_corpus,
    release_corpus,
)
from xentui.actions.onboard import explain_join_error
from xentui.xe.error_wordings import DATAMODEL_WORDINGS
from xentui.xe.errors import parse_xe_error

MIRROR = Path("/work/.mirror/xapi-project+xen-api/repo")
RELEASES = sorted(p.name for p in ERRORS.iterdir() if p.is_dir() and p.name != "cli")
CLI_CASES = sorted((p.stem.split("-")[0], p) for p in (ERRORS / "cli").glob("*.txt"))
SSH_WARNING = "Warning: Permanently added 'x' (ED25519) to the list of known hosts.\r\n"


def _extract() -> ModuleType:
    """tests/fixtures/real/errors/extract.py, the generator, as a module (its RELEASES and errors_at)."""
    spec = importlib.util.spec_from_file_location("errors_extract", ERRORS / "extract.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_release_has_its_corpus_and_source() -> None:
    assert set(RELEASES) == set(TAGS) == set(_extract().RELEASES)
    assert {r: t for r, (t, _) in _extract().RELEASES.items()} == TAGS
    for release in RELEASES:
        readme = (ERRORS / release / "README.md").read_text()
        assert f"xapi tag {TAGS[release]}" in readme and "datamodel" in readme, release
        assert "`every-code.txt` holds every error" in readme and f"({CODES_AT_TAG[TAGS[release]]} codes)" in readme
        assert {p.name for p in (ERRORS / release).iterdir()} == {"README.md", "every-code.txt"}, release
    top = (ERRORS / "README.md").read_text()
    for path in sorted(ERRORS.glob("*/*")):
        assert f"`{path.parent.name}/{path.name}`" in top, f"errors/README.md says nothing of {path.parent.name}/{path.name}"


@pytest.mark.parametrize("release", sorted(TAGS))
def test_the_corpus_holds_every_code_of_the_tag(release: str) -> None:
    """As many codes as the datamodel declares at the tag (a hand-written count), and the same ones."""
    corpus = release_corpus(release)
    assert len(corpus) == CODES_AT_TAG[TAGS[release]], (release, len(corpus))
    assert set(corpus) <= set(DATAMODEL_WORDINGS), sorted(set(corpus) - set(DATAMODEL_WORDINGS))
    for code, text in corpus.items():
        assert text.split("\n", 1)[0] in DATAMODEL_WORDINGS[code], (release, code)


@pytest.mark.skipif(not MIRROR.exists(), reason="no xapi mirror on this machine")
@pytest.mark.parametrize("release", sorted(TAGS))
def test_the_corpus_is_the_datamodel_at_the_tag(release: str) -> None:
    """With the mirror: the count above is the tag's, and every block is what xe prints for that code there."""
    tag = TAGS[release]
    model = "ocaml/idl/datamodel.ml" if tag.startswith("v1.14.") else "ocaml/idl/datamodel_errors.ml"
    source = subprocess.run(["git", "--git-dir", str(MIRROR), "show", f"{tag}:{model}"], check=True,
                            capture_output=True, text=True).stdout
    assert len(re.findall(r"\berror\s+Api_errors\.\w+", source)) == CODES_AT_TAG[tag]
    extract = _extract()
    errors, _ = extract.errors_at(MIRROR, tag)
    corpus = release_corpus(release)
    assert sorted(corpus) == sorted(errors)
    for code, (params, doc) in errors.items():
        assert corpus[code] == "\n".join(extract.printed(code, params, doc)) + "\n", code
        assert corpus[code].startswith(doc + "\n")


def _printers() -> dict[str, frozenset[str]]:
    """Description line -> every code that prints it at one of the releases (the parser cannot know which)."""
    table: dict[str, set[str]] = {}
    for release in TAGS:
        for code, text in release_corpus(release).items():
            table.setdefault(text.split("\n", 1)[0], set()).add(code)
    return {line: frozenset(codes) for line, codes in table.items()}


@pytest.mark.parametrize("release", sorted(TAGS))
def test_each_code_parses_to_its_own_code(release: str) -> None:
    """Every block of the release's corpus, as printed, after an ssh warning and with CRLF line ends.

    A description line that another code prints too (at this release or another) is read as
    "one of these": code None, candidates all of them; every such group is one of SHARED_WORDINGS.
    """
    corpus = release_corpus(release)
    assert len(corpus) == CODES_AT_TAG[TAGS[release]]
    printers = _printers()
    wrong = []
    shared = 0
    for code, text in corpus.items():
        printed = text.splitlines()
        sharers = printers[printed[0]]
        if not printed[0].strip():
            # an empty doc: xe prints a blank line, then the parameters; nothing names the code
            want: tuple[str | None, frozenset[str]] = (None, frozenset())
        elif sharers == {code}:
            want = (code, frozenset({code}))
        else:
            assert sharers in SHARED_WORDINGS, (release, code, sorted(sharers))
            want, shared = (None, sharers), shared + 1
        for variant in (text, SSH_WARNING + text.replace("\n", "\r\n")):
            err = parse_xe_error(variant)
            got = (err.code, frozenset(err.candidates))
            if got != want:
                wrong.append((code, got, want))
            elif printed[0].strip() and (err.description, [f"{n}: {v}" for n, v in err.params]) != (printed[0].strip(), printed[1:]):
                wrong.append((code, err.description, err.params))
    assert wrong == [], (release, wrong[:10], len(wrong))
    assert shared < len(corpus) // 10, (release, shared)  # "one of these" stays the exception


def test_the_shared_wordings_are_exactly_the_codes_xe_prints_alike() -> None:
    """SHARED_WORDINGS is not a list of excuses: its groups, and only they, print the same description at
    some release, with the same parameter names, so nothing in xe's stderr tells them apart."""
    alike: dict[str, set[str]] = {}
    params: dict[str, set[tuple[str, ...]]] = {}
    for release in TAGS:
        for code, text in release_corpus(release).items():
            first, *rest = text.splitlines()
            alike.setdefault(first, set()).add(code)
            params.setdefault(first, set()).add(tuple(line.split(": ", 1)[0] for line in rest))
    found = {frozenset(codes) for codes in alike.values() if len(codes) > 1}
    assert found == set(SHARED_WORDINGS)
    assert all(len(params[first]) == 1 for first, codes in alike.items() if len(codes) > 1)
    for first, codes in alike.items():
        if len(codes) > 1:
            err = parse_xe_error(f"{first}\nmessage: x\n")
            assert (err.code, set(err.candidates)) == (None, codes)


def test_an_empty_wording_names_no_code() -> None:
    """No code has an empty doc at any tag today; xe would print a blank line and its parameters only."""
    assert all(text.split("\n", 1)[0].strip() for r in TAGS for text in release_corpus(r).values())
    err = parse_xe_error("\nhost: 7e1bd2f3-0c51-4a0c-a3d2-3a3f3e6a9d11 (plot7)\n")
    assert (err.code, err.candidates) == (None, ())


def test_a_dropped_code_is_noticed() -> None:
    """The corpus reader and the count above fail when a block goes missing or is repeated."""
    text = (ERRORS / "current" / "every-code.txt").read_text()
    blocks = text.split("\n=== ")
    dropped = read_error_corpus("\n=== ".join(blocks[:100] + blocks[101:]))
    assert len(dropped) == CODES_AT_TAG[TAGS["current"]] - 1
    with pytest.raises(ValueError):
        read_error_corpus(text + "=== " + blocks[1])
    with pytest.raises(ValueError):
        read_error_corpus("stray line\n" + text)


BONDS = [
    ("CANNOT_PLUG_BOND_SLAVE", "This PIF is a bond member and cannot be plugged.\nPIF: {u}\n"),
    ("CANNOT_PLUG_BOND_SLAVE", "This PIF is a bond slave and cannot be plugged.\nPIF: {u}\n"),
    ("CANNOT_ADD_VLAN_TO_BOND_SLAVE", "This PIF is a bond member and cannot have a VLAN on it.\nPIF: {u}\n"),
    ("CANNOT_ADD_TUNNEL_TO_BOND_SLAVE", "This PIF is a bond member and cannot have a tunnel on it.\nPIF: {u}\n"),
]


@pytest.mark.parametrize(("code", "text"), BONDS)
def test_the_bond_codes_in_both_wordings(code: str, text: str) -> None:
    """The issue's example: the newer 'bond member' wording was not recognised before every code was kept."""
    err = parse_xe_error(text.format(u="7e1bd2f3-0c51-4a0c-a3d2-3a3f3e6a9d11 (eth0)"))
    assert (err.code, err.params_dict) == (code, {"PIF": "7e1bd2f3-0c51-4a0c-a3d2-3a3f3e6a9d11 (eth0)"})


def test_a_shared_first_sentence_of_an_unknown_wording_names_no_code() -> None:
    """A wording of a release not in the table is read by its first sentence; when two codes share it, by neither."""
    err = parse_xe_error("The requested update could not be found. A wording of some other release.\n")
    assert (err.code, err.candidates) == (None, ("CANNOT_FIND_PATCH", "CANNOT_FIND_UPDATE"))
    assert parse_xe_error("The requested update could not be obtained from the coordinator. More.\n").code == "CANNOT_FETCH_PATCH"


POOL_MEMBER = [
    ("HOST_IS_SLAVE", "You cannot make regular API calls directly on a pool member. Please pass API calls via "
                      "the master host.\nMaster IP address: 10.0.0.1\n"),
    ("HOST_MASTER_CANNOT_TALK_BACK", "The master reports that it cannot talk back to the pool member on the "
                                     "supplied management IP address.\nip: 10.0.0.7\n"),
]


@pytest.mark.parametrize(("code", "text"), POOL_MEMBER)
def test_the_pool_member_wording_of_1_249_12_to_40(code: str, text: str) -> None:
    assert parse_xe_error(text).code == code
    assert explain_join_error(text).code == code


@pytest.mark.parametrize(("release", "coordinator"), [
    ("xenserver-7.1", False), ("citrix-8.2", False), ("xcpng-8.2", False),
    ("xcpng-8.3", True), ("xenserver-8", True), ("current", True),
])
def test_join_advice_speaks_the_hosts_vocabulary(release: str, coordinator: bool) -> None:
    for code in ("HOST_IS_SLAVE", "POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION", "POOL_JOINING_HOST_MUST_HAVE_SAME_DB_SCHEMA"):
        text = release_corpus(release)[code]
        joined = explain_join_error(text, master_address="10.0.0.1")
        assert joined.code == code
        words = joined.plain + " " + joined.advice
        assert ("master (coordinator)" in words) == coordinator, (release, code, words)
        assert "master" in words


def test_the_simulator_prints_each_releases_wording() -> None:
    """sim/error_texts.py (per release) agrees with the fixtures, and what it prints parses back."""
    from xensim.error_texts import ERROR_TEXTS
    from xensim.xe import in_release_wording

    assert set(ERROR_TEXTS) == {"xcpng-8.2", "xcpng-8.3", "xenserver-8"}
    for release, texts in ERROR_TEXTS.items():
        assert "HOST_IS_SLAVE" in texts and "HOST_MASTER_CANNOT_TALK_BACK" in texts
        for code, text in texts.items():
            assert release_corpus(release)[code].split("\n", 1)[0] == text
            printed = in_release_wording("Some other wording.\nparam: value\n", code, release)
            assert printed == f"{text}\nparam: value\n"
            assert parse_xe_error(printed).code == code
    assert "pool member" in ERROR_TEXTS["xcpng-8.2"]["HOST_IS_SLAVE"]
    assert "supporter" in ERROR_TEXTS["xcpng-8.3"]["HOST_IS_SLAVE"]
    assert in_release_wording("Error code: X\nError parameters: a\n", "HOST_IS_SLAVE", "xcpng-8.2").startswith("Error code")


@pytest.mark.parametrize(("code", "path"), CLI_CASES, ids=[p.stem for _, p in CLI_CASES])
def test_what_the_cli_prints_itself(code: str, path: Path) -> None:
    assert parse_xe_error(path.read_text()).code == code


async def test_the_simulator_prints_a_refused_password_as_the_cli_does(sim_factory) -> None:
    from helpers.sim import run_on

    sim = await sim_factory("onboarding")
    master = sim.pool.host("plot1").address
    r = await run_on(sim, "plot9", f"xe pool-join master-address={master} master-username=root master-password=wrong")
    assert (r.exit_status, r.stderr) == (1, (ERRORS / "cli" / "SESSION_AUTHENTICATION_FAILED.txt").read_text())
    joined = explain_join_error(r.stderr, master_address=master)
    assert joined.code == "SESSION_AUTHENTICATION_FAILED" and "password" in joined.advice
