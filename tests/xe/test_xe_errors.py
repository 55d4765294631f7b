"""Tests for xentui.xe.errors: xe's stderr into XeError."""

from __future__ import annotations


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.error_corpus import SHARED_WORDINGS
from helpers.paths import GOLDEN
from xentui.xe.errors import (
    ERROR_DESCRIPTION_VARIANTS,
    ERROR_DESCRIPTIONS,
    XeError,
    describe_error,
    host_param_name_and_uuid,
    parse_xe_error,
)

P7 = "7e1bd2f3-0c51-4a0c-a3d2-3a3f3e6a9d11"


def golden(name: str) -> str:
    return (GOLDEN / name).read_text(encoding="utf-8")


GOLDEN_CASES: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("error-host-offline.txt", "HOST_OFFLINE", [("host", f"{P7} (plot7)")]),
    ("error-host-is-slave-supporter.txt", "HOST_IS_SLAVE", [("Master IP address", "10.0.0.11")]),
    ("error-host-is-slave-slave.txt", "HOST_IS_SLAVE", [("Master IP address", "10.0.0.11")]),
    ("error-host-still-booting.txt", "HOST_STILL_BOOTING", []),
    ("error-host-is-live.txt", "HOST_IS_LIVE", [("host", f"{P7} (plot7)")]),
    ("error-cannot-contact-host-server.txt", "CANNOT_CONTACT_HOST", [("host", f"{P7} (plot7)")]),
    ("error-cannot-contact-host-host.txt", "CANNOT_CONTACT_HOST", [("host", f"{P7} (plot7)")]),
    ("error-host-in-emergency-mode.txt", "HOST_IN_EMERGENCY_MODE", []),
    ("error-host-master-cannot-talk-back-coordinator.txt", "HOST_MASTER_CANNOT_TALK_BACK", [("ip", "10.0.0.17")]),
    ("error-host-master-cannot-talk-back-master.txt", "HOST_MASTER_CANNOT_TALK_BACK", [("ip", "10.0.0.17")]),
    ("error-host-unknown-to-master-coordinator.txt", "HOST_UNKNOWN_TO_MASTER", [("host", P7)]),
    ("error-host-unknown-to-master-master.txt", "HOST_UNKNOWN_TO_MASTER", [("host", P7)]),
    ("error-ha-is-enabled.txt", "HA_IS_ENABLED", []),
    (
        "error-hosts-not-homogeneous.txt",
        "HOSTS_NOT_HOMOGENEOUS",
        [("reason", "Updates on local host plot7 and pool host plot1 differ")],
    ),
    ("error-uuid-invalid.txt", "UUID_INVALID", [("type", "host"), ("uuid", "7e1bd2f3-0c51")]),
    ("error-cli-no-matching-hosts.txt", "CLI_ERROR", []),
    ("error-cli-required-parameter.txt", "CLI_ERROR", []),
    ("error-unknown-command.txt", "UNKNOWN_COMMAND", [("command", "pool-frobnicate")]),
    ("error-lost-connection.txt", "LOST_CONNECTION", []),
    ("error-unable-to-contact-server.txt", "UNABLE_TO_CONTACT_SERVER", []),
]


@pytest.mark.parametrize(("name", "code", "params"), GOLDEN_CASES)
def test_golden_errors(name: str, code: str, params: list[tuple[str, str]]) -> None:
    text = golden(name)
    err = parse_xe_error(text)
    assert err.code == code
    assert err.params == params
    assert err.raw == text
    assert err.description  # never empty for a recognised error


def test_api_error_description_is_the_printed_line() -> None:
    err = parse_xe_error(golden("error-host-is-slave-slave.txt"))
    assert err.description == (
        "You cannot make regular API calls directly on a slave. Please pass API calls via the master host."
    )
    # plain words always in the newer wording
    assert err.plain == ERROR_DESCRIPTIONS["HOST_IS_SLAVE"]
    assert "supporter" in err.plain
    assert err.param("Master IP address") == "10.0.0.11"
    assert err.param("nope") is None
    assert err.params_dict == {"Master IP address": "10.0.0.11"}


def test_cli_error_message_kept() -> None:
    err = parse_xe_error(golden("error-cli-required-parameter.txt"))
    assert err.description == "Required parameter not found: host-uuid"
    assert parse_xe_error(golden("error-cli-no-matching-hosts.txt")).description == "No matching hosts found"


OTHER_CASES: list[tuple[str, str | None, str, list[tuple[str, str]]]] = [
    ("", None, "", []),
    ("\n\n", None, "", []),
    # unknown description: kept, parameters still read
    ("Something odd happened.\nfoo: bar\n", None, "Something odd happened.", [("foo", "bar")]),
    ("just text", None, "just text", []),
    # SSH noise before the real message is skipped
    (
        "Warning: Permanently added '10.0.0.11' (ED25519) to the list of known hosts.\n"
        "The host toolstack is still initialising. Please wait.\n",
        "HOST_STILL_BOOTING",
        "The host toolstack is still initialising. Please wait.",
        [],
    ),
    # CRLF line ends and extra spacing tolerated
    (
        "You attempted an operation which involves a host which could not be contacted.\r\nhost: x\r\n",
        "HOST_OFFLINE",
        "You attempted an operation which involves a host which could not be contacted.",
        [("host", "x")],
    ),
    (
        "Cannot  forward messages because the SERVER cannot be contacted.\n",
        "CANNOT_CONTACT_HOST",
        "Cannot  forward messages because the SERVER cannot be contacted.",
        [],
    ),
    # missing / extra params as cli_util prints them
    (
        "The uuid you supplied was invalid.\ntype: <unknown>\n<extra>: zz\n",
        "UUID_INVALID",
        "The uuid you supplied was invalid.",
        [("type", "<unknown>"), ("<extra>", "zz")],
    ),
    # a code the server has no description for
    ("Error code: SR_BACKEND_FAILURE_46\nError parameters: , The VDI is not available, \n", "SR_BACKEND_FAILURE_46",
     "Error code: SR_BACKEND_FAILURE_46", [("Error parameters", ", The VDI is not available, ")]),
    # parameter errors printed with the usage hint
    (
        "Required parameter not found: uuid\nFor usage run: 'xe help'\n",
        "CLI_ERROR",
        "Required parameter not found: uuid",
        [],
    ),
    # the client-side connect error is an "Error: " line too
    ("Error: Connection refused (calling connect )\n", "CLI_ERROR", "Connection refused (calling connect )", []),
    # HA_NOT_ENABLED must not be read as HA_IS_ENABLED
    ("The operation could not be performed because HA is not enabled on the Pool\n", "HA_NOT_ENABLED",
     "The operation could not be performed because HA is not enabled on the Pool", []),
    # HOST_NOT_LIVE must not be read as HOST_IS_LIVE
    ("This operation cannot be completed as the server is not live.\n", "HOST_NOT_LIVE",
     "This operation cannot be completed as the server is not live.", []),
]


@pytest.mark.parametrize(("text", "code", "description", "params"), OTHER_CASES)
def test_other_errors(text: str, code: str | None, description: str, params: list[tuple[str, str]]) -> None:
    err = parse_xe_error(text)
    assert (err.code, err.description, err.params) == (code, description, params)
    assert err.raw == text


# CLI_ERROR / UNKNOWN_COMMAND descriptions are plain words, not printed texts.
PRINTED_VARIANTS = sorted(
    (code, texts) for code, texts in ERROR_DESCRIPTION_VARIANTS.items() if code not in ("CLI_ERROR", "UNKNOWN_COMMAND")
)


@pytest.mark.parametrize(("code", "texts"), PRINTED_VARIANTS)
def test_every_known_wording_maps_to_its_code(code: str, texts: tuple[str, ...]) -> None:
    """Its own code, or, for a wording other codes print too (SHARED_WORDINGS), none but all of them as candidates."""
    assert texts
    for text in texts:
        owners = {c for c, ts in PRINTED_VARIANTS if text in ts}
        err = parse_xe_error(text + "\n")
        if owners == {code}:
            assert (err.code, err.candidates) == (code, (code,)), text
        else:
            assert frozenset(owners) in SHARED_WORDINGS, (code, text, owners)
            assert (err.code, set(err.candidates)) == (None, owners), text


def test_error_descriptions_cover_required_codes() -> None:
    required = {
        "HOST_OFFLINE",
        "HOST_IS_SLAVE",
        "HOST_STILL_BOOTING",
        "HOST_IS_LIVE",
        "CANNOT_CONTACT_HOST",
        "HOST_IN_EMERGENCY_MODE",
        "HOST_MASTER_CANNOT_TALK_BACK",
        "HOST_UNKNOWN_TO_MASTER",
        "HA_IS_ENABLED",
        "HOSTS_NOT_HOMOGENEOUS",
        "UUID_INVALID",
        "CLI_ERROR",
        "UNKNOWN_COMMAND",
        "LOST_CONNECTION",
        "UNABLE_TO_CONTACT_SERVER",
    }
    assert required <= set(ERROR_DESCRIPTIONS)
    for code in required:
        assert ERROR_DESCRIPTIONS[code] == ERROR_DESCRIPTION_VARIANTS[code][0]
    for code in ("HOST_IS_SLAVE", "HOST_MASTER_CANNOT_TALK_BACK", "HOST_UNKNOWN_TO_MASTER"):
        assert "coordinator" in ERROR_DESCRIPTIONS[code] or "supporter" in ERROR_DESCRIPTIONS[code]
        assert any("master" in t for t in ERROR_DESCRIPTION_VARIANTS[code][1:])
    assert describe_error("HA_IS_ENABLED") == ERROR_DESCRIPTIONS["HA_IS_ENABLED"]
    assert describe_error("NO_SUCH_CODE") == "NO_SUCH_CODE"


NAMED_CASES = [
    (f"{P7} (plot7)", (P7, "plot7")),
    (P7, (P7, None)),
    (f"{P7} (my (odd) host)", (P7, "my (odd) host")),
    (f"{P7} ()", (P7, "")),
    ("10.0.0.11", ("10.0.0.11", None)),
    ("OpaqueRef:5c2e9a80-1b1d-4c1e-9d51-1d0c6a0b9e0f", ("OpaqueRef:5c2e9a80-1b1d-4c1e-9d51-1d0c6a0b9e0f", None)),
    (f"{P7}(plot7)", (f"{P7}(plot7)", None)),
]


@pytest.mark.parametrize(("value", "expected"), NAMED_CASES)
def test_host_param_name_and_uuid(value: str, expected: tuple[str, str | None]) -> None:
    assert host_param_name_and_uuid(value) == expected


def test_offline_host_param_splits() -> None:
    err = parse_xe_error(golden("error-host-offline.txt"))
    assert host_param_name_and_uuid(err.param("host") or "") == (P7, "plot7")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_xe_error_never_raises(text: str) -> None:
    err = parse_xe_error(text)
    assert isinstance(err, XeError)
    assert err.raw == text
    host_param_name_and_uuid(text)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(n for n, *_ in GOLDEN_CASES)), st.text(max_size=30))
def test_golden_with_noise_never_raises(name: str, noise: str) -> None:
    parse_xe_error(noise + golden(name) + noise)
