"""The simulated shell's grammar: tokens into a tree of lists, pipelines, loops, ifs and groups."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Union

from xensim.shell.lexer import NAME_RE, UNSUPPORTED_WORDS, Redir, ShellSyntaxError, Token, Word, tokenize

# ------------------------------------------------------------------------------------ syntax tree


@dataclass
class Simple:
    words: list[Word]
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class Pipeline:
    commands: list["Command"]
    negate: bool = False


@dataclass
class AndOr:
    items: list[tuple[str, Pipeline]]  # (";" | "&&" | "||", pipeline): how each joins the previous


@dataclass
class Seq:
    items: list[AndOr]


@dataclass
class For:
    name: str
    words: list[Word]
    body: Seq
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class While:
    cond: Seq
    body: Seq
    until: bool
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class If:
    branches: list[tuple[Seq, Seq]]
    otherwise: Seq | None
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class Group:
    body: Seq
    subshell: bool
    redirs: list[Redir] = field(default_factory=list)


Command = Union[Simple, For, While, If, Group]


def _is_kw(tok: Token | None, *names: str) -> bool:
    return isinstance(tok, Word) and tok.raw in names


def _show(tok: Token | None) -> str:
    if tok is None:
        return "newline"
    if isinstance(tok, Word):
        return tok.raw
    if isinstance(tok, Redir):
        return tok.op
    return "newline" if tok == "\n" else tok


class Parser:
    """Recursive descent over `tokenize`'s tokens (the POSIX grammar's shape, trimmed)."""

    def __init__(self, tokens: list[Token]) -> None:
        self.toks = tokens
        self.pos = 0

    def peek(self) -> Token | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> Token | None:
        tok = self.peek()
        self.pos += 1
        return tok

    def unexpected(self, tok: Token | None = None) -> ShellSyntaxError:
        tok = self.peek() if tok is None else tok
        if tok is None:
            return ShellSyntaxError("sim: syntax error: unexpected end of file")
        return ShellSyntaxError(f"sim: syntax error near unexpected token `{_show(tok)}'")

    def expect(self, keyword: str) -> None:
        if not _is_kw(self.peek(), keyword):
            raise self.unexpected()
        self.pos += 1

    def skip_newlines(self) -> None:
        while self.peek() == "\n":
            self.pos += 1

    def parse_list(self, stop: tuple[str, ...] = ()) -> Seq:
        items: list[AndOr] = []
        while True:
            while self.peek() in (";", "\n"):
                if self.peek() == ";" and not items:
                    raise self.unexpected()
                self.pos += 1
            tok = self.peek()
            if tok is None or tok == ")" or _is_kw(tok, *stop):
                return Seq(items)
            items.append(self.parse_and_or())
            tok = self.peek()
            if tok == "&":
                raise ShellSyntaxError("sim: background jobs (&) are not simulated")
            if tok not in (None, ";", "\n", ")") and not _is_kw(tok, *stop):
                raise self.unexpected()

    def parse_and_or(self) -> AndOr:
        items = [(";", self.parse_pipeline())]
        while self.peek() in ("&&", "||"):
            op = self.take()
            self.skip_newlines()
            items.append((str(op), self.parse_pipeline()))
        return AndOr(items)

    def parse_pipeline(self) -> Pipeline:
        negate = False
        if _is_kw(self.peek(), "!"):
            negate = True
            self.pos += 1
        commands = [self.parse_command()]
        while self.peek() == "|":
            self.pos += 1
            self.skip_newlines()
            commands.append(self.parse_command())
        return Pipeline(commands, negate)

    def parse_command(self) -> Command:
        tok = self.peek()
        if isinstance(tok, Word) and tok.raw in UNSUPPORTED_WORDS:
            raise ShellSyntaxError(f"sim: {UNSUPPORTED_WORDS[tok.raw]} are not simulated")
        cmd: Command
        if _is_kw(tok, "for"):
            cmd = self.parse_for()
        elif _is_kw(tok, "while", "until"):
            self.pos += 1
            cond = self.parse_list(("do",))
            self.expect("do")
            body = self.parse_list(("done",))
            self.expect("done")
            cmd = While(cond, body, until=tok.raw == "until")  # type: ignore[union-attr]
        elif _is_kw(tok, "if"):
            cmd = self.parse_if()
        elif _is_kw(tok, "{"):
            self.pos += 1
            body = self.parse_list(("}",))
            self.expect("}")
            cmd = Group(body, subshell=False)
        elif tok == "(":
            self.pos += 1
            if self.peek() == "(":
                raise ShellSyntaxError("sim: arithmetic ((...)) is not simulated")
            body = self.parse_list()
            if self.take() != ")":
                raise self.unexpected(None)
            cmd = Group(body, subshell=True)
        elif _is_kw(tok, "do", "done", "then", "elif", "else", "fi", "}", "in"):
            raise self.unexpected()
        else:
            return self.parse_simple()
        while isinstance(self.peek(), Redir):
            cmd.redirs.append(self.parse_redir())
        return cmd

    def parse_redir(self) -> Redir:
        rd = self.take()
        assert isinstance(rd, Redir)
        target = self.take()
        if not isinstance(target, Word):
            raise self.unexpected(target)
        return Redir(rd.fd, rd.op, target)

    def parse_simple(self) -> Simple:
        cmd = Simple([])
        while True:
            tok = self.peek()
            if isinstance(tok, Word):
                cmd.words.append(tok)
                self.pos += 1
            elif isinstance(tok, Redir):
                cmd.redirs.append(self.parse_redir())
            else:
                break
        if self.peek() == "(":
            raise ShellSyntaxError("sim: shell functions are not simulated")
        if not cmd.words and not cmd.redirs:
            raise self.unexpected()
        return cmd

    def parse_for(self) -> For:
        self.pos += 1
        name = self.take()
        if name == "(":
            raise ShellSyntaxError("sim: arithmetic for ((...)) loops are not simulated")
        if not isinstance(name, Word) or not NAME_RE.fullmatch(name.raw):
            raise self.unexpected(name)
        self.skip_newlines()
        words: list[Word] = []
        if _is_kw(self.peek(), "in"):
            self.pos += 1
            while isinstance(self.peek(), Word):
                words.append(self.take())  # type: ignore[arg-type]
        else:
            raise ShellSyntaxError("sim: `for NAME` over the positional parameters is not simulated")
        while self.peek() in (";", "\n"):
            self.pos += 1
        self.expect("do")
        body = self.parse_list(("done",))
        self.expect("done")
        return For(name.raw, words, body)

    def parse_if(self) -> If:
        branches: list[tuple[Seq, Seq]] = []
        otherwise = None
        self.pos += 1
        while True:
            cond = self.parse_list(("then",))
            self.expect("then")
            body = self.parse_list(("elif", "else", "fi"))
            branches.append((cond, body))
            kw = self.take()
            if _is_kw(kw, "elif"):
                continue
            if _is_kw(kw, "else"):
                otherwise = self.parse_list(("fi",))
                self.expect("fi")
            elif not _is_kw(kw, "fi"):
                raise self.unexpected(kw)
            return If(branches, otherwise)


@functools.lru_cache(maxsize=512)
def parse(line: str) -> Seq:
    """The tree of one command line. Cached: a probe sends the same lines every poll (tokenizing
    the file read's line was a quarter of the simulator's shell time), and no run mutates a tree."""
    parser = Parser(tokenize(line))
    seq = parser.parse_list()
    if parser.peek() is not None:
        raise parser.unexpected()
    return seq


