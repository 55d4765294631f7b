"""What a command does when the reader of its output goes away.

`xentui watch --json | head -1`, `xentui status | head -1`, a wrapper script
killed, a terminal closed: the next write to stdout fails with EPIPE.  That is
the reader's choice, not an error of ours, so it ends the command quietly, the
way a Unix tool killed by SIGPIPE ends: no traceback, no further writes, exit
status 141 (128 + SIGPIPE), which is what a shell reports for `yes | head -1`.

SIGPIPE itself stays ignored (Python's default): restoring its default action
would also kill the process on a write to a closed SSH socket.
"""

from __future__ import annotations

import os
import select
import signal
import sys

READER_GONE = 128 + signal.SIGPIPE  # 141, the shell's status for a writer whose reader left


def detach_stdout() -> None:
    """Point stdout at /dev/null, so that nothing, not even the interpreter's last flush, writes to the
    closed pipe again (Python's own advice for EPIPE: docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def stdout_reader_gone() -> bool:
    """True when stdout is a pipe (or socket) whose reader has closed its end, without writing to it.

    A pipe's write end polls POLLERR once no reader is left, a hung-up terminal POLLHUP; a file or
    a live reader polls neither.  A quiet `watch` notices its reader left this way, not only at the
    next event it prints, which in a healthy pool may be hours away.
    """
    p = select.poll()
    p.register(sys.stdout.fileno(), select.POLLOUT)
    return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in p.poll(0))


def quiet_third_party_warnings() -> None:
    """Hide the warnings other people's code raises at a user's terminal, narrowly, by category and module.

    - cryptography 51 deprecates DSA, and asyncssh (2.24) still defines its DSA key classes at import
      time: every command that opens SSH printed five `CryptographyDeprecationWarning: DSA is
      deprecated` blocks on stderr, which Nagios shows and which breaks `… --json 2>&1 | jq`.

    Only warnings of that category raised from asyncssh's modules are ignored: our own warnings, and
    anything else cryptography or asyncssh says, still show.  Called once at process start, before
    asyncssh is imported (the warning fires during its import).
    """
    import warnings

    from cryptography.utils import CryptographyDeprecationWarning

    warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning, module=r"asyncssh(\.|$)")
