"""Parsers for what ``xe`` prints on stdout: record lists, ``--minimal`` lists,
and the map / set values found inside records.

Pure functions, no I/O. The formats follow ``/work/shared/xapi-reference.md``
§6, which in turn follows xapi's ``cli_printer.ml``:

* A record is one line per field::

      uuid ( RO)                : 9d41f57b-2da4-492d-8a7e-79309ec72ac7
                name-label ( RW): plot1
          name-description ( RW): Default install

  The printer glues the kind marker to the field name (``name-label ( RW)``),
  pads the first one on the right and right-aligns the others to
  ``4 + len(longest name-with-marker)``, then writes ``": " + value``. So an
  empty value leaves a trailing space after the colon.
* Markers: ``( RO)``/``( RW)`` scalar, ``(SRO)``/``(SRW)`` set,
  ``(MRO)``/``(MRW)`` map (``print_field`` in
  ``ocaml/xapi-cli-server/cli_operations.ml``, v1.249.40 and v24.39.0). A
  field declared ``~deprecated:true`` in ``records.ml`` gets `` [DEPRECATED]``
  glued after its marker (host ``patches``, pbd ``host``)::

                patches (SRO) [DEPRECATED]: 2a1b…, c3d4…

  An annotation that is none of the six is kept (kind ``"unknown"``) and
  reported by :func:`read_records`; it never makes the record unreadable.
* Placeholders a value may be instead of data (``records.ml``):
  ``<expensive field>`` (an expensive field in a ``*-list``),
  ``<not in database>`` (a dangling reference), ``<unknown>``, ``<shared>``
  (sr ``host`` of a shared SR), ``<invalid reference>``, ``<unknown time>``.
* Sets are joined with ``"; "``, except a few fields kept on ``", "`` for
  backwards compatibility (``concat_with_comma``): see :func:`set_separator`.
  ``after-apply-guidance`` is one of them: ``restartHVM, restartPV,
  restartHost, restartXAPI``.
* Lines may end in ``\r\n`` (output captured through a terminal): tolerated.
* Every record, the last included, is followed by two blank lines; no records
  means no output at all.
* ``--minimal`` prints the first field of each record joined by ``,``; inside a
  value ``,`` is written ``\\,`` (and, per ``cli_printer.escape_commas``, ``\\``
  is written ``\\\\``); no match prints an empty line.

Every parser here either returns a result or raises :class:`XeParseError`
(a :class:`ValueError`); nothing else escapes on arbitrary input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "AFTER_APPLY_GUIDANCE",
    "PLACEHOLDERS",
    "Field",
    "RecordsRead",
    "FieldKind",
    "LineParseError",
    "XeParseError",
    "escape_minimal",
    "parse_map",
    "parse_minimal",
    "parse_records",
    "parse_records_typed",
    "parse_set",
    "read_records",
    "set_separator",
    "split_after_apply_guidance",
]

FieldKind = Literal["scalar", "set", "map", "unknown"]
"""What a record field holds, read from its marker (`( RO)`, `(SRW)`, `(MRO)`, …);
``"unknown"`` for an annotation that is none of the six."""

PLACEHOLDERS = frozenset(
    {
        "<expensive field>",  # records.ml makeexpensivefield
        "<not in database>",  # records.ml nid
        "<unknown>",
        "<shared>",  # sr host of a shared SR
        "<invalid reference>",  # cli_operations.ml safe_get_field
        "<unknown time>",  # records.ml unknown_time
    }
)
"""Values xe prints in place of data (xapi ``records.ml``, v1.249.40 and v24.39.0)."""

AFTER_APPLY_GUIDANCE = ("restartHVM", "restartPV", "restartHost", "restartXAPI")
"""The values of ``after-apply-guidance`` (records.ml ``after_apply_guidance_to_string``)."""

# Set fields xapi joins with ", " (records.ml `concat_with_comma` / `String.concat ", "`),
# per class as the CLI names it; every other set is joined with "; ". Same at v1.249.40,
# v24.39.0 and v25.39.0 (network `purpose` only at v1.249.40).
_COMMA_SETS: dict[str, frozenset[str]] = {
    "host": frozenset({"patches", "updates", "tags"}),
    "pool": frozenset({"tags"}),
    "sr": frozenset({"tags"}),
    "vdi": frozenset({"tags"}),
    "vm": frozenset({"tags"}),
    "network": frozenset({"tags", "purpose"}),
    "update": frozenset({"hosts", "after-apply-guidance"}),
    "patch": frozenset({"hosts", "after-apply-guidance"}),
}


def set_separator(cls: str, name: str) -> str:
    """The separator xe puts between the members of set field ``name`` of
    class ``cls`` (``host``, ``sr``, ``update``, ``patch``, …): ``", "`` or ``"; "``."""
    return ", " if name in _COMMA_SETS.get(cls, frozenset()) else "; "


def split_after_apply_guidance(value: str) -> list[str]:
    """``after-apply-guidance`` as printed (``restartHost, restartXAPI``) → its values.

    Split on ``", "`` as xapi joins it; a ``;`` is tolerated too. Unknown
    values are kept (a newer xapi may add some)."""
    return [g.strip() for g in value.replace(";", ",").split(",") if g.strip()]


class LineParseError(ValueError):
    """Text that does not have an expected shape, with where: ``lineno``
    (1-based) and ``line`` point at the offending line when the error is about
    one line; both are ``None`` otherwise.

    The common base of :class:`XeParseError` and
    :class:`xentui.xe.files.FileParseError`, which carry a line the same way.
    """

    def __init__(self, message: str, *, lineno: int | None = None, line: str | None = None) -> None:
        if lineno is not None:
            message = f"line {lineno}: {message}: {line!r}"
        super().__init__(message)
        self.lineno = lineno
        self.line = line


class XeParseError(LineParseError):
    """Text that does not have the shape ``xe`` prints."""


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a record, with what its marker says about it.

    ``value`` is exactly what followed ``": "`` on the line. ``kind`` is
    ``"scalar"``, ``"set"`` or ``"map"``; ``writable`` is the ``RW`` half of
    the marker.
    """

    value: str
    kind: FieldKind
    writable: bool
    deprecated: bool = False
    annotation: str = field(default="", compare=False)  # what was between the parentheses, e.g. "SRO"

    @property
    def placeholder(self) -> bool:
        """The value is one of xe's placeholders (``<not in database>``, …), not data."""
        return self.value in PLACEHOLDERS

    def as_set(self, sep: str = "; ") -> list[str]:
        """The value split as a set (``a; b``; pass ``sep=", "`` for patch/update ``hosts``)."""
        return parse_set(self.value, sep)

    def as_map(self) -> dict[str, str]:
        """The value parsed as a map (``k1: v1; k2: v2``); may raise :class:`XeParseError`."""
        return parse_map(self.value)


# " RO", "SRW", "MRO"...: the field's kind (" " scalar, S set, M map), then read-only or read-write
_KIND_LETTERS: dict[str, FieldKind] = {" ": "scalar", "S": "set", "M": "map"}
_MARKERS: dict[str, tuple[FieldKind, bool]] = {
    letter + access: (kind, access == "RW") for letter, kind in _KIND_LETTERS.items() for access in ("RO", "RW")
}

# Optional left padding, the field name (no leading blank; non-greedy so the
# first marker on the line wins even when the value contains one), the marker,
# optional right padding (first field only), the colon, then the separator
# space and the value. A missing separator space (someone stripped trailing
# blanks) is tolerated as an empty value.
# The annotation is any short text in parentheses (the six known ones are
# checked afterwards), then the optional " [DEPRECATED]".
_RECORD_LINE = re.compile(
    r"[ \t]*(?P<key>[^ \t](?:.*?[^ ])?) \((?P<marker>[^()]{1,16})\)(?P<deprecated> \[DEPRECATED\])? *:(?: (?P<value>.*))?"
)


@dataclass(frozen=True, slots=True)
class RecordsRead:
    """What :func:`read_records` found: the records and the unknown annotations."""

    records: list[dict[str, Field]]
    unknown_annotations: list[str]  # "line N: key (ANN)", one per line that had one


def _is_blank(line: str) -> bool:
    return line.strip(" \t\r") == ""


_Line = tuple[str, str, str, bool, int]  # key, marker, value, deprecated, lineno


def _parse_fields(text: str) -> list[list[_Line]]:
    """Split record output into records of ``(key, marker, value, deprecated, lineno)``."""
    records: list[list[_Line]] = []
    current: list[_Line] = []
    seen: set[str] = set()
    # Split on "\n" only: str.splitlines() would also split on \x0b, \x1c,
    # \u2028, … which may legitimately appear inside a value.
    for lineno, line in enumerate(text.split("\n"), start=1):
        # CRLF through a terminal (ssh -t). A value's trailing blanks are kept: xe prints the value
        # verbatim, and a name-label may end in a blank (tests/actions/test_storage_labels.py).
        line = line.removesuffix("\r")
        if _is_blank(line):
            if current:
                records.append(current)
                current = []
                seen = set()
            continue
        m = _RECORD_LINE.fullmatch(line)
        if m is None:
            raise XeParseError("not a 'key ( XX): value' record line", lineno=lineno, line=line)
        key = m.group("key")
        if key in seen:
            raise XeParseError("field repeated within one record", lineno=lineno, line=line)
        seen.add(key)
        value = m.group("value")
        current.append((key, m.group("marker"), "" if value is None else value, m.group("deprecated") is not None, lineno))
    if current:
        records.append(current)
    return records


def parse_records(text: str) -> list[dict[str, str]]:
    """Parse ``xe <class>-list`` / ``xe <class>-param-list`` output.

    Returns one dict per record, keys in printed order, without padding or
    markers; values exactly as printed after the ``": "`` separator (inner
    and trailing spaces kept: xe prints a value verbatim, and a name-label
    may end in a blank). CRLF line ends read as LF. Empty output gives
    ``[]``. Any number of blank lines separate records (xe prints two).

    Raises :class:`XeParseError` when a non-blank line is not a
    ``key (XX): value`` line or a field repeats inside one record. A value
    that itself contained a newline cannot be represented in this format and
    ends up as such an error.
    """
    return [{key: value for key, _marker, value, _dep, _n in rec} for rec in _parse_fields(text)]


def parse_records_typed(text: str) -> list[dict[str, Field]]:
    """Like :func:`parse_records`, but each value is a :class:`Field` that also
    tells whether the field is a scalar, a set or a map and whether it is
    writable."""
    return read_records(text).records


def read_records(text: str) -> RecordsRead:
    """Parse records into :class:`Field` values and list the annotations that
    are none of xapi's six (kept with kind ``"unknown"``, ``writable`` read
    from a trailing ``RW``). Raises :class:`XeParseError` like
    :func:`parse_records`."""
    out: list[dict[str, Field]] = []
    unknown: list[str] = []
    for rec in _parse_fields(text):
        typed: dict[str, Field] = {}
        for key, marker, value, deprecated, lineno in rec:
            kind, writable = _MARKERS.get(marker, ("unknown", marker.endswith("RW")))
            if kind == "unknown":
                unknown.append(f"line {lineno}: {key} ({marker})")
            typed[key] = Field(value=value, kind=kind, writable=writable, deprecated=deprecated, annotation=marker)
        out.append(typed)
    return RecordsRead(out, unknown)


def escape_minimal(value: str) -> str:
    """Escape one value the way ``xe --minimal`` does (``\\`` → ``\\\\``, ``,`` → ``\\,``)."""
    return value.replace("\\", "\\\\").replace(",", "\\,")


def parse_minimal(text: str) -> list[str]:
    """Parse ``xe … --minimal`` output into its values.

    The single trailing newline (``\\n``, or ``\\r\\n`` through a terminal) is removed; an empty
    line means no match and gives ``[]``. Blanks are kept: they are the values' own (a
    name-label may begin or end in one). Values are split on unescaped
    commas; ``\\,`` gives ``,`` and ``\\\\`` gives ``\\``. A backslash before
    any other character, or at the very end, is kept as a literal backslash.
    Never raises.

    Note: a single record whose first field is empty also prints an empty
    line; it is indistinguishable from "no match" and gives ``[]``.
    """
    if text.endswith("\n"):
        text = text[:-1].removesuffix("\r")
    if text == "":
        return []
    values: list[str] = []
    buf: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in ",\\":
            buf.append(text[i + 1])
            i += 2
            continue
        if ch == ",":
            values.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    values.append("".join(buf))
    return values


def _without_trailing_separators(value: str, sep: str) -> str:
    """*value* without surrounding blanks/newlines and without separators left at its end
    (``a; b; `` → ``a; b``): text as it arrives from a paste or another tool."""
    body = value.strip(" \t\r\n")
    mark = sep.strip()
    while mark and body.endswith(mark):
        body = body[: -len(mark)].rstrip(" \t\r\n")
    return body


def parse_set(value: str, sep: str = "; ") -> list[str]:
    """Split a set value (``a; b``) into its members; ``""`` gives ``[]``.

    Pass ``sep=", "`` for the ``hosts`` field of ``patch-list`` /
    ``update-list``. Each member loses its surrounding blanks; blanks, a
    newline or a separator left after the last member are ignored
    (``a; b; `` reads as ``a; b``). Never raises.
    """
    body = _without_trailing_separators(value, sep)
    if body == "":
        return []
    if sep == "":
        return [body]
    return [m.strip(" \t\r\n") for m in body.split(sep)]


def parse_map(value: str) -> dict[str, str]:
    """Parse a map value ``k1: v1; k2: v2`` into a dict (``""`` gives ``{}``).

    Entries are split on ``"; "`` and each entry on its first ``": "``. xe does
    not escape either separator, so a segment without ``": "`` is taken as the
    continuation of the previous value (a value that contained ``"; "``). A
    final entry ``k:`` is read as an empty value. Surrounding blanks, a
    trailing newline and a separator left at the end (``k: v; ``) are ignored.
    Raises :class:`XeParseError` when the first segment has no ``": "``.
    """
    value = _without_trailing_separators(value, "; ")
    if value == "":
        return {}
    out: dict[str, str] = {}
    last_key: str | None = None
    segments = value.split("; ")
    for idx, seg in enumerate(segments):
        if ": " in seg:
            key, val = seg.split(": ", 1)
        elif idx == len(segments) - 1 and seg.endswith(":") and len(seg) > 1:
            key, val = seg[:-1], ""
        elif last_key is not None:
            out[last_key] = out[last_key] + "; " + seg
            continue
        else:
            raise XeParseError(f"map entry without ': ': {seg!r}")
        out[key.strip(" \t")] = val
        last_key = key.strip(" \t")
    return out


# "Host agent will restart and transition to master in 10. seconds..." (an OCaml float: `10.`)
_FUSE_RE = re.compile(r"in (\d+(?:\.\d*)?) seconds")


def parse_fuse(stdout: str) -> float | None:
    """The delay xapi announced ("… in 10. seconds..." -> 10.0), if any."""
    m = _FUSE_RE.search(stdout)
    if not m:
        return None
    try:
        return float(m.group(1))
    except ValueError:
        return None
