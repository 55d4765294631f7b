"""The simulated shell's words: a command line split into tokens (quotes, `$(...)`, backticks, operators)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union



class ShellSyntaxError(Exception):
    pass


class Word(list):
    """A shell word: segments ("lit", text), ("var"|"qvar", NAME), ("cmd"|"qcmd", SOURCE).

    The q-kinds were inside double quotes (no field splitting). ``raw`` is the
    word's source text, so a quoted ``'do'`` is never taken for a keyword.
    """

    raw: str = ""


@dataclass
class Redir:
    fd: int | None  # the explicit descriptor before the operator (`2>`), if any
    op: str  # >, >>, >|, <, <>, >&, <&, &>, &>>
    target: Word | None = None


Token = Union[Word, Redir, str]
OPERATORS = ("&&", "||", ";;", ";", "|", "&", "(", ")", "\n")
REDIR_OPS = ("&>>", "&>", ">>", ">&", ">|", "<>", "<&", ">", "<")
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ASSIGN_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
# inside ${...}: a name, a positional parameter or $?, optionally with a prefix/suffix removal
PARAM_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*|[0-9]+|\?)(?:(##|#|%%|%)(.*))?", re.S)
PATTERN_EXPANSIONS = set("$`'\"\\")  # a pattern with quotes or expansions in it is not simulated
UNSUPPORTED_WORDS = {
    "case": "case ... esac",
    "select": "select loops",
    "function": "shell functions",
    "[[": "[[ ... ]] conditionals",
    "coproc": "coproc",
}


def _matching_paren(line: str, i: int) -> int:
    """Index of the `)` closing the `(` before line[i], skipping quotes and nesting."""
    depth, n = 1, len(line)
    while i < n:
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            j = line.find("'", i + 1)
            if j < 0:
                break
            i = j + 1
            continue
        if c == '"':
            i += 1
            while i < n and line[i] != '"':
                i += 2 if line[i] == "\\" else 1
            i += 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ShellSyntaxError("sim: unexpected EOF while looking for matching `)'")


def _backtick(line: str, i: int) -> tuple[str, int]:
    """The source inside backticks starting after line[i-1] == '`'."""
    out, n = [], len(line)
    while i < n:
        c = line[i]
        if c == "\\" and i + 1 < n and line[i + 1] in "`\\$":
            out.append(line[i + 1])
            i += 2
        elif c == "`":
            return "".join(out), i + 1
        else:
            out.append(c)
            i += 1
    raise ShellSyntaxError("sim: unexpected EOF while looking for matching ``'")


def _dollar(line: str, i: int, quoted: bool) -> tuple[tuple[str, str], int]:
    """Read what follows a `$` at line[i-1]: a variable or a command substitution."""
    q = "q" if quoted else ""
    ch = line[i] if i < len(line) else ""
    if line.startswith("((", i):
        raise ShellSyntaxError("sim: arithmetic expansion $((...)) is not simulated")
    if ch == "(":
        j = _matching_paren(line, i + 1)
        return (q + "cmd", line[i + 1 : j]), j + 1
    if ch == "{":
        j = line.find("}", i)
        name = line[i + 1 : j] if j > 0 else ""
        m = PARAM_RE.fullmatch(name)
        if m is not None and (m.group(2) is None or not set(m.group(3)) & PATTERN_EXPANSIONS):
            return (q + "var", name), j + 1
        raise ShellSyntaxError(
            "sim: only ${NAME}, ${N} and ${NAME#pattern} (#, ##, %, %% with a literal pattern) are simulated"
        )
    if ch == "?":
        return (q + "var", "?"), i + 1
    if ch.isdigit():  # $0 .. $9: positional parameters (bash -c SCRIPT ARG0 ARG1 ...)
        return (q + "var", ch), i + 1
    m = NAME_RE.match(line, i)
    if m is None:
        if not ch or ch in " \t\n\"'":
            return ("lit", "$"), i  # a lone `$` is literal, as in bash
        raise ShellSyntaxError(f"sim: ${ch} expansion is not simulated")
    return (q + "var", m.group(0)), m.end()


def tokenize(line: str) -> list[Token]:
    """Words (quotes removed, expansions kept for run time), redirections and operators."""
    out: list[Token] = []
    word = Word()
    in_word = False
    start = 0
    i, n = 0, len(line)

    def lit(text: str) -> None:
        if word and word[-1][0] == "lit":
            word[-1] = ("lit", word[-1][1] + text)
        else:
            word.append(("lit", text))

    def end_word(at: int) -> None:
        nonlocal word, in_word
        if in_word:
            word.raw = line[start:at]
            out.append(word)
        word, in_word = Word(), False

    while i < n:
        ch = line[i]
        if not in_word:
            start = i
        if ch in " \t":
            end_word(i)
            i += 1
        elif ch == "#" and not in_word:
            j = line.find("\n", i)
            i = n if j < 0 else j
        elif ch == "'":
            j = line.find("'", i + 1)
            if j < 0:
                raise ShellSyntaxError("sim: unexpected EOF while looking for matching `''")
            lit(line[i + 1 : j])
            in_word, i = True, j + 1
        elif ch == '"':
            i += 1
            in_word = True
            lit("")
            while True:
                if i >= n:
                    raise ShellSyntaxError("sim: unexpected EOF while looking for matching `\"'")
                c = line[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\" and i + 1 < n and line[i + 1] in '"\\$`\n':
                    if line[i + 1] != "\n":
                        lit(line[i + 1])
                    i += 2
                elif c == "$":
                    seg, i = _dollar(line, i + 1, quoted=True)
                    word.append(seg) if seg[0] != "lit" else lit(seg[1])
                elif c == "`":
                    src, i = _backtick(line, i + 1)
                    word.append(("qcmd", src))
                else:
                    lit(c)
                    i += 1
        elif ch == "\\":
            if i + 1 < n and line[i + 1] == "\n":
                i += 2  # line continuation
                continue
            if i + 1 < n:
                lit(line[i + 1])
            in_word, i = True, i + 2
        elif ch == "$":
            seg, i = _dollar(line, i + 1, quoted=False)
            word.append(seg) if seg[0] != "lit" else lit(seg[1])
            in_word = True
        elif ch == "`":
            src, i = _backtick(line, i + 1)
            word.append(("cmd", src))
            in_word = True
        elif ch in "<>" or (ch == "&" and line.startswith(("&>",), i)):
            if line.startswith("<<", i):
                raise ShellSyntaxError("sim: here-documents and here-strings (<<) are not simulated")
            if line.startswith(("<(", ">("), i):
                raise ShellSyntaxError("sim: process substitution <(...) is not simulated")
            fd = None
            if in_word and len(word) == 1 and word[0][0] == "lit" and word[0][1].isdigit() and line[start:i].isdigit():
                fd, word, in_word = int(word[0][1]), Word(), False
            end_word(i)
            op = next(o for o in REDIR_OPS if line.startswith(o, i))
            out.append(Redir(fd, op))
            i += len(op)
        elif ch in ";&|()\n":
            end_word(i)
            op = next(o for o in OPERATORS if line.startswith(o, i))
            out.append(op)
            i += len(op)
        else:
            lit(ch)
            in_word, i = True, i + 1
    end_word(n)
    return out


