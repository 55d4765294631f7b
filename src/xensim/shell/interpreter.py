"""The simulated shell, running: a POSIX-shell subset for the simulated dom0, enough for an admin at a prompt.

What an admin or a tool sends over non-interactive SSH: command lists joined
by `;`, newlines, `&&` and `||`; pipelines (`|`, `!`); `for NAME in ...; do
...; done`, `while`/`until` loops (also fed by a pipe or `< file`), `if ...;
then ...; elif/else ...; fi`, `{ ...; }` and `( ... )`; `$?`, `$NAME`,
`${NAME}`, `NAME=value`, command substitution `$(...)` and backticks, with
field splitting of unquoted expansions; redirections `>`, `>>`, `<`, `N>&M`,
`&>` onto /dev/null or the host's own files, and bash's
`exec 3<>/dev/tcp/HOST/PORT` connect check.

Host-specific commands are simulated: `xe`, `cat`/`head`/`ls` of the host's
files, `mkdir [-p]`, `rmdir`, `rm [-f]` (as coreutils answers: the pool lease
is an atomic mkdir; tests/xensim/test_sim_lease_shell.py compares each with the
machine's bash), `hostname [-I]`, `pvs`, `readlink -f`, `xargs` (its command runs in
this shell, so `xe` stays simulated), and the builtins (`echo`, `printf`,
`read`, `test`/`[`, `true`, `false`, `exit`, `exec`, `break`, `continue`,
`timeout`, `bash -c`/`sh -c`); $HOME, $USER, $HOSTNAME, $PATH are a root
login's. Generic text filters (grep, sed, awk, cut, sort, uniq, wc, tr, tail,
paste) are the machine's real programs, run as subprocesses on the
simulated output under a timeout; their file operands are resolved inside
the host's simulated root (anything else is refused) and options that would
write files, follow files or run programs are refused.

An unset variable and every construct not listed (case, functions,
here-documents, arithmetic, background `&`, ...) are refused loudly with
exit status 2 rather than silently taken literally: a command that relies on
them would behave differently on a real host, so the simulator must not
pretend.
"""


from __future__ import annotations

import asyncio
import errno
import fnmatch
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable

from xensim.ha import TOOL_DIR as HA_TOOL_DIR, run_ha_tool
from xensim.state import SimHost, SimPool
from xensim.xe import Result, XeCli

from xensim.shell.lexer import ASSIGN_RE, PARAM_RE, UNSUPPORTED_WORDS, Redir, ShellSyntaxError, Word
from xensim.xapi import XapiHandler
from xensim.shell.parser import AndOr, Command, For, Group, If, Pipeline, Seq, Simple, While, parse

XE_PATHS = {"xe", "/opt/xensource/bin/xe", "/usr/bin/xe"}
MAX_READ = 64 * 1024 * 1024

# ------------------------------------------------------------------------------------ run time


class LoopControl(Exception):
    """`break N` / `continue N`: unwinds to the N-th enclosing loop."""

    def __init__(self, kind: str, levels: int) -> None:
        self.kind, self.levels = kind, levels
        self.partial = Result()


class ShellExit(Exception):
    """`exit N` (or `exec CMD`): ends the shell; ``partial`` is what it printed until then."""

    def __init__(self, status: int, partial: Result | None = None) -> None:
        self.status = status
        self.partial = partial or Result(b"", b"", status)


class Stdin:
    """A command's standard input: the SSH session's, or bytes (a pipe, `< file`)."""

    def __init__(self, data: bytes | None = None, session: Callable[[], Awaitable[str]] | None = None) -> None:
        self.data = data or b""
        self.session = session
        self.pos = 0

    async def readline(self) -> str:
        if self.session is not None:
            return await self.session()
        end = self.data.find(b"\n", self.pos)
        end = len(self.data) if end < 0 else end + 1
        line = self.data[self.pos : end]
        self.pos = end
        return line.decode(errors="replace")

    async def read_all(self) -> bytes:
        if self.session is not None:
            chunks = []
            while line := await self.session():
                chunks.append(line.encode())
            return b"".join(chunks)
        rest = self.data[self.pos :]
        self.pos = len(self.data)
        return rest


Stream = Callable[[bytes, bytes], None]

SIGPIPE_STATUS = 141  # 128 + SIGPIPE: how a shell killed by a write to a closed channel ends


def _emit(stream: Stream, out: bytes, err: bytes) -> None:
    """Hand output to the session; a closed channel kills the shell as SIGPIPE does (no message)."""
    if not out and not err:
        return
    try:
        stream(out, err)
    except (BrokenPipeError, ConnectionError, OSError):
        raise ShellExit(SIGPIPE_STATUS) from None


class TcpStream:
    """A descriptor opened by `exec N<>/dev/tcp/HOST/PORT`: what is written is sent, reads get the peer's answer.

    Port 80 of a host whose xapi listens is answered by the simulated xapi (`XapiHandler`) once
    a whole request head was written; any other peer accepts and sends nothing (a read waits
    until the caller's `timeout` ends it), as stunnel or an idle TCP server does."""

    def __init__(self, pool: SimPool, peer: SimHost, port: str, password: str) -> None:
        self.pool, self.peer, self.port, self.password = pool, peer, port, password
        self.sent = bytearray()
        self.answer: asyncio.StreamReader | None = None
        self.task: asyncio.Task[None] | None = None

    def write(self, data: bytes) -> None:
        self.sent += data

    async def readline(self) -> str:
        if self.answer is None:
            if self.port != "80" or b"\r\n\r\n" not in self.sent and b"\n\n" not in self.sent:
                await asyncio.Event().wait()  # nothing will ever come: the caller's timeout ends it
            request, answer = asyncio.StreamReader(), asyncio.StreamReader()
            request.feed_data(bytes(self.sent))
            request.feed_eof()
            self.answer = answer
            handler = XapiHandler(self.pool, self.peer, self.password, via_unix=False)
            self.task = asyncio.ensure_future(handler.serve(request, _Into(answer)))
        return (await self.answer.readline()).decode(errors="replace")


def _deliver(r: Result, stdout_sink: object, stderr_sink: object) -> Result:
    """A command's output sent where its descriptors 1 and 2 point: the shell's own stdout / stderr
    ("out", "err"), a /dev/tcp stream, a file (appended), or nowhere ("null")."""
    out, err = bytearray(), bytearray()
    for data, sink in ((r.stdout, stdout_sink), (r.stderr, stderr_sink)):
        if sink == "out":
            out += data
        elif sink == "err":
            err += data
        elif isinstance(sink, TcpStream):
            sink.write(data)
        elif isinstance(sink, Path):
            with sink.open("ab") as f:
                f.write(data)
    return Result(bytes(out), bytes(err), r.status)


class _Into:
    """The writer half of an in-memory stream (what XapiHandler writes its answer to)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader

    def write(self, data: bytes) -> None:
        self.reader.feed_data(data)

    async def drain(self) -> None:
        return None

    def close(self) -> None:
        if not self.reader.at_eof():
            self.reader.feed_eof()


_UPTIME_ORIGIN: dict[tuple[int, str], float] = {}


class Output:
    """What a list of commands printed so far (stdout and stderr kept apart)."""

    def __init__(self) -> None:
        self.out, self.err = bytearray(), bytearray()

    def add(self, r: Result) -> None:
        self.out += r.stdout
        self.err += r.stderr

    def result(self, status: int) -> Result:
        return Result(bytes(self.out), bytes(self.err), status)


def _syntax_error(e: ShellSyntaxError) -> Result:
    return Result(b"", f"bash: {e}\n".encode(), 2)


# ------------------------------------------------------------------------------------ real filters


@dataclass(frozen=True)
class Filter:
    """How one of the machine's text filters reads its arguments (GNU coreutils/grep/sed, mawk).

    ``arg_opts``: options taking a value (short as "-x", long as "--name");
    ``file_opts``: those whose value is a file (resolved inside the host);
    ``denied``: options that would write, follow or run something: refused;
    ``program``: the first operand is a pattern/script unless ``program_opts`` gave one;
    ``files``: whether the other operands are input files (tr's are sets).
    """

    arg_opts: frozenset[str] = frozenset()
    file_opts: frozenset[str] = frozenset()
    denied: frozenset[str] = frozenset()
    program: bool = False
    program_opts: frozenset[str] = frozenset()
    files: bool = True
    max_files: int | None = None
    extra: tuple[str, ...] = ()  # always passed first (sed's --sandbox)


def _fs(*names: str) -> frozenset[str]:
    return frozenset(names)


FILTERS: dict[str, Filter] = {
    "grep": Filter(
        arg_opts=_fs("-e", "-f", "-m", "-A", "-B", "-C", "-d", "-D", "--regexp", "--file", "--max-count",
                     "--after-context", "--before-context", "--context", "--label", "--devices", "--directories",
                     "--include", "--exclude", "--exclude-dir", "--binary-files", "--group-separator"),
        file_opts=_fs("-f", "--file"),
        denied=_fs("-r", "-R", "-d", "--recursive", "--dereference-recursive", "--directories", "--exclude-from"),
        program=True, program_opts=_fs("-e", "-f", "--regexp", "--file"),
    ),
    "sed": Filter(
        arg_opts=_fs("-e", "-f", "-l", "--expression", "--file", "--line-length"),
        file_opts=_fs("-f", "--file"),
        denied=_fs("-i", "--in-place"),
        program=True, program_opts=_fs("-e", "-f", "--expression", "--file"), extra=("--sandbox",),
    ),
    "awk": Filter(
        arg_opts=_fs("-F", "-v", "-f", "-W", "--field-separator", "--assign", "--file"),
        file_opts=_fs("-f", "--file"),
        denied=_fs("-W"),
        program=True, program_opts=_fs("-f", "--file"),
    ),
    "cut": Filter(arg_opts=_fs("-b", "-c", "-d", "-f", "--bytes", "--characters", "--delimiter", "--fields",
                               "--output-delimiter")),
    "sort": Filter(
        arg_opts=_fs("-k", "-t", "-S", "-o", "-T", "--key", "--field-separator", "--buffer-size", "--output",
                     "--temporary-directory", "--parallel", "--batch-size", "--sort", "--compress-program",
                     "--files0-from", "--random-source"),
        denied=_fs("-o", "-T", "--output", "--temporary-directory", "--compress-program", "--files0-from",
                   "--random-source"),
    ),
    "uniq": Filter(arg_opts=_fs("-f", "-s", "-w", "--skip-fields", "--skip-chars", "--check-chars"), max_files=1),
    "wc": Filter(arg_opts=_fs("--files0-from"), denied=_fs("--files0-from")),
    "tr": Filter(files=False),
    "paste": Filter(arg_opts=_fs("-d", "--delimiters")),
    "tail": Filter(
        arg_opts=_fs("-n", "-c", "-s", "--lines", "--bytes", "--sleep-interval", "--pid", "--max-unchanged-stats"),
        denied=_fs("-f", "-F", "--follow", "--retry", "--pid", "--sleep-interval"),
    ),
}
FILTER_DIRS = ("/usr/bin", "/bin")
FILTER_TIMEOUT = 10.0  # seconds a filter may run on the simulated output
AWK_ESCAPES = re.compile(r"system|getline|close|fflush|[|>]")  # how an awk program reaches outside


class Refused(Exception):
    pass


def _program_text(path: str) -> str:
    """A program file's text (awk -f, sed -f), for the checks made on programs given inline."""
    try:
        with open(path, "rb") as f:
            return f.read(MAX_READ).decode(errors="replace")
    except OSError:
        return ""


def _real_program(name: str) -> str | None:
    for d in FILTER_DIRS:
        path = os.path.join(d, name)
        if os.access(path, os.X_OK):
            return path
    return None


# ------------------------------------------------------------------------------------ the shell
class Shell:
    def __init__(
        self,
        pool: SimPool,
        host: SimHost,
        root_password: str,
        read_stdin: Callable[[], Awaitable[str]],
        on_argv: Callable[[list[str]], None] | None = None,
        on_output: Callable[[bytes, bytes], None] | None = None,
        missing: frozenset[str] = frozenset(),
    ) -> None:
        self.pool = pool
        self.missing = missing  # commands this login cannot run (a restricted PATH)
        self.host = host
        self.root_password = root_password
        self.read_stdin = read_stdin
        self.on_argv = on_argv  # tests observe exactly which argv arrived
        # A real shell's output reaches the client as each command writes it, not when the line ends:
        # given on_output, each top-level pipeline's output goes there at once (and run_line's Result has none).
        self.on_output = on_output
        # What a root login over ssh has in its environment on dom0.
        self.vars: dict[str, str] = {"HOME": "/root", "USER": "root", "LOGNAME": "root", "SHELL": "/bin/bash",
                                     "HOSTNAME": host.name, "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin:/opt/xensource/bin"}
        self.loops = 0  # how many loops enclose the running command (break/continue)
        self.status = 0  # $?
        self.stdin = Stdin(session=read_stdin)  # the running command's standard input
        self.filter_timeout = FILTER_TIMEOUT
        self.subst_status: int | None = None  # status of the last $(...) of the command being expanded
        self.subst_err = bytearray()  # what $(...) printed on stderr: the shell's stderr, not redirected
        # where the shell's own descriptors point, as `exec 2>&1` / `exec 3<>/dev/tcp/..` leave them:
        # "out"/"err" = the session's stdout/stderr, "null", or a TcpStream
        self.fds: dict[int, object] = {1: "out", 2: "err"}
        # while a simple command runs with its output going straight to the session: that sink
        # (a `bash -c` child streams its own output there too)
        self.stream: Stream | None = None

    def child(self) -> "Shell":
        """A subshell (pipeline stage, `( )`, `$( )`, `bash -c`): its variables and exit stay its own."""
        sub = Shell(self.pool, self.host, self.root_password, self.read_stdin, self.on_argv, missing=self.missing)
        sub.vars = dict(self.vars)
        sub.status = self.status
        sub.filter_timeout = self.filter_timeout
        sub.fds = dict(self.fds)  # descriptors are inherited
        return sub

    async def run_line(self, line: str) -> Result:
        try:
            seq = parse(line)
        except ShellSyntaxError as e:
            return _syntax_error(e)
        try:
            return await self.exec_seq(seq, self.stdin, stream=self.on_output)
        except ShellExit as e:
            if self.on_output is not None:
                try:
                    _emit(self.on_output, e.partial.stdout, e.partial.stderr)
                except ShellExit as gone:
                    return Result(b"", b"", gone.status)
                return Result(b"", b"", e.status)
            return Result(e.partial.stdout, e.partial.stderr, e.status)

    async def run_subshell(self, seq: Seq, stdin: Stdin, stream: Stream | None = None) -> Result:
        try:
            return await self.child().exec_seq(seq, stdin, stream)
        except ShellExit as e:
            if stream is not None:
                _emit(stream, e.partial.stdout, e.partial.stderr)
                return Result(b"", b"", e.status)
            return Result(e.partial.stdout, e.partial.stderr, e.status)

    # -- execution of the tree
    async def exec_seq(self, seq: Seq, stdin: Stdin, stream: Stream | None = None) -> Result:
        """Run a list; with ``stream``, output goes to it as each command writes it: a simple
        command's when it ends, a loop's or an `if`'s from inside it (a loop that never ends still
        streams), and a write to a closed session ends the shell as SIGPIPE does."""
        acc = Output()
        for and_or in seq.items:
            for op, pipeline in and_or.items:
                if (op == "&&" and self.status != 0) or (op == "||" and self.status == 0):
                    continue
                try:
                    r = await self.exec_pipeline(pipeline, stdin, stream)
                except (ShellExit, LoopControl) as e:
                    if stream is not None:
                        _emit(stream, e.partial.stdout, e.partial.stderr)
                        e.partial = Result(b"", b"", getattr(e, "status", 0))
                        raise
                    acc.add(e.partial)
                    e.partial = acc.result(getattr(e, "status", 0))
                    raise
                if stream is not None:
                    _emit(stream, r.stdout, r.stderr)
                else:
                    acc.add(r)
                self.status = r.status
        return acc.result(self.status)

    async def exec_pipeline(self, pipeline: Pipeline, stdin: Stdin, stream: Stream | None = None) -> Result:
        if len(pipeline.commands) == 1:
            r = await self.exec_command(pipeline.commands[0], stdin, stream)
        else:
            err = bytearray()
            feed = stdin
            for cmd in pipeline.commands:
                r = await self.run_subshell(Seq([AndOr([(";", Pipeline([cmd]))])]), feed)
                err += r.stderr
                feed = Stdin(r.stdout)
            r = Result(r.stdout, bytes(err), r.status)
        if pipeline.negate:
            r = Result(r.stdout, r.stderr, 0 if r.status else 1)
        return r

    async def exec_command(self, cmd: Command, stdin: Stdin, stream: Stream | None = None) -> Result:
        try:
            if isinstance(cmd, Simple):
                return await self.exec_simple(cmd, stdin, stream)
            if stream is not None and not cmd.redirs:
                return await self.exec_compound(cmd, stdin, stream)
            return await self.with_redirs(cmd.redirs, lambda sin: self.exec_compound(cmd, sin), stdin)
        except ShellSyntaxError as e:
            return _syntax_error(e)

    async def exec_compound(self, cmd: Command, stdin: Stdin, stream: Stream | None = None) -> Result:
        if isinstance(cmd, Group):
            if cmd.subshell:
                return await self.run_subshell(cmd.body, stdin, stream)
            return await self.exec_seq(cmd.body, stdin, stream)
        acc = Output()
        status = 0
        try:
            if isinstance(cmd, For):
                self.subst_err.clear()
                values = await self.expand_words(cmd.words)
                acc.err += self.subst_err
                self.subst_err.clear()
                for value in values:
                    self.vars[cmd.name] = value
                    status, stop = await self.loop_body(cmd.body, stdin, acc, stream)
                    if stop:
                        break
            elif isinstance(cmd, While):
                while True:
                    r = await self.exec_seq(cmd.cond, stdin, stream)
                    acc.add(r)
                    if (r.status == 0) == cmd.until:
                        break
                    status, stop = await self.loop_body(cmd.body, stdin, acc, stream)
                    if stop:
                        break
            elif isinstance(cmd, If):
                for cond, body in cmd.branches:
                    r = await self.exec_seq(cond, stdin, stream)
                    acc.add(r)
                    if r.status == 0:
                        r = await self.exec_seq(body, stdin, stream)
                        acc.add(r)
                        status = r.status
                        break
                else:
                    if cmd.otherwise is not None:
                        r = await self.exec_seq(cmd.otherwise, stdin, stream)
                        acc.add(r)
                        status = r.status
        except (ShellExit, LoopControl) as e:
            acc.add(e.partial)
            e.partial = acc.result(getattr(e, "status", 0))
            raise
        self.status = status
        return acc.result(status)

    async def loop_body(self, body: Seq, stdin: Stdin, acc: Output, stream: Stream | None = None) -> tuple[int, bool]:
        """One pass of a loop body, its output added to ``acc``: (its status, whether the loop stops here)."""
        self.loops += 1
        try:
            r = await self.exec_seq(body, stdin, stream)
            acc.add(r)
            return r.status, False
        except LoopControl as e:
            if e.levels > 1:
                e.levels -= 1
                raise
            acc.add(e.partial)
            return 0, e.kind == "break"
        finally:
            self.loops -= 1

    async def exec_simple(self, cmd: Simple, stdin: Stdin, stream: Stream | None = None) -> Result:
        self.subst_err.clear()
        self.stream = stream if not cmd.redirs else None
        try:
            r = await self._exec_simple(cmd, stdin)
        finally:
            self.stream = None
        if self.subst_err:
            r = Result(r.stdout, bytes(self.subst_err) + r.stderr, r.status)
            self.subst_err.clear()
        return self.route(r)

    def route(self, r: Result) -> Result:
        """A command's output sent where the shell's own descriptors point (after `exec 2>&1` ...)."""
        if self.fds[1] == "out" and self.fds[2] == "err":
            return r
        return _deliver(r, self.fds[1], self.fds[2])

    async def exec_redirs(self, redirs: list[Redir]) -> Result:
        """`exec` with redirections only: they stay for the rest of the shell (bash's persistent form)."""
        for rd in redirs:
            assert rd.target is not None
            target = await self.expand_one(rd.target)
            fd = rd.fd if rd.fd is not None else (0 if rd.op in ("<", "<>", "<&") else 1)
            if target.startswith("/dev/tcp/") and rd.op in ("<>", "<", ">"):
                host_part, _, port = target.removeprefix("/dev/tcp/").rpartition("/")
                r = await self.tcp_connect(host_part, port, target)
                if r.status != 0:
                    return r
                peer = self.peer_for(host_part)
                assert peer is not None
                self.fds[fd] = TcpStream(self.pool, peer, port, self.root_password)
            elif rd.op in (">&", "<&") and target.isdigit():
                if int(target) not in self.fds:
                    return Result(b"", f"bash: {target}: Bad file descriptor\n".encode(), 1)
                self.fds[fd] = self.fds[int(target)]
            elif rd.op in (">&", "<&") and target == "-":
                self.fds.pop(fd, None) if fd > 2 else self.fds.__setitem__(fd, "null")
            elif target == "/dev/null" and rd.op in (">", ">>"):
                self.fds[fd] = "null"
            else:
                raise ShellSyntaxError(f"sim: exec {rd.op}{target} (a lasting redirection to it) is not simulated")
        return Result()

    async def _exec_simple(self, cmd: Simple, stdin: Stdin) -> Result:
        words = list(cmd.words)
        assignments: list[tuple[str, Word]] = []
        while words and words[0] and words[0][0][0] == "lit" and (m := ASSIGN_RE.match(words[0][0][1])):
            value = Word([("lit", words[0][0][1][m.end() :]), *words[0][1:]])
            assignments.append((m.group(1), value))
            words.pop(0)
        self.subst_status = None
        argv = await self.expand_words(words)
        values = [(name, await self.expand_one(value)) for name, value in assignments]
        if argv == ["exec"] and cmd.redirs:
            return await self.exec_redirs(cmd.redirs)
        if not argv:
            for name, value in values:  # NAME=value alone: a shell variable
                self.vars[name] = value
            status = self.subst_status if self.subst_status is not None else 0
            return await self.with_redirs(cmd.redirs, lambda sin: _const(status), stdin)
        # NAME=value CMD: the command's environment only; nothing simulated reads it.
        return await self.with_redirs(cmd.redirs, lambda sin: self.run_argv(argv, sin), stdin)

    # -- expansion
    async def substitute(self, source: str) -> str:
        seq = parse(source)
        r = await self.run_subshell(seq, self.stdin)
        self.subst_status = r.status
        self.subst_err += r.stderr
        return r.stdout.decode(errors="replace").rstrip("\n")

    async def expand_one(self, word: Word) -> str:
        """A word expanded without field splitting (assignments, redirection targets)."""
        parts = []
        for kind, value in word:
            if kind == "lit":
                parts.append(value)
            elif kind in ("var", "qvar"):
                parts.append(self.lookup(value))
            else:
                parts.append(await self.substitute(value))
        return "".join(parts)

    def lookup(self, name: str) -> str:
        m = PARAM_RE.fullmatch(name)
        base, op, pattern = (m.group(1), m.group(2), m.group(3)) if m else (name, None, "")
        if base == "?":
            value = str(self.status)
        elif base not in self.vars:
            raise ShellSyntaxError(f"sim: variable {base} is not set")
        else:
            value = self.vars[base]
        return value if op is None else remove_pattern(value, op, pattern)

    async def expand_words(self, words: list[Word]) -> list[str]:
        """Words to fields: unquoted expansions are split on blanks, as with the default IFS."""
        fields: list[str] = []
        for word in words:
            cur: list[str] = []
            have = False  # a field exists even if empty (it had quotes or literal text)
            for kind, value in word:
                if kind == "lit":
                    cur.append(value)
                    have = True
                    continue
                text = self.lookup(value) if kind in ("var", "qvar") else await self.substitute(value)
                if kind in ("qvar", "qcmd"):
                    cur.append(text)
                    have = True
                    continue
                pieces = text.split()
                if not pieces:
                    continue
                if text[:1].isspace() and have:
                    fields.append("".join(cur))
                    cur = []
                for k, piece in enumerate(pieces):
                    if k:
                        fields.append("".join(cur))
                        cur = []
                    cur.append(piece)
                have = True
                if text[-1:].isspace():
                    fields.append("".join(cur))
                    cur, have = [], False
            if have:
                fields.append("".join(cur))
        return fields

    # -- redirections
    def host_path(self, path: str) -> Path:
        """A path of the simulated host, jailed in its root (relative ones from / as the simulator always did)."""
        return self.host.path(path)

    async def with_redirs(
        self, redirs: list[Redir], run: Callable[[Stdin], Awaitable[Result]], stdin: Stdin
    ) -> Result:
        fds: dict[int, object] = {1: "out", 2: "err"}
        for rd in redirs:
            assert rd.target is not None
            if rd.op in (">&", "<&") and rd.target.raw.isdigit() and int(rd.target.raw) > 2:
                opened = self.fds.get(int(rd.target.raw))
                if not isinstance(opened, TcpStream):
                    return Result(b"", f"bash: {rd.target.raw}: Bad file descriptor\n".encode(), 1)
                if rd.op == "<&":
                    stdin = Stdin(session=opened.readline)
                else:
                    fds[rd.fd if rd.fd is not None else 1] = opened
                continue
            assert rd.target is not None
            target = await self.expand_one(rd.target)
            if target.startswith("/dev/tcp/") and rd.op in ("<>", "<", ">"):
                host_part, _, port = target.removeprefix("/dev/tcp/").rpartition("/")
                r = await self.tcp_connect(host_part, port, target)
                if r.status != 0:
                    return r
                continue
            if rd.op in (">&", "<&") and (target.isdigit() or target == "-"):
                fd = rd.fd if rd.fd is not None else (1 if rd.op == ">&" else 0)
                if fd in fds:
                    fds[fd] = "null" if target == "-" else fds.get(int(target), "null")
                continue
            if rd.op == "<":
                data = self._read(target)
                if isinstance(data, str):
                    return Result(b"", f"bash: {target}: {data}\n".encode(), 1)
                stdin = Stdin(data)
                continue
            if rd.op == "<>" or rd.op == "<&":
                raise ShellSyntaxError(f"sim: the redirection {rd.op}{target} is not simulated")
            sink: object
            if target == "/dev/null":
                sink = "null"
            elif target in ("/dev/stdout", "/dev/stderr"):
                sink = fds[1 if target == "/dev/stdout" else 2]
            else:
                try:
                    p = self.host_path(target)
                    p.parent.resolve().relative_to(self.host.root.resolve())
                    append = rd.op in (">>", "&>>")
                    p.parent.mkdir(parents=True, exist_ok=True)
                    p.open("ab" if append else "wb").close()
                except (OSError, ValueError) as e:
                    why = (e.strerror if isinstance(e, OSError) else None) or "Permission denied"
                    return Result(b"", f"bash: {target}: {why}\n".encode(), 1)
                sink = p
            if rd.op in ("&>", "&>>", ">&"):
                fds[1] = fds[2] = sink
            else:
                fd = rd.fd if rd.fd is not None else 1
                if fd in fds:
                    fds[fd] = sink
        return _deliver(await run(stdin), fds[1], fds[2])

    # -- commands
    async def run_argv(self, argv: list[str], stdin: Stdin | None = None) -> Result:
        if stdin is not None:
            self.stdin = stdin
        if self.on_argv:
            self.on_argv(list(argv))
        cmd, args = argv[0], argv[1:]
        if cmd in self.missing or cmd.rsplit("/", 1)[-1] in self.missing:
            return Result(b"", f"bash: {cmd}: command not found\n".encode(), 127)
        if cmd in XE_PATHS:
            return await XeCli(self.pool, self.host, self.root_password, self.stdin.readline).run(args)
        handler = {
            "cat": self.cat,
            "head": self.head,
            "echo": self.echo,
            "printf": self.printf,
            "hostname": self.hostname,
            "true": lambda a: _const(0),
            "false": lambda a: _const(1),
            ":": lambda a: _const(0),
            "timeout": self.timeout,
            "sleep": self.sleep,
            "bash": self.bash,
            "sh": self.bash,
            "exec": self.exec_builtin,
            "read": self.builtin_read,
            "[": self.builtin_test,
            "test": self.builtin_test,
            "exit": self.builtin_exit,
            "break": lambda a: self.builtin_loop_control("break", a),
            "continue": lambda a: self.builtin_loop_control("continue", a),
            "xargs": self.xargs,
            "ls": self.ls,
            "readlink": self.readlink,
            "pvs": self.pvs,
            "mkdir": self.mkdir,
            "rmdir": self.rmdir,
            "rm": self.rm,
        }.get(cmd)
        if handler is not None:
            return await handler(args)
        if cmd.startswith(HA_TOOL_DIR):  # xapi's HA scripts (xensim/ha.py)
            out, err, status = run_ha_tool(self.pool, self.host, cmd, args, self.lookup("PATH"))
            return Result(out, err, status)
        name = cmd.rsplit("/", 1)[-1] if cmd.startswith(FILTER_DIRS) else cmd
        if name in FILTERS:
            return await self.real_filter(name, args)
        if cmd in UNSUPPORTED_WORDS:
            return Result(b"", f"bash: sim: {UNSUPPORTED_WORDS[cmd]} are not simulated\n".encode(), 2)
        return Result(b"", f"bash: {cmd}: command not found\n".encode(), 127)

    async def real_filter(self, name: str, args: list[str]) -> Result:
        """The machine's own grep/sed/awk/... on the simulated input, files only from the host's root."""
        program = _real_program("gawk" if name == "awk" else name) or _real_program(name)
        if program is None:
            return Result(b"", f"bash: {name}: command not found\n".encode(), 127)
        spec = FILTERS[name]
        sandboxed_awk = name == "awk" and program.endswith("gawk")
        try:
            argv, reads_files, texts = self.filter_argv(name, spec, args)
            if name == "awk" and not sandboxed_awk and any(AWK_ESCAPES.search(t) for t in texts):
                raise Refused("awk programs using system, getline, close, fflush, | or > run only under gawk "
                              "--sandbox, which this machine lacks")
        except Refused as e:
            return Result(b"", f"bash: sim: {name}: {e}\n".encode(), 2)
        extra = ("--sandbox",) if sandboxed_awk else spec.extra
        data = b"" if reads_files else await self.stdin.read_all()
        proc = await asyncio.create_subprocess_exec(
            name, *extra, *argv, executable=program, cwd=str(self.host.root),
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(data), self.filter_timeout)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            return Result(b"", f"bash: sim: {name} ran longer than {self.filter_timeout:g} s\n".encode(), 124)
        except asyncio.CancelledError:
            proc.kill()
            await proc.wait()
            raise
        root = str(self.host.root).encode()
        assert proc.returncode is not None
        return Result(out.replace(root, b""), err.replace(root, b""), proc.returncode)

    def filter_argv(self, name: str, spec: Filter, args: list[str]) -> tuple[list[str], bool, list[str]]:
        """(argv with host paths mapped into the root, whether files are read, program texts)."""
        out: list[str] = []
        texts: list[str] = []
        have_program = False
        files = 0
        operands_only = False
        i = 0
        while i < len(args):
            a = args[i]
            i += 1
            if operands_only or a == "-" or not a.startswith("-"):
                if a == "--" and not operands_only:
                    operands_only = True
                    out.append(a)
                    continue
                if spec.program and not have_program:
                    have_program = True
                    texts.append(a)
                    out.append(a)
                elif not spec.files or a == "-" or (name == "awk" and ASSIGN_RE.match(a)):
                    out.append(a)
                else:
                    files += 1
                    if spec.max_files is not None and files > spec.max_files:
                        raise Refused(f"an output file operand ({a}) is not simulated")
                    out.append(self.filter_file(a))
                continue
            if a == "--":
                operands_only = True
                out.append(a)
                continue
            if a.startswith("--"):
                opt, eq, value = a.partition("=")
                if opt in spec.denied:
                    raise Refused(f"option {opt} is not simulated (it writes, follows or runs something)")
                if opt in spec.arg_opts and not eq:
                    if i >= len(args):
                        out.append(a)
                        continue
                    value, i = args[i], i + 1
                if opt in spec.arg_opts:
                    mapped = self.filter_file(value) if opt in spec.file_opts else value
                    if opt in spec.program_opts:
                        have_program = True
                        texts.append(_program_text(mapped) if opt in spec.file_opts else value)
                    out.append(f"{opt}={mapped}")
                else:
                    out.append(a)
                continue
            # a cluster of short options: -inE, -A3, -F:, -vcut
            for k in range(1, len(a)):
                opt = "-" + a[k]
                if opt in spec.denied:
                    raise Refused(f"option {opt} is not simulated (it writes, follows or runs something)")
                if opt in spec.arg_opts:
                    value = a[k + 1 :]
                    if not value:
                        if i >= len(args):
                            out.append(a)
                            break
                        value, i = args[i], i + 1
                    mapped = self.filter_file(value) if opt in spec.file_opts else value
                    if opt in spec.program_opts:
                        have_program = True
                        texts.append(_program_text(mapped) if opt in spec.file_opts else value)
                    out.extend([a[: k + 1], mapped])
                    break
            else:
                out.append(a)
        return out, files > 0, texts

    def filter_file(self, path: str) -> str:
        """A file operand of a real filter: the host's file inside its root, never the machine's."""
        if path == "-":
            return path
        try:
            p = self.host_path(path)
            root = self.host.root.resolve()
            p.resolve().relative_to(root)
        except (PermissionError, ValueError, OSError):
            raise Refused(f"{path}: only the host's own files are simulated") from None
        return str(p)

    # ---------------------------------------------------------------- builtins and coreutils
    async def builtin_read(self, args: list[str]) -> Result:
        """read [-r] [NAME...]: one line split on blanks (default IFS), the last name taking the rest."""
        names = [a for a in args if not a.startswith("-")] or ["REPLY"]
        line = await self.stdin.readline()
        value = line[:-1] if line.endswith("\n") else line
        if names == ["REPLY"]:
            self.vars["REPLY"] = value
        else:
            fields = value.strip(" \t").split(None, len(names) - 1) if value.strip(" \t") else []
            for k, name in enumerate(names):
                self.vars[name] = fields[k].strip(" \t") if k < len(fields) else ""
        return Result(b"", b"", 0 if line.endswith("\n") else 1)

    async def sleep(self, args: list[str]) -> Result:
        """coreutils sleep NUMBER[smhd]...: the sum of its operands (fractions allowed)."""
        if not args:
            return Result(b"", b"sleep: missing operand\nTry 'sleep --help' for more information.\n", 1)
        total = 0.0
        for a in args:
            unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(a[-1:], None)
            try:
                n = float(a[:-1] if unit else a)
                if n < 0 or n != n:
                    raise ValueError
            except ValueError:
                return Result(b"", f"sleep: invalid time interval '{a}'\nTry 'sleep --help' for more "
                              f"information.\n".encode(), 1)
            total += n * (unit or 1)
        await asyncio.sleep(total)
        return Result()

    async def builtin_test(self, args: list[str]) -> Result:
        if args and args[-1] == "]":
            args = args[:-1]
        ok = False
        if len(args) == 2 and args[0] == "-n":
            ok = args[1] != ""
        elif len(args) == 2 and args[0] == "-z":
            ok = args[1] == ""
        elif len(args) == 3 and args[1] in ("=", "=="):
            ok = args[0] == args[2]
        elif len(args) == 3 and args[1] == "!=":
            ok = args[0] != args[2]
        elif len(args) == 3 and args[1] in INT_TESTS:
            try:
                ok = INT_TESTS[args[1]](int(args[0]), int(args[2]))
            except ValueError:
                return Result(b"", f"bash: [: {args[0]}: integer expression expected\n".encode(), 2)
        elif len(args) == 2 and args[0] in ("-e", "-f", "-d", "-s"):
            try:
                p = self.host_path(args[1])
                ok = {"-e": p.exists, "-f": p.is_file, "-d": p.is_dir,
                      "-s": lambda: p.is_file() and p.stat().st_size > 0}[args[0]]()
            except (PermissionError, OSError):
                ok = False
        elif len(args) == 2 and args[0] == "!":
            ok = args[1] == ""
        elif len(args) == 1:
            ok = args[0] != ""
        elif args:
            return Result(b"", f"bash: sim: test {' '.join(args)}: only -n -z -e -f -d -s, = != and -eq.. are "
                          f"simulated\n".encode(), 2)
        return Result(b"", b"", 0 if ok else 1)

    async def builtin_loop_control(self, kind: str, args: list[str]) -> Result:
        levels = int(args[0]) if args and args[0].isdigit() and int(args[0]) > 0 else 1
        if not self.loops:
            return Result(b"", f"bash: {kind}: only meaningful in a `for', `while', or `until' loop\n".encode())
        raise LoopControl(kind, min(levels, self.loops))

    async def xargs(self, args: list[str]) -> Result:
        """xargs [-r] [-n N] [-I R] CMD...: CMD run by this shell (so xe stays simulated) on stdin's words."""
        per, replace, it = 0, None, list(args)
        while it and it[0].startswith("-") and len(it[0]) > 1:
            opt = it.pop(0)
            if opt in ("-r", "--no-run-if-empty"):
                continue
            if opt.startswith("-n") and (opt[2:] or it):
                per = int(opt[2:] or it.pop(0))
            elif opt.startswith("-I") and (opt[2:] or it):
                replace = opt[2:] or it.pop(0)
            else:
                return Result(b"", f"bash: sim: xargs {opt} is not simulated (only -r, -n N, -I R)\n".encode(), 2)
        data = (await self.stdin.read_all()).decode(errors="replace")
        command = it or ["echo"]
        if replace is not None:
            batches = [[line.strip()] for line in data.splitlines() if line.strip()]
        else:
            items = data.split()
            size = per or max(len(items), 1)
            batches = [items[i : i + size] for i in range(0, len(items), size)] if items else []
        acc, status = Output(), 0
        for batch in batches:
            argv = [a.replace(replace, batch[0]) for a in command] if replace is not None else command + batch
            r = await self.run_argv(argv, Stdin(b""))
            acc.add(r)
            status = 123 if r.status else status
        return acc.result(status)

    async def ls(self, args: list[str]) -> Result:
        """ls [-1] [-a] [PATH...]: names in the host's directories, one per line as over ssh without a tty."""
        flags = "".join(a[1:] for a in args if a.startswith("-") and len(a) > 1)
        if set(flags) - set("1aA"):
            return Result(b"", f"bash: sim: ls -{flags} is not simulated (only -1, -a)\n".encode(), 2)
        paths = [a for a in args if not (a.startswith("-") and len(a) > 1)] or ["/root"]
        out, errs, status = [], [], 0
        for path in paths:
            try:
                p = self.host_path(path)
                exists = p.exists()
            except (PermissionError, OSError):
                exists = False
            if not exists:
                errs.append(f"ls: cannot access '{path}': No such file or directory\n")
                status = 2
                continue
            names = sorted(x.name for x in p.iterdir() if "a" in flags or "A" in flags or not x.name.startswith(".")) \
                if p.is_dir() else [path]
            if len(paths) > 1 and p.is_dir():
                out.append(("\n" if out else "") + f"{path}:\n")
            out.extend(f"{n}\n" for n in names)
        return Result("".join(out).encode(), "".join(errs).encode(), status)

    def _operands(self, name: str, args: list[str], flags: str) -> tuple[set[str], list[str]] | Result:
        """Split `name [-FLAGS] [--] OPERAND...` the way coreutils does; an unknown flag is refused."""
        given: set[str] = set()
        operands: list[str] = []
        ended = False
        for a in args:
            if not ended and a == "--":
                ended = True
            elif not ended and a.startswith("-") and len(a) > 1:
                if set(a[1:]) - set(flags):
                    return Result(b"", f"bash: sim: {name} {a} is not simulated (only -{flags})\n".encode(), 2)
                given |= set(a[1:])
            else:
                operands.append(a)
        if not operands and not (name == "rm" and "f" in given):  # `rm -f` alone: nothing to do, no error
            return Result(b"", f"{name}: missing operand\nTry '{name} --help' for more information.\n".encode(), 1)
        return given, operands

    def _each_operand(self, operands: list[str], act: Callable[[Path], None], failed: str,
                      ignore: frozenset[int] = frozenset()) -> Result:
        """Run one system call per operand as coreutils does: every operand is tried, each failure is
        one line `<failed> '<operand>': <the C library's words>` (File exists, Not a directory, …),
        and the status is 1 when any failed. Errors whose errno is in *ignore* are silent (rm -f)."""
        errs = []
        for operand in operands:
            try:
                act(self.host_path(operand))
            except OSError as e:
                if e.errno not in ignore:
                    errs.append(f"{failed} '{operand}': {e.strerror or 'Permission denied'}\n")
        return Result(b"", "".join(errs).encode(), 1 if errs else 0)

    def _file_command(self, name: str, args: list[str], flags: str, act: Callable[[set[str], Path], None],
                      failed: str, silent: Callable[[set[str]], frozenset[int]] = lambda flags: frozenset()) -> Result:
        """`name [-FLAGS] OPERAND...`: one system call per operand (`act(flags, path)`), as coreutils runs it."""
        parsed = self._operands(name, args, flags)
        if isinstance(parsed, Result):
            return parsed
        given, operands = parsed
        return self._each_operand(operands, lambda p: act(given, p), failed, silent(given))

    async def mkdir(self, args: list[str]) -> Result:
        """mkdir [-p] DIR...: mkdir(2) creates or fails atomically, so two clients racing get one success."""

        def make(flags: set[str], p: Path) -> None:
            p.mkdir(parents="p" in flags, exist_ok="p" in flags)

        return self._file_command("mkdir", args, "p", make, "mkdir: cannot create directory")

    async def rmdir(self, args: list[str]) -> Result:
        """rmdir DIR...: removes only an empty directory (rmdir(2)), else says why."""

        def remove(flags: set[str], p: Path) -> None:
            if p.exists() and not p.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
            p.rmdir()

        return self._file_command("rmdir", args, "", remove, "rmdir: failed to remove")

    async def rm(self, args: list[str]) -> Result:
        """rm [-f] FILE...: unlink(2) of files (directories are refused, as rm without -r does); -f: a missing
        file is no error."""

        def remove(flags: set[str], p: Path) -> None:
            if p.is_dir():
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
            p.unlink()

        return self._file_command("rm", args, "f", remove, "rm: cannot remove",
                                  lambda flags: frozenset({errno.ENOENT}) if "f" in flags else frozenset())

    async def builtin_exit(self, args: list[str]) -> Result:
        raise ShellExit(int(args[0]) if args and args[0].isdigit() else 0)

    def _read(self, path: str) -> bytes | str:
        if path == "/proc/uptime":  # seconds since the host booted, and its CPUs' idle time
            origin = _UPTIME_ORIGIN.setdefault((id(self.pool), self.host.name), time.monotonic() - 4242.0)
            up = time.monotonic() - origin
            return f"{up:.2f} {up * 15.5:.2f}\n".encode()
        try:
            with open(self.host_path(path), "rb") as f:  # the open says "directory" itself: no stat first
                return f.read(MAX_READ)
        except IsADirectoryError:
            return "Is a directory"
        except FileNotFoundError:
            return "No such file or directory"
        except OSError as e:
            return e.strerror or "Input/output error"

    async def cat(self, args: list[str]) -> Result:
        out, errs, status = bytearray(), bytearray(), 0
        for path in args or ["-"]:
            data = await self.stdin.read_all() if path == "-" else self._read(path)
            if isinstance(data, str):
                errs += f"cat: {path}: {data}\n".encode()
                status = 1
            else:
                out += data
        return Result(bytes(out), bytes(errs), status)

    async def head(self, args: list[str]) -> Result:
        count_bytes: int | None = None
        lines = 10
        files: list[str] = []
        verbose = False
        it = iter(args)
        for a in it:
            if a == "--":
                files.extend(it)
                break
            if a in ("-v", "--verbose"):
                verbose = True
            elif a == "-c":
                count_bytes = int(next(it))
            elif a.startswith("-c"):
                count_bytes = int(a[2:])
            elif a == "-n":
                lines = int(next(it))
            elif a.startswith("-n"):
                lines = int(a[2:])
            elif a[:1] == "-" and a[1:].isdigit():  # head -3, the old form
                lines = int(a[1:])
            else:
                files.append(a)
        out, errs, status = bytearray(), bytearray(), 0
        first = True
        for path in files or ["-"]:
            data = await self.stdin.read_all() if path == "-" else self._read(path)
            if isinstance(data, str):
                errs += f"head: cannot open '{path}' for reading: {data}\n".encode()
                status = 1
                continue
            if len(files) > 1 or verbose:
                label = "standard input" if path == "-" else path
                out += (b"" if first else b"\n") + f"==> {label} <==\n".encode()
            first = False
            if count_bytes is not None:
                out += data[:count_bytes]
            else:
                out += b"".join(data.splitlines(keepends=True)[:lines])
        return Result(bytes(out), bytes(errs), status)

    async def echo(self, args: list[str]) -> Result:
        newline, escapes = True, False
        while args and args[0] in ("-n", "-e", "-E", "-ne", "-en"):
            newline = newline and "n" not in args[0]
            escapes = "e" in args[0]
            args = args[1:]
        text = " ".join(args)
        if escapes:
            text = text.replace("\\n", "\n").replace("\\t", "\t")
        return Result((text + ("\n" if newline else "")).encode())

    async def printf(self, args: list[str]) -> Result:
        """printf FORMAT [ARG...] with %s and the usual backslash escapes."""
        if not args:
            return Result(b"", b"printf: usage: printf format [arguments]\n", 2)
        fmt = args[0].replace("\\n", "\n").replace("\\t", "\t").replace("\\r", "\r")
        values = args[1:]
        out, i = [], 0
        parts = fmt.split("%s")
        for n, part in enumerate(parts):
            out.append(part)
            if n < len(parts) - 1:
                out.append(values[i] if i < len(values) else "")
                i += 1
        return Result("".join(out).encode())

    async def readlink(self, args: list[str]) -> Result:
        """readlink -f [--] PATH...: canonical paths, symlinks resolved inside the host."""
        paths = [a for a in args if a not in ("-f", "--", "-e", "-m")]
        out, errs, status = [], [], 0
        root = self.host.root.resolve()
        for path in paths:
            try:
                real = self.host.path(path).resolve()
                rel = real.relative_to(root)
            except (ValueError, OSError, PermissionError):
                errs.append(f"readlink: {path}: No such file or directory\n")
                status = 1
                continue
            if not real.parent.exists():
                status = 1
                continue
            out.append("/" + str(rel) + "\n")
        return Result("".join(out).encode(), "".join(errs).encode(), status)

    async def pvs(self, args: list[str]) -> Result:
        """pvs --noheadings -o pv_name,vg_name: the host's LVM physical volumes."""
        rows = "".join(f"  {dev:<10} {vg}\n" for dev, vg in sorted(self.host.pvs.items()))
        if "--noheadings" not in args:
            rows = "  PV         VG\n" + rows
        return Result(rows.encode())

    async def hostname(self, args: list[str]) -> Result:
        if args[:1] == ["-I"]:
            return Result(f"{self.host.address} \n".encode())
        return Result(f"{self.host.name}\n".encode())

    async def timeout(self, args: list[str]) -> Result:
        if len(args) < 2:
            return Result(b"", b"timeout: missing operand\n", 125)
        while args and args[0].startswith("-"):  # -k DURATION, -s SIGNAL, --preserve-status
            args = args[2:] if args[0] in ("-k", "-s") else args[1:]
        if len(args) < 2:
            return Result(b"", b"timeout: missing operand\n", 125)
        try:
            seconds = float(args[0].rstrip("s"))
        except ValueError:
            return Result(b"", f"timeout: invalid time interval '{args[0]}'\n".encode(), 125)
        try:
            return await _host_clock_wait_for(self.run_argv(args[1:], self.stdin), seconds)
        except asyncio.TimeoutError:
            return Result(b"", b"", 124)

    async def bash(self, args: list[str]) -> Result:
        """bash [--norc] [--noprofile] [--posix] -c SCRIPT [ARG0 [ARG...]]: a child shell; ARG0 is its $0,
        the rest $1, $2, ... (what an rc file would set up is not simulated: --norc changes nothing)."""
        while args and args[0] in ("--norc", "--noprofile", "--posix"):
            args = args[1:]
        if len(args) >= 2 and args[0] == "-c":
            child = self.child()  # a child shell: its exec, exit and variables stay its own
            child.stdin = self.stdin
            for key in [k for k in child.vars if k.isdigit()]:
                del child.vars[key]
            child.vars["0"] = args[2] if len(args) > 2 else "bash"
            for k, value in enumerate(args[3:], start=1):
                child.vars[str(k)] = value
            child.on_output = self.stream  # run straight into the session: its output streams too
            return await child.run_line(args[1])
        return Result(b"", b"sim: only `bash -c SCRIPT` is simulated\n", 2)

    async def exec_builtin(self, args: list[str]) -> Result:
        """`exec CMD`: the shell becomes CMD, nothing after it runs (`exec 3<>/dev/tcp/..` is a redirection)."""
        if not args:
            return Result()
        r = await self.run_argv(args, self.stdin)
        raise ShellExit(r.status, r)

    def peer_for(self, address: str) -> SimHost | None:
        if address in ("127.0.0.1", "localhost", "::1", self.host.address):
            return self.host
        return self.pool.by_address(address)

    async def tcp_connect(self, address: str, port: str, target: str) -> Result:
        peer = self.peer_for(address)
        if peer is None or not self.pool.can_reach(self.host, peer):
            # Packets dropped: the connect never completes (the caller's timeout ends it).
            await asyncio.Event().wait()
        assert peer is not None
        await asyncio.sleep(self.pool.timing.reach_connect + peer.latency)
        if port in ("443", "80") and self.pool.xapi_listening(peer):
            return Result()
        if port == "22" and peer.powered:
            return Result()
        return Result(b"", f"bash: connect: Connection refused\nbash: {target}: Connection refused\n".encode(), 1)


async def _host_clock_wait_for(aw: Awaitable[Result], seconds: float) -> Result:
    """`asyncio.wait_for` on the simulated host's own clock: a real host has CPUs of its own, so
    the time the simulator process waited for a CPU (a starved jump box running it) is not time
    that passed on the host. Each slice of the wait counts at most what was asked of it."""
    task = asyncio.ensure_future(aw)
    step, counted = max(0.05, seconds / 8), 0.0
    loop = asyncio.get_running_loop()
    try:
        while True:
            want = max(0.0, min(step, seconds - counted))
            t = loop.time()
            done, _ = await asyncio.wait({task}, timeout=want)
            if done:
                return task.result()
            counted += min(loop.time() - t, want + 0.02)
            if counted >= seconds - 1e-6:
                raise asyncio.TimeoutError
    finally:
        if not task.done():
            task.cancel()
            try:
                await task
            except BaseException:
                pass


async def _const(status: int) -> Result:
    return Result(b"", b"", status)


INT_TESTS: dict[str, Callable[[int, int], bool]] = {
    "-eq": lambda a, b: a == b, "-ne": lambda a, b: a != b, "-lt": lambda a, b: a < b,
    "-le": lambda a, b: a <= b, "-gt": lambda a, b: a > b, "-ge": lambda a, b: a >= b,
}


def remove_pattern(value: str, op: str, pattern: str) -> str:
    """${v#p} ${v##p} ${v%p} ${v%%p}: the shortest/longest prefix/suffix matching the glob `pattern` removed."""
    n = len(value)
    if op in ("#", "##"):
        ends = range(0, n + 1) if op == "#" else range(n, -1, -1)
        for k in ends:
            if fnmatch.fnmatchcase(value[:k], pattern):
                return value[k:]
        return value
    starts = range(n, -1, -1) if op == "%" else range(0, n + 1)
    for k in starts:
        if fnmatch.fnmatchcase(value[k:], pattern):
            return value[:k]
    return value
