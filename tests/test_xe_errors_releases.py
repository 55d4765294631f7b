"""Every release's wording of every error the project reads, fed to parse_xe_error.

The fixtures (tests/fixtures/real/errors/<release>/<CODE>.txt) are what xe prints
for each error at each release's xapi tag (see each README.md; regenerate with
extract.py). Each must come back as its own code, with the datamodel's parameters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from xentui.actions.onboard import explain_join_error
from xentui.xe.errors import parse_xe_error

ERRORS = Path(__file__).parent / "fixtures" / "real" / "errors"
RELEASES = sorted(p.name for p in ERRORS.iterdir() if p.is_dir() and p.name != "cli")
CASES = sorted((p.parent.name, p.stem, p) for p in ERRORS.glob("*/*.txt") if p.parent.name != "cli")
CLI_CASES = sorted((p.stem.split("-")[0], p) for p in (ERRORS / "cli").glob("*.txt"))


def test_every_release_has_its_fixtures_and_source() -> None:
    assert set(RELEASES) >= {"xenserver-7.1", "citrix-8.2", "xcpng-8.2", "xcpng-8.3", "xenserver-8", "current"}
    for release in RELEASES:
        readme = (ERRORS / release / "README.md").read_text()
        assert "xapi tag v" in readme and "datamodel" in readme
        assert len(list((ERRORS / release).glob("*.txt"))) >= 40


@pytest.mark.parametrize(("release", "code", "path"), CASES, ids=[f"{r}-{c}" for r, c, _ in CASES])
def test_each_wording_parses_to_its_code(release: str, code: str, path: Path) -> None:
    text = path.read_text()
    err = parse_xe_error(text)
    assert err.code == code, (release, text)
    printed = text.splitlines()
    assert err.description == printed[0]
    assert [f"{name}: {value}" for name, value in err.params] == printed[1:]
    # the same with CRLF and an ssh warning before it
    assert parse_xe_error("Warning: Permanently added 'x' (ED25519) to the list of known hosts.\r\n"
                          + text.replace("\n", "\r\n")).code == code


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
        text = (ERRORS / release / f"{code}.txt").read_text()
        joined = explain_join_error(text, master_address="10.0.0.1")
        assert joined.code == code
        words = joined.plain + " " + joined.advice
        assert ("master (coordinator)" in words) == coordinator, (release, code, words)
        assert "master" in words


def test_the_simulator_prints_each_releases_wording() -> None:
    """sim/error_texts.py (per release) agrees with the fixtures, and what it prints parses back."""
    from xentui.sim.error_texts import ERROR_TEXTS
    from xentui.sim.xe import in_release_wording

    assert set(ERROR_TEXTS) == {"xcpng-8.2", "xcpng-8.3", "xenserver-8"}
    for release, texts in ERROR_TEXTS.items():
        assert "HOST_IS_SLAVE" in texts and "HOST_MASTER_CANNOT_TALK_BACK" in texts
        for code, text in texts.items():
            assert (ERRORS / release / f"{code}.txt").read_text().split("\n", 1)[0] == text
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
