"""Config errors in one line: `file:line: field: message`, the line found by scanning the TOML text."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError


# --------------------------------------------------------------------------- errors


class ConfigError(Exception):
    """A configuration problem; ``str(err)`` is one line: ``file:line: field: message``.

    The parts are also available as attributes (each may be ``None``):
    ``path``, ``line``, ``field``, ``message``; ``more`` counts further errors
    that were found but not shown.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        field: str | None = None,
        more: int = 0,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.field = field
        self.more = more
        super().__init__(self._render())

    def _render(self) -> str:
        head = ""
        if self.path is not None:
            head = self.path
            if self.line is not None:
                head += f":{self.line}"
            head += ": "
        if self.field:
            head += f"{self.field}: "
        tail = ""
        if self.more:
            tail = f" (and {self.more} more error{'s' if self.more > 1 else ''})"
        return f"{head}{self.message}{tail}"

    def __str__(self) -> str:
        return self._render()


class UnknownPoolError(ConfigError, KeyError):
    """``Config.pool(name)`` found no such pool (also a :class:`KeyError`)."""


# --------------------------------------------------------------------------- errors → one line


def _format_loc(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _full_loc(err: Mapping[str, Any]) -> tuple[str | int, ...]:
    loc = tuple(err.get("loc", ()))
    ctx = err.get("ctx") or {}
    return loc + tuple(ctx.get("loc_suffix", ()))




def _known_keys(parent: tuple[str | int, ...], models: Mapping[tuple[str, ...], type[BaseModel]]) -> list[str]:
    shape = tuple(p for p in parent if isinstance(p, str))
    model = models.get(shape)
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _message(err: Mapping[str, Any], loc: tuple[str | int, ...], models: Mapping[tuple[str, ...], type[BaseModel]]) -> str:
    kind = err.get("type")
    msg = str(err.get("msg", "invalid value"))
    if kind == "extra_forbidden" and loc:
        key = loc[-1]
        known = _known_keys(loc[:-1], models)
        hint = ""
        close = difflib.get_close_matches(str(key), known, n=1)
        if close:
            hint = f" (did you mean {close[0]!r}?)"
        elif known:
            hint = f" (known keys: {', '.join(known)})"
        return f"unknown key {key!r}{hint}"
    if kind == "missing" and loc:
        return f"missing required key {loc[-1]!r}"
    if kind in ("tuple_type", "list_type"):
        return "Input should be an array"
    if kind == "value_error" and msg.startswith("Value error, "):
        return msg[len("Value error, "):]
    return msg


def from_validation(
    exc: ValidationError,
    *,
    models: Mapping[tuple[str, ...], type[BaseModel]],
    path: str | os.PathLike[str] | None = None,
    text: str | None = None,
    prefix: str = "",
) -> ConfigError:
    items = []
    for order, err in enumerate(exc.errors()):
        loc = _full_loc(err)
        line = locate(text, loc) if text is not None else None
        # A missing key comes last: `host = [...]` also makes `hosts` missing, and the
        # misspelt key on its own line is the cause to name, not the table's header.
        missing = 1 if err.get("type") == "missing" else 0
        items.append((missing, line if line is not None else 1 << 30, order, loc, _message(err, loc, models), line))
    items.sort()
    _, _, _, loc, message, line = items[0]
    field = _format_loc(loc)
    if prefix:
        field = prefix + ("." if field and not field.startswith("[") else "") + field
    return ConfigError(message, path=path, line=line, field=field, more=len(items) - 1)


# --------------------------------------------------------------------------- source line lookup
# Best effort: find the line a pydantic location refers to by scanning the TOML text.

_HEADER = re.compile(r"\s*(\[\[?)\s*(.*?)\s*(\]\]?)\s*(?:#.*)?$")
_KEY_PART = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'([^']*)'|([A-Za-z0-9_-]+)")


def _split_dotted(text: str) -> tuple[str, ...] | None:
    parts: list[str] = []
    pos = 0
    while True:
        m = _KEY_PART.match(text, pos)
        if not m:
            return None
        parts.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos == len(text):
            return tuple(parts)
        if text[pos] != ".":
            return None
        pos += 1
        while pos < len(text) and text[pos] in " \t":
            pos += 1


def _key_at(line: str) -> tuple[str, ...] | None:
    """The (dotted) key of a ``key = value`` line, if it is one."""
    stripped = line.lstrip()
    if not stripped or stripped[0] in "#[":
        return None
    # Find the '=' outside quotes.
    quote = ""
    for i, ch in enumerate(stripped):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "=":
            return _split_dotted(stripped[:i].rstrip())
    return None


def locate(text: str, loc: Sequence[str | int]) -> int | None:
    lines = text.splitlines()
    # Segments: (path, header line number, [(line number, line text)]).
    segments: list[tuple[tuple[str | int, ...], int, list[tuple[int, str]]]] = [((), 1, [])]
    array_counts: dict[tuple[str, ...], int] = {}
    in_multiline = ""
    for number, line in enumerate(lines, start=1):
        if in_multiline:
            segments[-1][2].append((number, line))
            if line.count(in_multiline) % 2 == 1:
                in_multiline = ""
            continue
        m = _HEADER.match(line) if line.lstrip().startswith("[") else None
        keys = _split_dotted(m.group(2)) if m else None
        if m and keys and (m.group(1) == "[[") == (m.group(3) == "]]"):
            is_array = m.group(1) == "[["
            path: list[str | int] = []
            for i, key in enumerate(keys):
                path.append(key)
                prefix = keys[: i + 1]
                last = i == len(keys) - 1
                if last and is_array:
                    array_counts[prefix] = array_counts.get(prefix, 0) + 1
                if prefix in array_counts and (is_array or not last):
                    path.append(array_counts[prefix] - 1)
            segments.append((tuple(path), number, []))
            continue
        segments[-1][2].append((number, line))
        for marker in ('"""', "'''"):
            if line.count(marker) % 2 == 1:
                in_multiline = marker
                break

    loc = tuple(loc)
    best = None
    for seg in segments:
        path = seg[0]
        if loc[: len(path)] == path and (best is None or len(path) > len(best[0])):
            best = seg
    if best is None:
        return None
    path, header_line, body = best
    rest = loc[len(path):]
    if not rest or not isinstance(rest[0], str):
        return header_line
    for number, line in body:
        key = _key_at(line)
        if key is None or key[0] != rest[0]:
            continue
        # Dotted keys (a.b = 1): prefer the line whose key matches further.
        if len(key) > 1 and len(rest) > 1 and key[1] != rest[1]:
            continue
        if len(rest) > 1 and isinstance(rest[1], int) and len(key) == 1:
            element = _array_element_line(lines, number, rest[1])
            if element is not None:
                return element
        return number
    return header_line


def _array_element_line(lines: list[str], start: int, index: int) -> int | None:
    """Line of the *index*-th element of the array value on line *start* (1-based)."""
    first = lines[start - 1]
    col = first.find("=")
    depth = 0
    count = -1
    expecting = False
    number = start
    text = first[col + 1:]
    while True:
        i = 0
        while i < len(text):
            ch = text[i]
            if ch in " \t\r":
                i += 1
                continue
            if ch == "#":
                break
            if depth == 1 and expecting and ch not in ",]":
                count += 1
                expecting = False
                if count == index:
                    return number
            if ch in "\"'":
                triple = text[i:i + 3] == ch * 3
                quote = ch * 3 if triple else ch
                i += len(quote)
                # Find the closing quote, possibly on a later line.
                while True:
                    end = _find_close(text, i, quote)
                    if end is not None:
                        i = end + len(quote)
                        break
                    number += 1
                    if number > len(lines):
                        return None
                    text, i = lines[number - 1], 0
                continue
            if ch in "[{":
                depth += 1
                if depth == 1:
                    expecting = True
            elif ch in "]}":
                depth -= 1
                if depth <= 0:
                    return None
            elif ch == "," and depth == 1:
                expecting = True
            i += 1
        if depth == 0:
            return None
        number += 1
        if number > len(lines):
            return None
        text = lines[number - 1]


def _find_close(text: str, start: int, quote: str) -> int | None:
    i = start
    while i < len(text):
        if quote[0] == '"' and text[i] == "\\":
            i += 2
            continue
        if text.startswith(quote, i):
            return i
        i += 1
    return None


