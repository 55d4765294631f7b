"""What ``xe`` prints on stderr when a command fails, turned into data.

Pure functions, no I/O. Formats from ``/work/shared/xapi-reference.md`` §6 and
xapi's ``xapi_cli.ml`` / ``cli_util.ml`` / ``newcli.ml``:

* An API error prints the error's description on one line, then one
  ``<param>: <value>`` line per parameter. Parameter names come from the
  datamodel and may contain spaces (``Master IP address``); a reference to an
  object is printed as ``<uuid> (<name-label>)``; a surplus value is printed
  as ``<extra>: <value>`` and a missing one as ``<param>: <unknown>``.
* An error code the server has no description for prints
  ``Error code: <CODE>`` and ``Error parameters: <p1>, <p2>``.
* CLI-side failures print ``Error: <message>``; parameter problems print
  ``<what>: <detail>`` then ``For usage run: 'xe help'`` (that is how
  ``Unknown command: <c>`` looks).
* Client-side failures: ``Lost connection to the server.`` and
  ``Unable to contact server. Please check server and port settings.``

Releases word the roles differently: master/slave ("host") up to xapi 1.249.11,
master/"pool member" in 1.249.12-1.249.40 (XCP-ng 8.2 LTS), coordinator/supporter
(often "server") from 22.x on (XCP-ng 8.3, XenServer 8). Every
wording of every release is recognised; ``XeError.coordinator_wording`` says which
vocabulary the host printed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from xentui.xe.commands import UUID_RE
from xentui.xe.error_wordings import DATAMODEL_WORDINGS

__all__ = [
    "ERROR_DESCRIPTIONS",
    "ERROR_DESCRIPTION_VARIANTS",
    "XeError",
    "describe_error",
    "host_param_name_and_uuid",
    "parse_xe_error",
]

# code -> every wording, newest first, of every code of xapi's datamodel at the
# releases people run (not only the codes the project acts on). The first
# entry of each tuple is the one ERROR_DESCRIPTIONS exposes. API error texts
# are the datamodel's, generated into xe/error_wordings.py from xapi's
# ocaml/idl/datamodel_errors.ml at each release's tag (XenServer 7.1 = v1.14.61,
# Citrix Hypervisor 8.2 = v1.249.3, XCP-ng 8.2 LTS = v1.249.40 with its "pool
# member" wording, XCP-ng 8.3 = v24.39.0, XenServer 8 = v25.39.0, current =
# v26.17.0); the CLI_*/client codes are this module's own names for texts
# printed by the CLI itself (ocaml/xapi-cli-server/xapi_cli.ml exception_handler,
# ocaml/xe-cli/newcli.ml).
ERROR_DESCRIPTION_VARIANTS: dict[str, tuple[str, ...]] = {
    **DATAMODEL_WORDINGS,
    "CLI_ERROR": ("The xe command line refused the command.",),
    "UNKNOWN_COMMAND": ("xe does not know this command.",),
    "LOST_CONNECTION": ("Lost connection to the server.",),
    "UNABLE_TO_CONTACT_SERVER": ("Unable to contact server. Please check server and port settings.",),
}

ERROR_DESCRIPTIONS: dict[str, str] = {code: texts[0] for code, texts in ERROR_DESCRIPTION_VARIANTS.items()}
"""Error code → its description in the newer (coordinator/supporter) wording."""

_CLIENT_MESSAGES: dict[str, str] = {
    "lost connection to the server.": "LOST_CONNECTION",
    "unable to contact server. please check server and port settings.": "UNABLE_TO_CONTACT_SERVER",
}

_USAGE_HINT = "For usage run: 'xe help'"

# param_error texts that stand for an API error: xapi_cli.ml's exception_handler
# prints SESSION_AUTHENTICATION_FAILED this way instead of its description (the
# same at v1.14.61, v1.249.40, v24.39.0, v26.17.0).
_CLI_API_ERRORS = {
    "Authentication failed": "SESSION_AUTHENTICATION_FAILED",
    "Username/password must be specified": "SESSION_AUTHENTICATION_FAILED",
}

# Wording-independent comparison: case and spacing folded, and the newer
# vocabulary mapped onto the older one.
_WORD_MAP = {"coordinator": "master", "coordinator's": "master's", "supporter": "slave", "server": "host",
             "server's": "host's", "servers": "hosts", "initializing": "initialising"}
_WORD = re.compile(r"[A-Za-z']+")


def _normalise(text: str) -> str:
    text = " ".join(text.split()).lower().replace("pool member", "slave")
    return _WORD.sub(lambda m: _WORD_MAP.get(m.group(0), m.group(0)), text)


def _signature(description: str) -> str:
    """The part of a description that identifies it: its first sentence."""
    norm = _normalise(description)
    cut = norm.find(". ")
    return norm if cut < 0 else norm[: cut + 1]


_PRINTED_CODES = [code for code in ERROR_DESCRIPTION_VARIANTS
                  if code not in ("CLI_ERROR", "UNKNOWN_COMMAND", "LOST_CONNECTION", "UNABLE_TO_CONTACT_SERVER")]


def _index(key: Callable[[str], str]) -> dict[str, frozenset[str]]:
    """key(wording) -> every code that has a wording with that key."""
    table: dict[str, set[str]] = {}
    for code in _PRINTED_CODES:
        for text in ERROR_DESCRIPTION_VARIANTS[code]:
            table.setdefault(key(text), set()).add(code)
    return {k: frozenset(v) for k, v in table.items() if k}


# Three ways to recognise a description line, tried in order: a wording as printed
# (blanks folded), the same in the other vocabulary (_normalise), and, for a wording
# of a release not in the table, the longest known first sentence it starts with.
_EXACT = _index(lambda text: " ".join(text.split()))
_NORMALISED = _index(_normalise)
_SIGNATURES: list[tuple[str, frozenset[str]]] = sorted(
    ((sig.rstrip("."), codes) for sig, codes in _index(_signature).items()),
    key=lambda item: -len(item[0]),
)


def _codes_for_description(line: str) -> frozenset[str]:
    """Every code one of whose wordings this line is (several when codes share a wording)."""
    codes = _EXACT.get(" ".join(line.split())) or _NORMALISED.get(_normalise(line))
    if codes:
        return codes
    norm = _normalise(line)
    for sig, codes in _SIGNATURES:
        if norm.startswith(sig):
            return codes
    return frozenset()


@dataclass
class XeError:
    """A failed ``xe`` command, as read from its stderr.

    ``code`` is the API error code (``HOST_OFFLINE`` …), one of this module's
    CLI/client codes (``CLI_ERROR``, ``UNKNOWN_COMMAND``, ``LOST_CONNECTION``,
    ``UNABLE_TO_CONTACT_SERVER``), or ``None`` when the text is not
    recognised. ``description`` is the description line as printed (for
    ``CLI_ERROR`` the message after ``Error: ``). ``params`` are the
    ``(name, value)`` pairs in printed order; ``raw`` is the untouched stderr.

    ``candidates`` are the codes the text may stand for: ``(code,)`` whenever
    ``code`` is set, ``()`` when nothing is recognised. A few API error codes share
    their wording and their parameter names at every release (the
    AUTH_ENABLE_FAILED_* family, SERVER_/TRUSTED_CERTIFICATE_EXPIRED …): xe prints
    the same text for each, so ``code`` is ``None`` and ``candidates`` lists them
    all, rather than naming one that may be wrong.
    """

    code: str | None
    description: str
    params: list[tuple[str, str]] = field(default_factory=list)
    raw: str = ""
    candidates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.code is not None and not self.candidates:
            self.candidates = (self.code,)

    def param(self, name: str, default: str | None = None) -> str | None:
        """The value of the first parameter called ``name``."""
        for key, value in self.params:
            if key == name:
                return value
        return default

    @property
    def params_dict(self) -> dict[str, str]:
        """The parameters as a dict (a later duplicate name wins)."""
        return dict(self.params)

    @property
    def coordinator_wording(self) -> bool:
        """The host printed the coordinator/supporter vocabulary (XCP-ng 8.3, XenServer 8 and later)."""
        return re.search(r"\b(coordinator|supporter)", self.raw, re.IGNORECASE) is not None

    @property
    def plain(self) -> str:
        """The description in the newer wording when the code is known, else as printed."""
        if self.code in ("CLI_ERROR", "UNKNOWN_COMMAND", None):
            return self.description
        return ERROR_DESCRIPTIONS.get(self.code, self.description)


def describe_error(code: str) -> str:
    """Plain words for an error code (newer wording); the code itself if unknown."""
    return ERROR_DESCRIPTIONS.get(code, code)


def _split_param(line: str) -> tuple[str, str] | None:
    line = line.lstrip(" \t")  # a blank before the name is layout; one after the value is xe's (kept)
    if ": " in line:
        name, value = line.split(": ", 1)
        if name.strip():
            return name, value  # exact: xapi 1.249's UPDATE_PRECHECK_FAILED_OUT_OF_SPACE names "required_space "
        return None
    if line.endswith(":") and len(line) > 1:
        return line[:-1], ""
    return None


def _params_and_rest(lines: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    params: list[tuple[str, str]] = []
    rest: list[str] = []
    for line in lines:
        if line.strip() == _USAGE_HINT:
            continue
        pair = _split_param(line)
        if pair is None:
            rest.append(line)
        else:
            params.append(pair)
    return params, rest


def parse_xe_error(stderr: str) -> XeError:
    """Read ``xe``'s stderr into an :class:`XeError`. Never raises.

    Lines before the first recognised line (for instance an SSH warning) are
    ignored but stay in ``raw``. When nothing is recognised, ``code`` is
    ``None``, ``description`` is the first non-blank line and later
    ``name: value`` lines become ``params``.
    """
    lines = [line.rstrip("\r") for line in stderr.split("\n")]
    lines = [line for line in lines if line.strip()]
    if not lines:
        return XeError(code=None, description="", params=[], raw=stderr)

    for idx, line in enumerate(lines):
        stripped = line.strip()
        after = lines[idx + 1 :]

        client = _CLIENT_MESSAGES.get(stripped.lower())
        if client is not None:
            return XeError(code=client, description=stripped, params=[], raw=stderr)

        if stripped.startswith("Unknown command: "):
            command = stripped[len("Unknown command: ") :]
            return XeError(code="UNKNOWN_COMMAND", description=stripped, params=[("command", command)], raw=stderr)

        if stripped.startswith("Error code: "):
            code = stripped[len("Error code: ") :].strip() or None
            params, _rest = _params_and_rest(after)
            return XeError(code=code, description=stripped, params=params, raw=stderr)

        if stripped.startswith("Error: "):
            message = "\n".join([stripped[len("Error: ") :], *after])
            return XeError(code="CLI_ERROR", description=message, params=[], raw=stderr)

        if after and after[0].strip() == _USAGE_HINT:
            # param_error: "<what>: <detail>" then the usage hint
            # ("Required parameter not found: host-uuid", "Syntax error: …").
            return XeError(code=_CLI_API_ERRORS.get(stripped, "CLI_ERROR"), description=stripped, params=[], raw=stderr)

        codes = _codes_for_description(stripped)
        if codes:
            params, rest = _params_and_rest(after)
            description = "\n".join([stripped, *rest])
            candidates = tuple(sorted(codes))
            code = candidates[0] if len(candidates) == 1 else None
            return XeError(code=code, description=description, params=params, raw=stderr, candidates=candidates)

    first = lines[0].strip()
    params, rest = _params_and_rest(lines[1:])
    return XeError(code=None, description="\n".join([first, *rest]), params=params, raw=stderr)


_NAMED_REF = re.compile(r"(?P<uuid>" + UUID_RE.pattern + r")(?: \((?P<name>.*)\))?", re.ASCII)


def host_param_name_and_uuid(value: str) -> tuple[str, str | None]:
    """Split an error parameter printed as ``<uuid> (<name-label>)``.

    ``"7e1bd2f3-0c51-4a0c-a3d2-3a3f3e6a9d11 (plot7)"`` gives
    ``("7e1bd2f3-0c51-4a0c-a3d2-3a3f3e6a9d11", "plot7")``; a bare UUID gives
    ``(uuid, None)``. Anything else (an address, an unresolved reference) is
    returned unchanged as ``(value, None)``. Never raises.
    """
    text = value.strip()
    m = _NAMED_REF.fullmatch(text)
    if m is None:
        return value, None
    return m.group("uuid"), m.group("name")
