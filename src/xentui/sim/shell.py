"""A small POSIX-shell subset for the simulated dom0.

Enough for what an admin or a tool sends over non-interactive SSH:
command lists joined by `;`, `&&` and `||`; `cat`, `head` (several files,
`==> name <==` headers as coreutils prints them), `echo`, `hostname [-I]`,
`true`, `false`, `timeout N cmd`, `bash -c` / `sh -c`, bash's
`exec 3<>/dev/tcp/HOST/PORT` connect check, and `xe`.

Variables set by `read` expand (`$X`, `"$X"`, `${X}`); an unset variable,
command substitution (`$(..)`, backticks) and unsupported operators are
refused loudly rather than silently taken literally: a command that relies
on them would behave differently on a real host, so the simulator must not
pretend. Also `read -r NAME`, `[ -n .. ]`/`test`, `exit N`, `exec CMD`,
`readlink -f`, `pvs`, and the redirections `>/dev/null`, `2>/dev/null`,
`2>&1`.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from .state import SimHost, SimPool
from .xe import Result, XeCli

XE_PATHS = {"xe", "/opt/xensource/bin/xe", "/usr/bin/xe"}
MAX_READ = 64 * 1024 * 1024


class ShellSyntaxError(Exception):
    pass


Word = list[tuple[str, str]]  # segments: ("lit", text) or ("var", NAME), joined at run time
OPERATORS = (";", "&&", "||", "<>", ">&", "|", "<", ">", "&")
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _var(line: str, i: int) -> tuple[str, int]:
    """Read a variable reference after `$` at line[i]; returns (name, next index)."""
    if i < len(line) and line[i] == "{":
        j = line.find("}", i)
        name = line[i + 1 : j] if j > 0 else ""
        if not name or not set(name) <= NAME_CHARS:
            raise ShellSyntaxError("sim: only ${NAME} parameter expansion is simulated")
        return name, j + 1
    j = i
    while j < len(line) and line[j] in NAME_CHARS:
        j += 1
    if j == i:
        ch = line[i] if i < len(line) else ""
        if ch == "(":
            raise ShellSyntaxError("sim: command substitution $(...) is not simulated")
        raise ShellSyntaxError(f"sim: ${ch} expansion is not simulated")
    return line[i:j], j


def tokenize(line: str) -> list[Word | str]:
    """POSIX-style words (quotes removed, variables kept for run time) and operators."""
    out: list[Word | str] = []
    word: Word = []
    in_word = False
    i, n = 0, len(line)

    def lit(text: str) -> None:
        if word and word[-1][0] == "lit":
            word[-1] = ("lit", word[-1][1] + text)
        else:
            word.append(("lit", text))

    while i < n:
        ch = line[i]
        if ch in " \t\n":
            if in_word:
                out.append(word)
                word, in_word = [], False
            i += 1
        elif ch == "'":
            j = line.find("'", i + 1)
            if j < 0:
                raise ShellSyntaxError("sim: unterminated single quote")
            lit(line[i + 1 : j])
            in_word, i = True, j + 1
        elif ch == '"':
            i += 1
            in_word = True
            lit("")
            while True:
                if i >= n:
                    raise ShellSyntaxError("sim: unterminated double quote")
                c = line[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\" and i + 1 < n and line[i + 1] in '"\\$`':
                    lit(line[i + 1])
                    i += 2
                elif c == "$":
                    name, i = _var(line, i + 1)
                    word.append(("var", name))
                elif c == "`":
                    raise ShellSyntaxError("sim: command substitution `...` is not simulated")
                else:
                    lit(c)
                    i += 1
        elif ch == "\\":
            if i + 1 < n:
                lit(line[i + 1])
            in_word, i = True, i + 2
        elif ch == "$":
            name, i = _var(line, i + 1)
            word.append(("var", name))
            in_word = True
        elif ch == "`":
            raise ShellSyntaxError("sim: command substitution `...` is not simulated")
        elif ch in ";&|<>":
            if in_word:
                out.append(word)
                word, in_word = [], False
            for op in OPERATORS:
                if line.startswith(op, i):
                    out.append(op)
                    i += len(op)
                    break
        else:
            lit(ch)
            in_word, i = True, i + 1
    if in_word:
        out.append(word)
    return out


def split_list(line: str) -> list[tuple[str, list[Word | str]]]:
    """Split into (operator, words) pairs; operator is how it joins the previous one."""
    items: list[tuple[str, list[Word | str]]] = []
    op, argv = ";", []
    for tok in tokenize(line):
        if tok in (";", "&&", "||"):
            if argv:
                items.append((op, argv))
            op, argv = tok, []
        elif isinstance(tok, str):
            if tok in ("<>", "<", ">", ">&"):
                argv.append(tok)  # redirections: handled per command
            else:
                raise ShellSyntaxError(f"sim: operator {tok!r} is not simulated")
        else:
            argv.append(tok)
    if argv:
        items.append((op, argv))
    return items


class ShellExit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class Shell:
    def __init__(
        self,
        pool: SimPool,
        host: SimHost,
        root_password: str,
        read_stdin: Callable[[], Awaitable[str]],
        on_argv: Callable[[list[str]], None] | None = None,
        on_output: Callable[[bytes, bytes], None] | None = None,
    ) -> None:
        self.pool = pool
        self.host = host
        self.root_password = root_password
        self.read_stdin = read_stdin
        self.on_argv = on_argv  # tests observe exactly which argv arrived
        # A real shell's output reaches the client as each command writes it, not when the line ends:
        # given on_output, each command's output goes there at once (and run_line's Result has none).
        self.on_output = on_output
        self.vars: dict[str, str] = {}
        self.replaced = False  # `exec CMD` ran: nothing after it runs

    def expand(self, word: Word | str) -> str:
        if isinstance(word, str):
            return word
        parts = []
        for kind, value in word:
            if kind == "var":
                if value not in self.vars:
                    raise ShellSyntaxError(f"sim: variable {value} is not set")
                parts.append(self.vars[value])
            else:
                parts.append(value)
        return "".join(parts)

    async def run_line(self, line: str) -> Result:
        try:
            items = split_list(line)
        except ShellSyntaxError as e:
            return Result(b"", f"bash: {e}\n".encode(), 2)
        out, errs, status = bytearray(), bytearray(), 0
        for op, words in items:
            if op == "&&" and status != 0:
                continue
            if op == "||" and status == 0:
                continue
            try:
                argv = [self.expand(w) for w in words]
                while argv and "=" in argv[0] and argv[0].split("=", 1)[0] and set(argv[0].split("=", 1)[0]) <= NAME_CHARS:
                    argv = argv[1:]  # a prefix assignment (IFS= read ...): no effect simulated
                if not argv:
                    status = 0
                    continue
                r = await self.run_argv(argv)
            except ShellSyntaxError as e:
                r = Result(b"", f"bash: {e}\n".encode(), 2)
            except ShellExit as e:
                return Result(bytes(out), bytes(errs), e.status)
            if self.on_output is not None:
                self.on_output(r.stdout, r.stderr)
            else:
                out += r.stdout
                errs += r.stderr
            status = r.status
            if self.replaced:
                break
        return Result(bytes(out), bytes(errs), status)

    async def builtin_read(self, args: list[str]) -> Result:
        names = [a for a in args if not a.startswith("-")]
        line = await self.read_stdin()
        value = line[:-1] if line.endswith("\n") else line
        for name in names[:1]:
            self.vars[name] = value
        return Result(b"", b"", 0 if line.endswith("\n") else 1)

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
        elif len(args) == 1:
            ok = args[0] != ""
        return Result(b"", b"", 0 if ok else 1)

    async def builtin_exit(self, args: list[str]) -> Result:
        raise ShellExit(int(args[0]) if args and args[0].isdigit() else 0)

    async def run_argv(self, argv: list[str]) -> Result:
        argv, drop_out, drop_err, merge = _redirections(argv)
        if argv is None:
            return Result(b"", b"bash: sim: only >/dev/null, 2>/dev/null and 2>&1 redirections are simulated\n", 2)
        r = await self._run_argv(argv)
        out, err = (b"" if drop_out else r.stdout), (b"" if drop_err else r.stderr)
        if merge:
            out, err = out + err, b""
        return Result(out, err, r.status)

    async def _run_argv(self, argv: list[str]) -> Result:
        if self.on_argv:
            self.on_argv(list(argv))
        cmd, args = argv[0], argv[1:]
        if cmd in XE_PATHS:
            return await XeCli(self.pool, self.host, self.root_password, self.read_stdin).run(args)
        handler = {
            "cat": self.cat,
            "head": self.head,
            "echo": self.echo,
            "printf": self.printf,
            "hostname": self.hostname,
            "true": lambda a: _const(0),
            "false": lambda a: _const(1),
            "timeout": self.timeout,
            "bash": self.bash,
            "sh": self.bash,
            "exec": self.exec_builtin,
            "read": self.builtin_read,
            "[": self.builtin_test,
            "test": self.builtin_test,
            "exit": self.builtin_exit,
            "readlink": self.readlink,
            "pvs": self.pvs,
        }.get(cmd)
        if handler is None:
            return Result(b"", f"bash: {cmd}: command not found\n".encode(), 127)
        return await handler(args)

    # ---------------------------------------------------------------- builtins and coreutils
    def _read(self, path: str) -> bytes | str:
        try:
            p = self.host.path(path)
            if p.is_dir():
                return "Is a directory"
            with p.open("rb") as f:
                return f.read(MAX_READ)
        except FileNotFoundError:
            return "No such file or directory"
        except OSError as e:
            return e.strerror or "Input/output error"

    async def cat(self, args: list[str]) -> Result:
        out, errs, status = bytearray(), bytearray(), 0
        for path in args:
            data = self._read(path)
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
            else:
                files.append(a)
        out, errs, status = bytearray(), bytearray(), 0
        first = True
        for path in files:
            data = self._read(path)
            if isinstance(data, str):
                errs += f"head: cannot open '{path}' for reading: {data}\n".encode()
                status = 1
                continue
            if len(files) > 1 or verbose:
                out += (b"" if first else b"\n") + f"==> {path} <==\n".encode()
            first = False
            if count_bytes is not None:
                out += data[:count_bytes]
            else:
                out += b"".join(data.splitlines(keepends=True)[:lines])
        return Result(bytes(out), bytes(errs), status)

    async def echo(self, args: list[str]) -> Result:
        newline = True
        if args and args[0] == "-n":
            newline, args = False, args[1:]
        return Result((" ".join(args) + ("\n" if newline else "")).encode())

    async def printf(self, args: list[str]) -> Result:
        """printf FORMAT [ARG...] with %s and the usual backslash escapes."""
        if not args:
            return Result(b"", b"printf: usage: printf format [arguments]\n", 2)
        fmt = args[0].replace("\\n", "\n").replace("\\t", "\t")
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
            return await asyncio.wait_for(self.run_argv(args[1:]), seconds)
        except asyncio.TimeoutError:
            return Result(b"", b"", 124)

    async def bash(self, args: list[str]) -> Result:
        if len(args) >= 2 and args[0] == "-c":
            child = Shell(self.pool, self.host, self.root_password, self.read_stdin, self.on_argv)
            child.vars = dict(self.vars)  # a child shell: its exec and variables stay its own
            return await child.run_line(args[1])
        return Result(b"", b"sim: only `bash -c SCRIPT` is simulated\n", 2)

    async def exec_builtin(self, args: list[str]) -> Result:
        # exec 3<>/dev/tcp/HOST/PORT  -> tokens: "3", "<>", "/dev/tcp/HOST/PORT"
        target = args[-1] if args else ""
        if args and "<>" not in args:
            r = await self.run_argv(args)  # exec CMD: the shell is replaced by CMD
            self.replaced = True
            return r
        if not target.startswith("/dev/tcp/"):
            return Result(b"", b"sim: only `exec N<>/dev/tcp/HOST/PORT` is simulated\n", 2)
        host_part, _, port = target.removeprefix("/dev/tcp/").rpartition("/")
        return await self.tcp_connect(host_part, port, target)

    async def tcp_connect(self, address: str, port: str, target: str) -> Result:
        if address in ("127.0.0.1", "localhost", "::1", self.host.address):
            peer = self.host
        else:
            peer = self.pool.by_address(address)
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


async def _const(status: int) -> Result:
    return Result(b"", b"", status)


def _redirections(argv: list[str]) -> tuple[list[str] | None, bool, bool, bool]:
    """Strip `>/dev/null`, `2>/dev/null`, `2>&1`; None if another redirection is used."""
    out: list[str] = []
    drop_out = drop_err = merge = False
    i = 0
    while i < len(argv):
        tok = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if tok == "2" and nxt == ">" and i + 2 < len(argv) and argv[i + 2] == "/dev/null":
            drop_err, i = True, i + 3
        elif tok == "2" and nxt == ">&" and i + 2 < len(argv) and argv[i + 2] == "1":
            merge, i = True, i + 3
        elif tok == ">" and nxt == "/dev/null":
            drop_out, i = True, i + 2
        elif tok in (">", ">&", "<") and not (out and out[0] == "exec"):
            return None, False, False, False
        else:
            out.append(tok)
            i += 1
    return out, drop_out, drop_err, merge
